"""Raster documents (PNG, JPEG, TIFF incl. multi-page, WebP) through Pillow, with a pixel limit."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ablage.documents.pages import PageInput
from ablage.errors import InvalidDocument, TooManyPages, TooManyPixels
from ablage.settings import UploadSettings

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
        # Pillow's own guard, at the service's limit: it refuses a header claiming more than twice as many pixels
        # before anything is decoded. Every frame is also checked below, with a message that names the sizes.
        Image.MAX_IMAGE_PIXELS = self._limit
        try:
            self._image = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise TooManyPixels(f"the image is larger than MAX_IMAGE_PIXELS ({self._limit:,}): {exc}") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise InvalidDocument(f"the image cannot be read: {exc}") from None
        try:
            self.page_count = self._walk(limits.max_pages)
        except BaseException:
            self.close()
            raise

    def _walk(self, max_pages: int) -> int:
        """Checks frame after frame and stops one past MAX_PAGES: ``n_frames`` would first read every frame
        header of a file that claims millions of them."""
        count = 0
        while True:
            if count > max_pages:
                raise TooManyPages(f"the image has more than {max_pages} pages; the limit is {max_pages}")
            try:
                self._image.seek(count)
            except EOFError:
                break
            except (OSError, ValueError) as exc:
                raise InvalidDocument(f"frame {count + 1} of the image cannot be read: {exc}") from None
            width, height = self._image.size
            if width * height > self._limit:
                raise TooManyPixels(
                    f"page {count + 1} is {width}×{height} = {width * height:,} pixels; "
                    f"the limit is {self._limit:,} (MAX_IMAGE_PIXELS)"
                )
            if width == 0 or height == 0:
                raise InvalidDocument(f"page {count + 1} has no pixels")
            count += 1
        if count == 0:
            raise InvalidDocument("the image has no frames")
        return count

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
