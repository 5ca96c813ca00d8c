"""A page of a job's searchable PDF as WebP, for the result viewer: the page exactly as it was read (turned
upright), so that the result's word boxes, scaled by ``width / page.width``, sit on its words."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium

from ablage.pdfium import PDFIUM_LOCK

PREVIEW_WIDTHS = range(200, 2401, 200)
PREVIEW_KEY = "{job_id}/pages/{number}-w{width}.webp"


def render_preview(pdf_path: Path, index: int, width: int) -> bytes:
    """Page ``index`` (0-based) of the PDF, ``width`` pixels wide."""
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(pdf_path)
        try:
            page = pdf[index]
            image = page.render(scale=width / page.get_width()).to_pil()
            page.close()
        finally:
            pdf.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()
