"""A document opened for processing: PDFs and raster images page by page, office files whole."""

from __future__ import annotations

from pathlib import Path

from ablage.documents.pages import DocumentSource, PageInput
from ablage.documents.pdf import PdfSource
from ablage.documents.raster import RasterSource
from ablage.documents.sniff import DocumentKind
from ablage.errors import InvalidDocument, TooManyPages
from ablage.settings import UploadSettings


class StructuredSource:
    """An office file, a web page or an XML e-invoice: read whole by its structure, never rendered here. It
    counts as one page, so page selection, limits and progress treat it as a single unit."""

    page_count = 1

    def page(self, number: int, *, want_text_layer: bool) -> PageInput:
        raise InvalidDocument("this document has no page images; it is read by its structure")

    def close(self) -> None:
        pass


def open_document(path: Path, kind: DocumentKind, limits: UploadSettings) -> DocumentSource:
    """Open and validate; raises the 422 family for encrypted, corrupt, too long or too large documents."""
    if not kind.has_pages:
        return StructuredSource()
    source: DocumentSource = PdfSource(path, limits) if kind is DocumentKind.pdf else RasterSource(path, limits)
    if source.page_count > limits.max_pages:
        count = source.page_count
        source.close()
        raise TooManyPages(f"the document has {count} pages; the limit is {limits.max_pages}")
    return source
