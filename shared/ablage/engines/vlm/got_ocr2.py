"""GOT-OCR2 (stepfun-ai/GOT-OCR-2.0-hf): a whole page in one pass, plain or formatted.

A full A4 page at 300 dpi is far larger than the model's 1024-pixel input: the processor cuts it into up
to ``MODEL_MAX_CROPS`` tiles plus a thumbnail (its crop-to-patches mode), 256 image tokens each, and the
prompt asks for OCR "upon the patch reference" so the model reads the tiles in order.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from ablage.engines.vlm.engine import VlmEngine
from ablage.settings import Settings


class GotOcr2Engine(VlmEngine):
    name = "got-ocr2"
    model_types = ("got_ocr2",)
    # Trained on English and Chinese; German reads as Latin script with umlauts.
    languages = ("de", "en", "zh")

    def __init__(self, settings: Settings) -> None:
        self._max_crops = settings.model.model_max_crops
        super().__init__(settings)

    def _inputs(self, processor: Any, image: Image.Image) -> Any:
        return processor(
            image, crop_to_patches=True, max_patches=self._max_crops, format=self.formatted, return_tensors="pt"
        )
