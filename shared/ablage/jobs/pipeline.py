"""The page loop shared by the job worker and the ``ablage ocr`` command."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image

from ablage.documents.orientation import upright
from ablage.documents.pages import DocumentSource
from ablage.documents.sniff import sniff
from ablage.documents.source import open_document
from ablage.engines.base import Engine, PageEngine
from ablage.errors import ProcessingTimeout
from ablage.metrics import PAGES
from ablage.results.markdown import render_markdown
from ablage.results.model import EngineRef, OcrResult, Page
from ablage.results.searchable_pdf import SearchablePdfWriter
from ablage.results.text import render_text
from ablage.settings import UploadSettings

PageCallback = Callable[[int, Page], None]
ImageCallback = Callable[[int, Image.Image], None]


def recognize_pages(
    source: DocumentSource,
    pages: Sequence[int],
    engine: PageEngine,
    *,
    languages: Sequence[str],
    force_ocr: bool,
    detect_orientation: bool,
    deadline: float,
    on_page: PageCallback | None = None,
    on_image: ImageCallback | None = None,
    searchable_pdf: SearchablePdfWriter | None = None,
    original_pdf: Path | None = None,
) -> list[Page]:
    """Text-layer pages are read, the rest turned upright and OCR'd; ``deadline`` is a monotonic time.

    ``on_image`` sees each rendered page image as it is, before it is turned (thumbnails use it, so a page
    is decoded once). ``searchable_pdf`` gets every page: OCR'd ones as image plus invisible text, text-layer
    ones copied from ``original_pdf``.
    """
    results: list[Page] = []
    for done, number in enumerate(pages, 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProcessingTimeout(
                f"stopped after {done - 1} of {len(pages)} pages when the processing timeout ran out"
            )
        page_input = source.page(number, want_text_layer=not force_ocr)
        if page_input.text_page is not None:
            page = page_input.text_page
            if searchable_pdf is not None and original_pdf is not None:
                searchable_pdf.add_original_page(original_pdf, number)
        else:
            assert page_input.image is not None
            image = page_input.image
            if on_image is not None:
                on_image(number, image)
            if detect_orientation:
                image, _ = upright(image)
            page = engine.recognize(
                image, page_number=number, dpi=page_input.dpi, languages=languages, timeout=remaining
            )
            if time.monotonic() > deadline:
                # Engines that cannot be interrupted mid-page finish it late: the job is over time all the same.
                raise ProcessingTimeout(f"page {number} finished after the processing timeout ran out")
            if searchable_pdf is not None:
                searchable_pdf.add_image_page(image, page)
        PAGES.labels(page.engine, page.source).inc()
        results.append(page)
        if on_page is not None:
            on_page(done, page)
    return results


def ocr_file(
    path: Path,
    engine: PageEngine,
    upload: UploadSettings,
    *,
    languages: Sequence[str],
    pages: Sequence[int] | None = None,
    detect_orientation: bool = True,
    timeout: float = 600,
) -> list[Page]:
    """OCR a file's pages (all by default) outside any job, text layers ignored: evaluation and benchmarks."""
    source = open_document(path, sniff(path), upload)
    try:
        return recognize_pages(
            source,
            list(pages) if pages is not None else list(range(1, source.page_count + 1)),
            engine,
            languages=languages,
            force_ocr=True,
            detect_orientation=detect_orientation,
            deadline=time.monotonic() + timeout,
        )
    finally:
        source.close()


def build_result(result_id: str, engine: Engine, languages: Sequence[str], pages: list[Page]) -> OcrResult:
    info = engine.info()
    return OcrResult(
        id=result_id,
        engine=EngineRef(name=info.name, version=info.version),
        languages=list(languages),
        pages=pages,
        text=render_text(pages),
        markdown=render_markdown(pages),
    )
