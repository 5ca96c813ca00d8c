"""What runs inside a page process. Each process is started once (``start``), keeps the engines it has built
and the document it last opened, and is killed by its pool when a page passes its time limit, when the job is
cancelled, or when it dies by itself (out of memory); the pool starts a fresh one in its place.

Nothing here touches the database, the queue or the storage: a page process sees local files only.
"""

from __future__ import annotations

import gc
import logging
import os
import resource
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ablage.documents.archive import check_archive
from ablage.documents.pages import DocumentSource
from ablage.documents.pdf_facts import PdfFacts, pdf_facts
from ablage.documents.skew import warm_up as warm_skew
from ablage.documents.sniff import DocumentKind, check_allowed, sniff
from ablage.documents.source import open_document
from ablage.engines.base import Engine, PageEngine, document_engine, page_engine
from ablage.engines.registry import register_engine, registrations
from ablage.engines.scripts import Script
from ablage.errors import EngineNotInstalled, EngineUnavailable, PageTooLarge
from ablage.executor.page import PageOutcome, PageWork, read_page
from ablage.invoices.embedded import EmbeddedInvoice, embedded_invoice
from ablage.invoices.fields import Invoice
from ablage.invoices.xml import read_invoice_xml
from ablage.lexicon import lexicons as installed_lexicons
from ablage.results.archive_pdf import Attachment, PdfOutput, write_archive
from ablage.results.model import Page
from ablage.results.page_preview import render_preview
from ablage.results.thumbnail import render_thumbnail
from ablage.settings import Settings

log = logging.getLogger(__name__)

# Below the service's own processes: when the cores are full, requests are answered first.
_NICENESS = 5


@dataclass(frozen=True)
class ChildConfig:
    settings: Settings
    registered: dict[str, str]
    """Engines registered in code in the parent (``register_engine``), which a fresh process does not know."""
    warm: tuple[str, ...] = ()
    """Engines to build and warm up as the process starts, so that its first page is not slower."""


@dataclass
class _State:
    settings: Settings
    engines: dict[str, Engine]
    document: tuple[tuple[str, float, int], DocumentSource] | None = None


_STATE: _State | None = None


def in_page_process() -> bool:
    return _STATE is not None


def start(config: ChildConfig) -> None:
    """The pool's initializer. It must not raise: a failing initializer would make the pool start processes
    in a loop; an engine that cannot load fails the pages that need it instead."""
    global _STATE
    # Killed at once on terminate, even inside a C call: a handler would only run once the call returns.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    limit = int(config.settings.ocr.page_memory_limit)
    if limit > 0:
        # RLIMIT_DATA, not RLIMIT_AS: it counts the heap and private writable mappings, what pages really take,
        # but not the address space libraries reserve (importing torch alone reserves 4 GB of it).
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    try:
        os.nice(_NICENESS)
    except OSError:
        pass
    for name, target in config.registered.items():
        register_engine(name, target)
    _STATE = _State(config.settings, {})
    # The word lists (Fraktur correction, second opinions) are read once per process, before a page's clock runs.
    installed_lexicons(config.settings.ocr.languages)
    if config.settings.ocr.deskew:
        try:
            warm_skew()
        except Exception:
            log.warning("page process %d could not warm up deskew", os.getpid(), exc_info=True)
    for name in config.warm:
        try:
            _engine(name).warm_up(config.settings.ocr.languages)
        except Exception:
            log.warning("page process %d could not warm up engine %s", os.getpid(), name, exc_info=True)


def _state() -> _State:
    if _STATE is None:
        raise RuntimeError("this function runs in a page process started by ablage.executor.pool")
    return _STATE


def _engine(name: str) -> Engine:
    state = _state()
    engine = state.engines.get(name)
    if engine is None:
        registration = registrations().get(name)
        if registration is None:
            raise EngineNotInstalled(f"engine {name!r} is not installed in the page processes")
        try:
            engine = registration.load()(state.settings)
        except ImportError as exc:
            raise EngineNotInstalled(f"engine {name!r}: {exc} ({registration.install_hint()})") from None
        state.engines[name] = engine
    return engine


def _fraktur_engine(work: PageWork) -> PageEngine | None:
    name = work.reading.fraktur_engine
    if name is None or work.engine is None:
        return None
    try:
        return page_engine(_engine(name))
    except EngineUnavailable as exc:
        if work.reading.script is Script.fraktur:
            raise
        # Detection is a refinement: without its engine, a page is read as Latin by the job's engine.
        log.warning("page process %d reads without Fraktur detection: %s", os.getpid(), exc.detail)
        return None


def _second_engine(work: PageWork) -> PageEngine | None:
    name = work.reading.second_engine
    if name is None or work.engine is None or name == work.engine:
        return None
    try:
        return page_engine(_engine(name))
    except EngineUnavailable as exc:
        # A second opinion is a refinement: without its engine the page is reviewed on its own reading.
        log.warning("page process %d reads without a second opinion: %s", os.getpid(), exc.detail)
        return None


def _document(path: str, kind: str) -> DocumentSource:
    """The document, opened once for all the pages this process reads of it."""
    state = _state()
    stat = os.stat(path)
    key = (path, stat.st_mtime, stat.st_size)
    if state.document is not None and state.document[0] == key:
        return state.document[1]
    _forget_document()
    source = open_document(Path(path), DocumentKind(kind), state.settings.upload)
    state.document = (key, source)
    return source


def _forget_document() -> None:
    state = _state()
    if state.document is not None:
        document, state.document = state.document[1], None
        document.close()


def ping() -> int:
    """Starts the process (and warms its engines) before the first page needs it."""
    _state()
    return os.getpid()


def inspect(path: str) -> tuple[str, int]:
    """Sniffs an upload, checks its type against ALLOWED_EXTENSIONS and opens it as the job will (validating
    it); its kind (a ``DocumentKind`` value) and page count."""
    limits = _state().settings.upload
    kind = sniff(Path(path))
    check_allowed(kind, limits.allowed_extensions)
    if kind.is_archive:
        check_archive(Path(path), limits)
    source = open_document(Path(path), kind, limits)
    try:
        return kind.value, source.page_count
    finally:
        source.close()


def memory_problem(what: str, settings: Settings) -> PageTooLarge:
    limit = int(settings.ocr.page_memory_limit)
    return PageTooLarge(f"{what} needs more memory than PAGE_MEMORY_LIMIT ({limit / 1024**3:.1f} GiB) allows")


def _out_of_memory(what: str) -> PageTooLarge:
    # Called after the except block: the MemoryError, its traceback and the frames holding what the page had
    # allocated are gone by now, so this process is fit for its next page.
    gc.collect()
    return memory_problem(what, _state().settings)


def read(work: PageWork, timeout: float | None) -> PageOutcome:
    try:
        source = _document(work.path, work.kind)
        engine = page_engine(_engine(work.engine)) if work.engine is not None else None
        return read_page(source, work, engine, timeout, _fraktur_engine(work), _second_engine(work))
    except MemoryError:
        pass
    _forget_document()
    raise _out_of_memory(f"page {work.number}")


def thumbnail(path: str, kind: str) -> bytes | None:
    """Page 1's thumbnail, for documents whose page 1 was not rendered by the job (text layer, not selected)."""
    source = _document(path, kind)
    first = source.page(1, want_text_layer=False)
    return render_thumbnail(first.image) if first.image is not None else None


def preview(pdf_path: str, index: int, width: int) -> bytes:
    """A page of a job's own searchable PDF, for the viewer; in a child, like every rendering of a PDF."""
    try:
        return render_preview(Path(pdf_path), index, width)
    except MemoryError:
        pass
    raise _out_of_memory(f"page {index + 1}")


def pdf_extras(pdf_path: str) -> tuple[EmbeddedInvoice | None, PdfFacts]:
    """The e-invoice a PDF carries, and its signatures and permissions; read in a child because the PDF's
    structure and attachments are parsed (pypdf, lxml, PDFium)."""
    return embedded_invoice(Path(pdf_path)), pdf_facts(Path(pdf_path))


def xml_invoice(path: str) -> Invoice:
    """An uploaded XML e-invoice; parsed in a child like every other upload."""
    return read_invoice_xml(Path(path).read_bytes())


def assemble(
    parts: list[tuple[str, int]],
    target: str,
    attachments: Sequence[Attachment] = (),
    output: PdfOutput = PdfOutput.auto,
) -> PdfOutput:
    """The searchable PDF, the job's archive copy, from the pages' own PDFs and, for text-layer pages, the
    original's pages unchanged: by default PDF/A-2b, or PDF/A-3b with ``attachments`` (the e-invoice XML)."""
    pages = [(Path(path), number) for path, number in parts]
    return write_archive(pages, Path(target), output=output, attachments=attachments)


def convert(
    engine_name: str, path: str, kind: str, pages: list[int], languages: list[str], timeout: float
) -> list[Page]:
    try:
        converter = document_engine(_engine(engine_name))
        return converter.convert(Path(path), kind, pages=pages, languages=languages, timeout=timeout)
    except MemoryError:
        pass
    raise _out_of_memory("the document")
