"""PDF pages through pypdfium2: rendered at the configured dpi, or read from a usable text layer."""

from __future__ import annotations

import math
from pathlib import Path

import pypdfium2 as pdfium

from ablage.documents.pages import PageInput
from ablage.documents.scanned_page import scanned_image
from ablage.documents.text_layer import text_layer_page
from ablage.errors import EncryptedDocument, InvalidDocument
from ablage.pdfium import PDFIUM_LOCK
from ablage.results.page_image import normalised
from ablage.settings import UploadSettings


class PdfSource:
    def __init__(self, path: Path, limits: UploadSettings) -> None:
        self._limits = limits
        with PDFIUM_LOCK:
            try:
                self._pdf = pdfium.PdfDocument(path)
            except pdfium.PdfiumError as exc:
                message = str(exc)
                if "password" in message.lower():
                    raise EncryptedDocument("the PDF is encrypted with a password") from None
                raise InvalidDocument(f"the PDF cannot be read: {message.split('(')[-1].rstrip(').')}") from None
            self.page_count = len(self._pdf)
        if self.page_count == 0:
            self.close()
            raise InvalidDocument("the PDF has no pages")

    def _scale(self, width_pt: float, height_pt: float) -> float:
        """300 dpi unless the page is so large that it would exceed MAX_RENDER_PIXELS; then less."""
        scale = self._limits.render_dpi / 72
        pixels = width_pt * height_pt * scale * scale
        if pixels > self._limits.max_render_pixels:
            # A hair under the exact ratio, so that rounding to whole pixels cannot cross the limit.
            scale *= math.sqrt(self._limits.max_render_pixels / pixels) * 0.999
        return scale

    def page(self, number: int, *, want_text_layer: bool) -> PageInput:
        with PDFIUM_LOCK:
            try:
                page = self._pdf[number - 1]
            except pdfium.PdfiumError as exc:
                raise InvalidDocument(f"page {number} of the PDF cannot be read: {exc}") from None
            try:
                width_pt, height_pt = page.get_size()
                if width_pt <= 0 or height_pt <= 0:
                    raise InvalidDocument(f"page {number} of the PDF has an empty page box")
                scale = self._scale(width_pt, height_pt)
                dpi = round(scale * 72)
                if want_text_layer:
                    text_page = text_layer_page(page, number, scale)
                    if text_page is not None:
                        return PageInput(number, None, dpi, text_page)
                if dpi == self._limits.render_dpi:
                    scan = scanned_image(page, self._limits.max_render_pixels)
                    if scan is not None:
                        return PageInput(number, scan[0], scan[1])
                # In colour, for the archive copy keeps a colour scan's colour; a page without colour comes back
                # grey, a third of the memory for the engines and the page processes' pipes.
                bitmap = page.render(scale=scale, may_draw_forms=True, rev_byteorder=True)
                # to_pil shares the bitmap's buffer; normalised converts, so it copies, before the bitmap is freed.
                image = normalised(bitmap.to_pil())
                bitmap.close()
                return PageInput(number, image, dpi)
            finally:
                page.close()

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._pdf.close()
