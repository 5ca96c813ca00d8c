"""What every VLM engine adds to ``generate``: per-page deadlines, a stop for degenerate loops, and the
probability of each chosen token (the page's confidence)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
from transformers import LogitsProcessor, StoppingCriteria

# A page whose last _LOOP_WINDOW tokens repeat a pattern of at most _LOOP_PERIOD tokens is stuck: OCR models
# fall into such loops on blank or noisy regions and would otherwise run to max_new_tokens.
_LOOP_WINDOW = 256
_LOOP_PERIOD = 32
_LOOP_CHECK_EVERY = 32


class Deadlines(StoppingCriteria):
    """Stops each page at its own deadline (monotonic time), leaving the rest of the batch running."""

    def __init__(self, deadlines: Sequence[float | None]) -> None:
        self._deadlines = [d if d is not None else float("inf") for d in deadlines]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: object) -> torch.BoolTensor:
        now = time.monotonic()
        return torch.tensor([now > d for d in self._deadlines], device=input_ids.device)  # type: ignore[return-value]


class RepetitionLoop(StoppingCriteria):
    def __init__(self, prompt_length: int) -> None:
        self._start = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: object) -> torch.BoolTensor:
        generated = input_ids.shape[1] - self._start
        stuck = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        if generated < _LOOP_WINDOW + _LOOP_PERIOD or generated % _LOOP_CHECK_EVERY:
            return stuck  # type: ignore[return-value]
        tail = input_ids[:, -_LOOP_WINDOW:]
        for period in range(1, _LOOP_PERIOD + 1):
            shifted = input_ids[:, -_LOOP_WINDOW - period : -period]
            stuck |= (tail == shifted).all(dim=1)
        return stuck  # type: ignore[return-value]


class TokenLogProbs(LogitsProcessor):
    """Records the log-probability of the token greedy decoding picks at each step; it changes no score."""

    def __init__(self) -> None:
        self.steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.steps.append(torch.log_softmax(scores.float(), dim=-1).max(dim=-1).values)
        return scores

    def confidences(self, generated: torch.Tensor, pad_token_id: int | None) -> list[float]:
        """Per row, the geometric mean probability of its tokens, padding after its end left out."""
        if not self.steps:
            return [0.0] * generated.shape[0]
        logprobs = torch.stack(self.steps, dim=1)[:, : generated.shape[1]]
        mask = (
            generated[:, : logprobs.shape[1]] != pad_token_id
            if pad_token_id is not None
            else torch.ones_like(logprobs, dtype=torch.bool)
        )
        counts = mask.sum(dim=1).clamp(min=1)
        means = (logprobs * mask).sum(dim=1) / counts
        return [round(float(value), 4) for value in torch.exp(means).clamp(0, 1).cpu()]
