"""Reading a document's pages: in the page processes for jobs and ``ablage ocr`` (``read_document``), or one
after another in the calling process for evaluation and benchmarks of the engines themselves
(``recognize_pages``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ablage.documents.pages import DocumentSource
from ablage.documents.pdf_facts import original_of
from ablage.documents.sniff import DocumentKind, sniff
from ablage.documents.source import open_document
from ablage.engines.base import Engine, EngineHost, PageEngine
from ablage.errors import ProcessingTimeout
from ablage.executor import child
from ablage.executor.page import PageWork, ReadingOptions, read_page, write_layer
from ablage.executor.pool import PageExecutor
from ablage.invoices.embedded import EmbeddedInvoice
from ablage.invoices.fields import Invoice
from ablage.metrics import PAGES
from ablage.results.archive_pdf import Attachment, PdfOutput
from ablage.results.key_fields import find_key_fields
from ablage.results.markdown import render_markdown
from ablage.results.model import ArchiveCopy, EngineRef, OcrResult, Original, Page
from ablage.results.page_image import Optimize
from ablage.results.review import DEFAULT_THRESHOLD, review_pages
from ablage.results.text import render_text
from ablage.settings import UploadSettings

PageCallback = Callable[[int, Page], None]
READ_AS_ASKED = ReadingOptions()


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
    reading: ReadingOptions | None = None,
    fraktur: PageEngine | None = None,
    second: PageEngine | None = None,
) -> list[Page]:
    """In this process, one page after another: text-layer pages are read, the rest turned upright and OCR'd;
    ``deadline`` is a monotonic time, checked between pages and handed to the engine."""
    results: list[Page] = []
    for done, number in enumerate(pages, 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProcessingTimeout(
                f"stopped after {done - 1} of {len(pages)} pages when the processing timeout ran out"
            )
        work = PageWork(
            "",
            "",
            number,
            engine.name,
            tuple(languages),
            force_ocr,
            detect_orientation,
            reading=reading or READ_AS_ASKED,
        )
        page = read_page(source, work, engine, remaining, fraktur, second).page
        assert page is not None
        if time.monotonic() > deadline:
            raise ProcessingTimeout(f"page {number} finished after the processing timeout ran out")
        PAGES.labels(page.engine, page.source).inc()
        results.append(page)
        if on_page is not None:
            on_page(done, page)
    return results


@dataclass(frozen=True)
class ReadRequest:
    path: Path
    kind: DocumentKind
    pages: Sequence[int]
    engine: PageEngine
    languages: Sequence[str]
    force_ocr: bool
    detect_orientation: bool
    searchable_pdf: Path | None = None
    """Write the searchable PDF here: OCR'd pages as image and invisible text, text-layer pages unchanged."""
    pdf_output: PdfOutput = PdfOutput.auto
    pdf_optimize: Optimize = Optimize.standard
    thumbnail: bool = False
    """Return page 1's thumbnail."""
    reading: ReadingOptions = field(default_factory=ReadingOptions)


@dataclass
class ReadOutcome:
    pages: list[Page]
    thumbnail: bytes | None
    invoice: Invoice | None = None
    """The e-invoice of a PDF whose searchable PDF was asked for (read once, for the result and the archive)."""
    original: Original | None = None
    archive: ArchiveCopy | None = None


def pdf_extras(
    executor: PageExecutor, path: Path, deadline: float, cancelled: threading.Event | None
) -> tuple[EmbeddedInvoice | None, Original]:
    """A PDF's e-invoice and what its archive copy cannot keep (signatures, permissions), read in a page
    process."""
    found, facts = executor.call(
        child.pdf_extras,
        str(path),
        what="the PDF's attachments and signatures",
        timeout=max(0.001, deadline - time.monotonic()),
        cancelled=cancelled,
    )
    return found, original_of(facts)


def invoice_attachments(found: EmbeddedInvoice | None) -> list[Attachment]:
    """The archive copy keeps what makes the PDF an e-invoice: its XML, as PDF/A-3 associated file."""
    if found is None:
        return []
    return [Attachment(found.filename, found.xml, "text/xml", "the e-invoice (EN 16931) as XML")]


def assemble_archive(
    executor: PageExecutor,
    request: ReadRequest,
    parts: list[tuple[str, int]],
    found: EmbeddedInvoice | None,
    *,
    deadline: float,
    cancelled: threading.Event | None,
) -> ArchiveCopy:
    """The job's searchable PDF from its pages' PDFs, in a page process; what it became, for the result."""
    assert request.searchable_pdf is not None
    attachments = invoice_attachments(found)
    notes = []
    if attachments and not request.pdf_output.resolved(attachments=True).carries_files:
        names = ", ".join(attachment.name for attachment in attachments)
        notes.append(
            f"the e-invoice XML ({names}) is not in the searchable PDF: PDF/A-2b cannot carry it "
            "(pdf_output=pdfa-3b or auto keeps it); the original keeps it"
        )
        attachments = []
    written: PdfOutput = executor.call(
        child.assemble,
        parts,
        str(request.searchable_pdf),
        attachments,
        request.pdf_output,
        what="the searchable PDF",
        timeout=max(0.001, deadline - time.monotonic()),
        cancelled=cancelled,
    )
    if written is PdfOutput.pdf:
        notes.append("a plain PDF, not PDF/A (pdf_output=pdf): no output intent and no PDF/A identification")
    return ArchiveCopy(
        format=written.value,
        optimize=int(request.pdf_optimize),
        attachments=[attachment.name for attachment in attachments],
        notes=notes,
    )


def read_document(
    executor: PageExecutor,
    request: ReadRequest,
    *,
    scratch: Path,
    deadline: float,
    cancelled: threading.Event | None = None,
    on_page: PageCallback | None = None,
) -> ReadOutcome:
    """The pages in the page processes, fanned out over all of them; ``scratch`` holds the pages' PDFs.

    An engine of the service's own process (a GPU engine with its batcher) reads the pages here as the page
    processes render them, in order."""
    in_service = request.engine.host is EngineHost.service
    layer_dir = str(scratch) if request.searchable_pdf is not None else None
    works = [
        PageWork(
            path=str(request.path),
            kind=request.kind.value,
            number=number,
            engine=None if in_service else request.engine.name,
            languages=tuple(request.languages),
            force_ocr=request.force_ocr,
            detect_orientation=request.detect_orientation,
            thumbnail=request.thumbnail and number == 1,
            layer_dir=layer_dir,
            optimize=request.pdf_optimize,
            reading=request.reading,
        )
        for number in request.pages
    ]
    pages: list[Page] = []
    parts: list[tuple[str, int]] = []
    thumbnail: bytes | None = None
    for done, outcome in enumerate(executor.read_pages(works, deadline=deadline, cancelled=cancelled), 1):
        page, layer = outcome.page, outcome.layer
        if page is None:
            assert outcome.image is not None
            image = outcome.image.image()
            remaining = deadline - time.monotonic()
            page = request.engine.recognize(
                image, page_number=outcome.number, dpi=outcome.dpi, languages=request.languages, timeout=remaining
            )
            if time.monotonic() > deadline:
                raise ProcessingTimeout(f"page {outcome.number} finished after the processing timeout ran out")
            if layer_dir is not None:
                layer = write_layer(image, page, layer_dir, request.pdf_optimize)
        if outcome.thumbnail is not None:
            thumbnail = outcome.thumbnail
        parts.append((layer, 1) if layer is not None else (str(request.path), outcome.number))
        PAGES.labels(page.engine, page.source).inc()
        pages.append(page)
        if on_page is not None:
            on_page(done, page)
    remaining = max(0.001, deadline - time.monotonic())
    if request.thumbnail and thumbnail is None:
        # Page 1 was not rendered: it was not selected, or it was read from its text layer.
        thumbnail = executor.call(
            child.thumbnail,
            str(request.path),
            request.kind.value,
            what="page 1",
            timeout=remaining,
            cancelled=cancelled,
        )
    found: EmbeddedInvoice | None = None
    original: Original | None = None
    archive: ArchiveCopy | None = None
    if request.searchable_pdf is not None:
        if request.kind is DocumentKind.pdf:
            found, original = pdf_extras(executor, request.path, deadline, cancelled)
        archive = assemble_archive(executor, request, parts, found, deadline=deadline, cancelled=cancelled)
    return ReadOutcome(pages, thumbnail, found.invoice if found is not None else None, original, archive)


def ocr_file(
    path: Path,
    engine: PageEngine,
    upload: UploadSettings,
    *,
    languages: Sequence[str],
    pages: Sequence[int] | None = None,
    detect_orientation: bool = True,
    timeout: float = 600,
    reading: ReadingOptions | None = None,
    fraktur: PageEngine | None = None,
    second: PageEngine | None = None,
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
            reading=reading,
            fraktur=fraktur,
            second=second,
        )
    finally:
        source.close()


def build_result(
    result_id: str,
    engine: Engine,
    languages: Sequence[str],
    pages: list[Page],
    invoice: Invoice | None = None,
    original: Original | None = None,
    archive: ArchiveCopy | None = None,
    review_threshold: float = DEFAULT_THRESHOLD,
) -> OcrResult:
    """``review_threshold``: the share of doubtful words at which a page is flagged for review (the tenant's)."""
    info = engine.info()
    key_fields = find_key_fields(pages, invoice)
    pages = review_pages(pages, languages, key_fields, review_threshold)
    return OcrResult(
        id=result_id,
        engine=EngineRef(name=info.name, version=info.version),
        languages=list(languages),
        pages=pages,
        text=render_text(pages),
        markdown=render_markdown(pages),
        key_fields=key_fields,
        invoice=invoice,
        original=original,
        archive=archive,
    )
