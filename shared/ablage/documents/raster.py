"""Raster documents (PNG, JPEG, TIFF incl. multi-page, WebP) through Pillow, with a pixel limit."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ablage.documents.pages import PageInput
from ablage.errors import InvalidDocument, TooManyPixels
from ablage.settings import UploadSettings

# MAX_IMAGE_PIXELS (settings) is checked on every page below, with a message that names the sizes;
# Pillow's own, fixed bomb check would pre-empt it with a less useful error.
Image.MAX_IMAGE_PIXELS = None

DEFAULT_DPI = 300
# Scans with dpi metadata below this are mislabelled more often than they are real.
_MIN_TRUSTED_DPI = 70


def normalise_mode(image: Image.Image) -> Image.Image:
    """Engines take 1-bit, grey or RGB; flatten alpha onto white and scale 16-bit grey down."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


class RasterSource:
    def __init__(self, path: Path, limits: UploadSettings) -> None:
        self._limit = limits.max_image_pixels
        try:
            self._image = Image.open(path)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise InvalidDocument(f"the image cannot be read: {exc}") from None
        self.page_count = getattr(self._image, "n_frames", 1)
        for index in range(self.page_count):
            self._seek(index)
            width, height = self._image.size
            if width * height > self._limit:
                self.close()
                raise TooManyPixels(
                    f"page {index + 1} is {width}×{height} = {width * height:,} pixels; "
                    f"the limit is {self._limit:,} (MAX_IMAGE_PIXELS)"
                )
            if width == 0 or height == 0:
                self.close()
                raise InvalidDocument(f"page {index + 1} has no pixels")

    def _seek(self, index: int) -> None:
        try:
            self._image.seek(index)
        except (EOFError, OSError, ValueError) as exc:
            raise InvalidDocument(f"frame {index + 1} of the image cannot be read: {exc}") from None

    def page(self, number: int, *, want_text_layer: bool) -> PageInput:
        self._seek(number - 1)
        try:
            copy = self._image.copy()
            # Pillow < 11 returns None when it transposed in place; later releases always return the image.
            frame = ImageOps.exif_transpose(copy) or copy
        except (OSError, ValueError, SyntaxError) as exc:
            raise InvalidDocument(f"page {number}: the image data is corrupt or truncated ({exc})") from None
        dpi_info = self._image.info.get("dpi")
        dpi = round(float(dpi_info[0])) if dpi_info and dpi_info[0] else DEFAULT_DPI
        if dpi < _MIN_TRUSTED_DPI:
            dpi = DEFAULT_DPI
        return PageInput(number, normalise_mode(frame), dpi)

    def close(self) -> None:
        self._image.close()
