"""Janus-Pro (deepseek-community/Janus-Pro-1B and -7B) as an OCR engine: one fixed transcription prompt.

Janus-Pro sees a page as one 384-pixel image, so small print on a full page is lost; it suits receipts,
photos and short documents better than dense A4 pages (GOT-OCR2's tiling reads those).
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from ablage.engines.vlm.engine import VlmEngine

PROMPT = (
    "Transcribe all text in this image exactly as it is written, in reading order, line by line. Output only the text."
)


class JanusProEngine(VlmEngine):
    name = "janus-pro"
    model_types = ("janus",)
    languages = ("de", "en")

    def _call_generate(self, **kwargs: Any) -> Any:
        # Janus's own generate() drops a caller's logits processors in text mode, and then does nothing but
        # call the generic one without classifier-free guidance: call that directly.
        from transformers import GenerationMixin

        return GenerationMixin.generate(self._model, guidance_scale=None, **kwargs)

    def _inputs(self, processor: Any, image: Image.Image) -> Any:
        return processor(text=[self._prompt(processor)], images=[image], return_tensors="pt")

    @staticmethod
    def _prompt(processor: Any) -> str:
        if processor.chat_template:
            messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPT}]}]
            return str(processor.apply_chat_template(messages, add_generation_prompt=True))
        # DeepSeek's conversation format, for checkpoints saved without a chat template.
        return f"<|User|>: {processor.image_token}\n{PROMPT}\n\n<|Assistant|>:"
