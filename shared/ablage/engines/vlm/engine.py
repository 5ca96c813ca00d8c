"""What GOT-OCR2 and Janus-Pro share: loading once, a warm-up page, batched greedy generation, and the
handling of a GPU that is full or broken. A subclass says how one page becomes model inputs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
from ablage.engines.vlm import model_for_engine
from ablage.engines.vlm.loading import resolve_model_dir, validate_model_dir
from ablage.errors import EngineFallback, EngineNotInstalled, ProcessingTimeout
from ablage.metrics import BATCH_SIZE, GPU_MEMORY, OOM_SPLITS, PAGE_SECONDS, TOKENS_GENERATED
from ablage.results.model import Page
from ablage.settings import ModelSettings, OcrOutput, Settings

try:
    import torch
    import transformers
    from transformers import (
        AutoModelForImageTextToText,
        AutoProcessor,
        LogitsProcessorList,
        StoppingCriteriaList,
    )

    from ablage.engines.batcher import MicroBatcher
    from ablage.engines.vlm import cuda
    from ablage.engines.vlm.generation import Deadlines, RepetitionLoop, TokenLogProbs
    from ablage.engines.vlm.text_page import text_page
except ImportError as exc:  # the gpu extra is not installed
    _MISSING: ImportError | None = exc
else:
    _MISSING = None

log = logging.getLogger(__name__)

# The warm-up page: an empty A4 sheet at 150 dpi, so the first real page meets compiled kernels and a
# populated allocator; a few tokens are enough for that.
_WARM_UP_SIZE = (1240, 1754)
_WARM_UP_TOKENS = 4
# SDPA in the language model, where decoding spends its time; GOT-OCR2's SAM vision encoder has no SDPA
# path and keeps its own attention.
_ATTENTION = {"text_config": "sdpa"}


@dataclass
class Prepared:
    """One page as model inputs (batch of one), made on the worker thread that submits it."""

    input_ids: list[int]
    pixel_values: torch.Tensor
    deadline: float | None


@dataclass
class Generated:
    text: str
    confidence: float
    tokens: int


class VlmEngine:
    name: ClassVar[str]
    reads = EngineInput.pages
    host = EngineHost.service
    model_types: ClassVar[tuple[str, ...]]
    languages: ClassVar[tuple[str, ...]]

    def __init__(self, settings: Settings) -> None:
        if _MISSING is not None:
            raise EngineNotInstalled("torch and transformers are not installed (pip install 'ablage-system[gpu]')")
        self._settings: ModelSettings = settings.model
        self.formatted = settings.model.model_output is OcrOutput.markdown
        self.model_name = model_for_engine(self.name, settings.ocr.model_name)
        self.path: Path = resolve_model_dir(self.model_name, settings.model)
        validate_model_dir(self.path, self.model_types)
        self.device = cuda.pick_device(settings.model.model_device)
        self.dtype = cuda.pick_dtype(self.device)
        self._max_new_tokens = settings.model.model_max_new_tokens
        self._state = "loading"
        self.load_error: BaseException | None = None
        self._problem: str | None = None
        self._loaded = threading.Event()
        self._local = threading.local()
        self._model: Any = None
        self._batcher: MicroBatcher[Prepared, Generated] | None = None
        # Weights load in the background: /health answers meanwhile, /ready says "loading" until the
        # warm-up page has run.
        threading.Thread(target=self._load, name=f"{self.name}-load", daemon=True).start()

    # -- subclasses ---------------------------------------------------------------------------------

    def _inputs(self, processor: Any, image: Image.Image) -> Any:
        """The processor's output (input_ids and pixel_values, batch of one) for one RGB page."""
        raise NotImplementedError

    def _call_generate(self, **kwargs: Any) -> Any:
        return self._model.generate(**kwargs)

    # -- loading --------------------------------------------------------------------------------------

    def _load(self) -> None:
        started = time.monotonic()
        try:
            self._model = self._load_model()
            warm = self._prepare(Image.new("RGB", _WARM_UP_SIZE, "white"), None)
            self._generate([warm], _WARM_UP_TOKENS)
            self._batcher = MicroBatcher(
                self._run_batch,
                max_batch=self._settings.model_batch_size,
                max_cost=self._settings.model_batch_tokens,
                max_wait=self._settings.model_batch_wait,
                is_oom=cuda.is_oom,
                on_oom=lambda size: OOM_SPLITS.labels(self.name).inc(),
                name=f"{self.name}-batches",
            )
            self._state = "ready"
            log.info("%s loaded from %s on %s in %.1f s", self.name, self.path, self.device, time.monotonic() - started)
        except BaseException as exc:
            # The supervisor logs it, once per failure rather than once per attempt.
            self.load_error = exc
            self._state = "failed"
            self._problem = f"{type(exc).__name__} while loading {self.path} on {self.device}"
            self._model = None
            cuda.free_cache(self.device)
        finally:
            self._loaded.set()

    def _load_model(self) -> Any:
        model: Any = AutoModelForImageTextToText.from_pretrained(
            self.path, dtype=self.dtype, attn_implementation=_ATTENTION, local_files_only=True
        )
        return model.to(self.device).eval()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """True once the weights are loaded and warmed up; False while loading or after a failure."""
        self._loaded.wait(timeout)
        return self._state == "ready"

    def _processor(self) -> Any:
        # One processor per thread: a fast tokenizer shared between threads raises "Already borrowed".
        processor = getattr(self._local, "processor", None)
        if processor is None:
            processor = self._local.processor = AutoProcessor.from_pretrained(self.path, local_files_only=True)
        return processor

    # -- the protocol -------------------------------------------------------------------------------

    def info(self) -> EngineInfo:
        detail = {"loading": f"loading {self.path} on {self.device}", "ready": None}.get(self._state, self._problem)
        extra = {
            "model_dir": str(self.path),
            "dtype": str(self.dtype).removeprefix("torch."),
            "state": self._state,
            "transformers": transformers.__version__,
        }
        if self._batcher is not None:
            extra["batch_limit"] = str(self._batcher.limit)
        return EngineInfo(
            name=self.name,
            version=self.model_name,
            languages=list(self.languages),
            loaded=self._state == "ready",
            device=self.device.type,
            detail=detail,
            extra=extra,
        )

    def warm_up(self, languages: Sequence[str]) -> None:
        self._processor()

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        dpi: int,
        languages: Sequence[str],
        timeout: float | None = None,
    ) -> Page:
        started = time.monotonic()
        deadline = started + timeout if timeout is not None else None
        if not self._loaded.wait(timeout):
            raise ProcessingTimeout(f"{self.name} was still loading when page {page_number} ran out of time")
        if self._state != "ready" or self._batcher is None:
            raise EngineFallback(f"{self.name} is unusable: {self._problem}", reason="unavailable")
        prepared = self._prepare(image, deadline)
        future = self._batcher.submit(prepared, cost=len(prepared.input_ids) + self._max_new_tokens)
        try:
            generated = future.result(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.cancel()
            raise ProcessingTimeout(f"page {page_number} did not finish within the processing timeout") from None
        except BaseException as exc:
            if cuda.is_oom(exc):
                raise EngineFallback(f"page {page_number} does not fit in GPU memory even alone", reason="oom") from exc
            raise
        if deadline is not None and time.monotonic() > deadline:
            raise ProcessingTimeout(f"page {page_number} did not finish within the processing timeout")
        PAGE_SECONDS.labels(self.name).observe(time.monotonic() - started)
        return text_page(
            self.name,
            generated.text,
            number=page_number,
            size=image.size,
            dpi=dpi,
            confidence=generated.confidence,
            formatted=self.formatted,
        )

    def close(self) -> None:
        if self._batcher is not None:
            self._batcher.close()
            self._batcher = None
        self._model = None
        if self._state == "ready":
            self._state = "closed"
        cuda.free_cache(self.device)

    # -- batches ------------------------------------------------------------------------------------

    def _prepare(self, image: Image.Image, deadline: float | None) -> Prepared:
        inputs = self._inputs(self._processor(), image.convert("RGB"))
        return Prepared(
            input_ids=inputs["input_ids"][0].tolist(), pixel_values=inputs["pixel_values"], deadline=deadline
        )

    def _run_batch(self, batch: Sequence[Prepared]) -> list[Generated]:
        """The batcher's thread: out-of-memory goes back to the batcher (it halves the batch); an error that
        leaves the CUDA context unusable marks the engine broken, and every page after it falls back."""
        if self._state != "ready":
            raise EngineFallback(f"{self.name} is unusable: {self._problem}", reason="cuda_error")
        try:
            return self._generate(batch, self._max_new_tokens)
        except BaseException as exc:
            if cuda.is_oom(exc):
                cuda.free_cache(self.device)
                raise
            if cuda.is_fatal(exc):
                self.mark_broken(exc)
                raise EngineFallback(f"{self.name} is unusable: {self._problem}", reason="cuda_error") from exc
            raise

    def mark_broken(self, exc: BaseException) -> None:
        """After this, info() reports the engine unusable: /ready is 503 and new jobs go to the CPU engines,
        until the orchestrator replaces the process (liveness stays up)."""
        log.error("%s: the CUDA context is unusable (%s); the service is no longer ready", self.name, exc)
        self._state = "broken"
        self._problem = f"CUDA error: {type(exc).__name__}: {str(exc)[:200]}"
        try:
            cuda.free_cache(self.device)
        except Exception:
            log.warning("freeing the CUDA cache failed as well", exc_info=True)

    def _stopping_criteria(self, batch: Sequence[Prepared], prompt_length: int) -> StoppingCriteriaList:
        return StoppingCriteriaList([Deadlines([page.deadline for page in batch]), RepetitionLoop(prompt_length)])

    def _generate(self, batch: Sequence[Prepared], max_new_tokens: int) -> list[Generated]:
        processor = self._processor()
        tokenizer = processor.tokenizer
        padded = tokenizer.pad(
            {"input_ids": [page.input_ids for page in batch]}, padding=True, padding_side="left", return_tensors="pt"
        )
        input_ids = padded["input_ids"].to(self.device)
        pixel_values = torch.cat([page.pixel_values for page in batch]).to(self.device, self.dtype)
        prompt_length = input_ids.shape[1]
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        logprobs = TokenLogProbs()
        with torch.inference_mode():
            output = self._call_generate(
                input_ids=input_ids,
                attention_mask=padded["attention_mask"].to(self.device),
                pixel_values=pixel_values,
                do_sample=False,
                max_new_tokens=max_new_tokens,
                pad_token_id=pad_id,
                logits_processor=LogitsProcessorList([logprobs]),
                stopping_criteria=self._stopping_criteria(batch, prompt_length),
            )
        generated = output[:, prompt_length:]
        texts = tokenizer.batch_decode(generated, skip_special_tokens=True)
        confidences = logprobs.confidences(generated, pad_id)
        tokens = (generated != pad_id).sum(dim=1).tolist()
        BATCH_SIZE.labels(self.name).observe(len(batch))
        TOKENS_GENERATED.labels(self.name).inc(sum(tokens))
        for kind, value in cuda.memory(self.device).items():
            GPU_MEMORY.labels(self.name, kind).set(value)
        return [
            Generated(text=text.strip(), confidence=confidence, tokens=count)
            for text, confidence, count in zip(texts, confidences, tokens, strict=True)
        ]
