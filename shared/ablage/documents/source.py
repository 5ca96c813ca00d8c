"""A document opened for processing: a page count and, per page, an image or a text-layer page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image

from ablage.documents.sniff import DocumentKind
from ablage.errors import InvalidDocument
from ablage.results.model import Page
from ablage.settings import UploadSettings


@dataclass
class PageInput:
    number: int
    image: Image.Image | None
    dpi: int
    text_page: Page | None = None


class DocumentSource(Protocol):
    page_count: int

    def page(self, number: int, *, want_text_layer: bool) -> PageInput: ...

    def close(self) -> None: ...


class StructuredSource:
    """An office file or web page: converted whole by a document engine, never rendered here. It counts as one
    page, so page selection, limits and progress treat it as a single unit."""

    page_count = 1

    def page(self, number: int, *, want_text_layer: bool) -> PageInput:
        raise InvalidDocument("office documents have no page images; they are converted by the Docling engine")

    def close(self) -> None:
        pass


def open_document(path: Path, kind: DocumentKind, limits: UploadSettings) -> DocumentSource:
    """Open and validate; raises the 422 family for encrypted, corrupt, too long or too large documents."""
    if kind.is_office:
        return StructuredSource()
    if kind is DocumentKind.pdf:
        from ablage.documents.pdf import PdfSource

        source: DocumentSource = PdfSource(path, limits)
    else:
        from ablage.documents.raster import RasterSource

        source = RasterSource(path, limits)
    if source.page_count > limits.max_pages:
        count = source.page_count
        source.close()
        from ablage.errors import TooManyPages

        raise TooManyPages(f"the document has {count} pages; the limit is {limits.max_pages}")
    return source
