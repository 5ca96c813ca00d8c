"""Runs one job: pages → engine or text layer → result → artifacts; records success or the problem."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from ablage.db.models import Job, JobStatus, Tenant
from ablage.documents.orientation import warm_up as warm_orientation
from ablage.documents.sniff import DocumentKind
from ablage.engines.base import EngineHost, EngineInput, document_engine, page_engine
from ablage.engines.scripts import FRAKTUR_ENGINE, Script
from ablage.errors import AblageError, EngineFallback
from ablage.executor import child
from ablage.executor.page import ReadingOptions
from ablage.executor.pool import Cancelled
from ablage.invoices.fields import XML_READER, Invoice
from ablage.invoices.text import invoice_markdown, invoice_text
from ablage.invoices.xml import XML_READER_VERSION
from ablage.jobs.backends import Backends
from ablage.jobs.lifecycle import JobDeleted, JobLost, TenantAtCapacity
from ablage.jobs.liveness import Liveness
from ablage.jobs.pipeline import ReadRequest, build_result, invoice_attachments, pdf_extras, read_document
from ablage.jobs.queue import TransientJobError
from ablage.metrics import FALLBACKS, JOBS, PAGES, PROCESSING_SECONDS
from ablage.results.archive_pdf import PdfOutput
from ablage.results.key_fields import find_key_fields
from ablage.results.model import EngineRef, OcrResult
from ablage.results.page_image import Optimize
from ablage.results.render import ARTIFACTS, ResultFormat
from ablage.results.spelling import Spelling
from ablage.results.thumbnail import THUMBNAIL_KEY
from ablage.search.index import index_result
from ablage.storage.base import Area, StorageError

# The engine of a second opinion: it reads every language whose model is installed, and differs from the others
# in how it fails.
SECOND_OPINION = "tesseract"

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ablage.jobs.fallback import CpuFallback
    from ablage.jobs.routes import ServiceRoute

log = logging.getLogger(__name__)


# Failures of the service's own parts, not of the document: worth another attempt.
TRANSIENT = (OperationalError, InterfaceError, PoolTimeout, StorageError, ConnectionError, TimeoutError)

_CAPACITY_RETRY = 2.0
"""Seconds (plus up to as many again) before a job of a tenant at its running limit is offered again."""


class JobProcessor:
    """Runs one job per call. Claims it in the database first, so however often the queue delivers a job,
    one worker at a time runs it, and a finished job is never run again. Its pages run in the page processes;
    this thread waits for them, records progress, and stores the results."""

    def __init__(
        self,
        backends: Backends,
        warm_engines: tuple[str, ...] = (),
        fallback: CpuFallback | None = None,
    ) -> None:
        self._warm_engines = warm_engines
        self._fallback = fallback
        self._settings = backends.settings
        self._lifecycle = backends.lifecycle
        self._storage = backends.storage
        self._engines = backends.engines
        self._waiters = backends.waiters
        self._pages = backends.pages
        self._queue = backends.queue
        self._tenants = backends.tenants
        self._sessions = backends.sessions
        self.liveness = Liveness(backends.settings.ocr.page_timeout + backends.settings.queue.worker_stall_timeout)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"

    @classmethod
    def serving(cls, backends: Backends, routes: Iterable[ServiceRoute], warm_engines: tuple[str, ...]) -> JobProcessor:
        """The processor of an API process or ``ablage worker``: jobs whose GPU engine gives up move on to
        their route's CPU engines. Its page processes start now, warming the engines they will run."""
        from ablage.jobs.fallback import CpuFallback

        fallback = CpuFallback(routes, backends.engines, backends.queue)
        processor = cls(backends, warm_engines, fallback)
        backends.pages.start(processor._child_engines())
        return processor

    def _max_running(self, tenant: str) -> int:
        return self._tenants.limits(tenant).max_running_jobs

    def _child_engines(self) -> list[str]:
        return [
            name
            for name in self._warm_engines
            if self._engines.is_available(name) and self._engines.get(name).host is EngineHost.page_process
        ]

    def warm_up(self) -> None:
        """Runs in each worker thread: the engines of this process (GPU) build their thread's state."""
        for name in self._warm_engines:
            if self._engines.is_available(name):
                engine = self._engines.get(name)
                if engine.host is EngineHost.service:
                    if self._settings.ocr.detect_orientation:
                        warm_orientation()
                    engine.warm_up(self._settings.ocr.languages)

    def __call__(self, job_id: str) -> None:
        try:
            self._process(job_id)
        except TRANSIENT as exc:
            # The database or storage failed outside a job's run (claiming, finishing): try again later.
            log.warning("job %s: %s; it will be delivered again", job_id, type(exc).__name__)
            raise TransientJobError(job_id) from exc

    def _process(self, job_id: str) -> None:
        holder = f"{self.worker_id}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        try:
            job = self._lifecycle.claim(job_id, holder, self._max_running)
        except TenantAtCapacity:
            # Its tenant's other jobs hold their share of the workers: it waits its turn in the queue, and this
            # worker takes the next message, perhaps another tenant's.
            delay = _CAPACITY_RETRY * (1 + random.random())
            log.debug("job %s waits %.1f s: its tenant runs as many jobs as it may", job_id, delay)
            self._queue.enqueue(job_id, self._lifecycle.queue_of(job_id) or "cpu", delay=delay)
            return
        if job is None:
            # Finished, cancelled, deleted, or alive in another worker: this delivery is a duplicate.
            return
        if job.attempts > self._settings.queue.job_max_attempts:
            previous = (job.error or {}).get("detail", "its worker stopped while processing it")
            gave_up = AblageError(f"gave up after {job.attempts - 1} attempts; the last one failed: {previous}")
            self._finish(job_id, holder, JobStatus.failed, gave_up.problem())
            return
        started = time.monotonic()
        deadline = started + self._settings.ocr.processing_timeout
        JOBS.labels(JobStatus.running).inc()
        self._waiters.notify(job_id)
        with (
            self._lifecycle.cancels.watching(job_id) as cancelled,
            self.liveness.busy(job_id) as step,
        ):
            beat = _Heartbeat(self, job_id, holder, deadline, cancelled)
            beat.start()
            try:
                result = self._run(job, holder, deadline, cancelled, step)
                self._store_artifacts(result)
                step()
                self._finish(job_id, holder, JobStatus.succeeded, None, indexed=result)
            except Cancelled:
                log.info("job %s stopped: it was cancelled, deleted or taken over", job_id)
                if self._lifecycle.status(job_id) in (None, JobStatus.cancelled):
                    # What this run stored is not a result. A job taken over keeps what its new worker stores.
                    self._storage.delete_prefix(Area.processed, job_id)
            except JobDeleted:
                pass
            except JobLost as exc:
                if exc.cancelled:
                    self._storage.delete_prefix(Area.processed, job_id)
            except EngineFallback as exc:
                self._fall_back(job, holder, exc)
            except AblageError as exc:
                log.info("job %s failed: %s", job_id, exc.detail)
                self._finish(job_id, holder, JobStatus.failed, exc.problem())
            except TRANSIENT as exc:
                reason = f"{type(exc).__name__}: {exc}"[:500]
                if job.attempts >= self._settings.queue.job_max_attempts:
                    final = AblageError(f"gave up after {job.attempts} attempts; the last one failed: {reason}")
                    with contextlib.suppress(*TRANSIENT):
                        self._finish(job_id, holder, JobStatus.failed, final.problem())
                    return
                log.warning("job %s attempt %d hit %s; it will be retried", job_id, job.attempts, type(exc).__name__)
                with contextlib.suppress(*TRANSIENT, JobDeleted, JobLost):
                    self._lifecycle.release(job_id, holder, reason)
                raise TransientJobError(job_id) from exc
            except Exception:
                log.exception("job %s failed unexpectedly", job_id)
                problem = AblageError("processing failed unexpectedly; the error has been logged").problem()
                self._finish(job_id, holder, JobStatus.failed, problem)
            finally:
                beat.stop()
                PROCESSING_SECONDS.labels(job.engine).observe(time.monotonic() - started)
                self._waiters.notify(job_id)

    def _run(
        self, job: Job, holder: str, deadline: float, cancelled: threading.Event, step: Callable[[], None]
    ) -> OcrResult:
        if job.engine == XML_READER:
            return self._read_xml_invoice(job, holder, deadline, cancelled)
        # A worker may wait for an engine still loading (a job recovered at start-up), within the job's time.
        self._engines.wait(job.engine, max(0.0, deadline - time.monotonic()))
        found = self._engines.get(job.engine)
        if found.reads is EngineInput.documents:
            return self._convert(job, holder, deadline, cancelled)
        engine = page_engine(found)
        kind = DocumentKind(job.document.kind)
        thumbnail_key = THUMBNAIL_KEY.format(sha256=job.document_sha256)

        def progress(done: int, _page: object) -> None:
            step()
            self._lifecycle.progress(job.id, holder, done)
            # Live progress (the events endpoint) on this and, through Redis, every other replica.
            self._waiters.notify(job.id)

        with (
            self._storage.local_path(Area.originals, job.document_sha256) as path,
            tempfile.TemporaryDirectory(dir=self._settings.upload_tmp_dir) as scratch,
        ):
            target = Path(scratch) / ARTIFACTS[ResultFormat.pdf].filename
            request = ReadRequest(
                path=path,
                kind=kind,
                pages=job.pages,
                engine=engine,
                languages=job.languages,
                force_ocr=job.force_ocr,
                detect_orientation=self._settings.ocr.detect_orientation,
                searchable_pdf=target,
                pdf_output=PdfOutput(job.pdf_output),
                pdf_optimize=Optimize(job.pdf_optimize),
                reading=ReadingOptions(
                    script=Script(job.script),
                    fraktur_engine=FRAKTUR_ENGINE if job.script != Script.latin else None,
                    spelling=Spelling(job.spelling),
                    deskew=self._settings.ocr.deskew,
                    second_engine=self._second_engine(job),
                ),
                thumbnail=not self._storage.exists(Area.thumbnails, thumbnail_key),
            )
            outcome = read_document(
                self._pages, request, scratch=Path(scratch), deadline=deadline, cancelled=cancelled, on_page=progress
            )
            step()
            if outcome.thumbnail is not None:
                self._storage.put_bytes(Area.thumbnails, thumbnail_key, outcome.thumbnail)
            self._storage.put_file(Area.processed, f"{job.id}/{target.name}", target)
        return build_result(
            job.id,
            engine,
            job.languages,
            outcome.pages,
            outcome.invoice,
            outcome.original,
            outcome.archive,
            review_threshold=self._review_threshold(job.tenant_id),
        )

    def _read_xml_invoice(self, job: Job, holder: str, deadline: float, cancelled: threading.Event) -> OcrResult:
        """An XML e-invoice: its fields, and a text and Markdown made from them; no pages, nothing OCR'd."""
        with self._storage.local_path(Area.originals, job.document_sha256) as path:
            invoice: Invoice = self._pages.call(
                child.xml_invoice,
                str(path),
                what="the XML invoice",
                timeout=max(0.001, deadline - time.monotonic()),
                cancelled=cancelled,
            )
        self._lifecycle.progress(job.id, holder, len(job.pages))
        return OcrResult(
            id=job.id,
            engine=EngineRef(name=XML_READER, version=XML_READER_VERSION),
            languages=job.languages,
            pages=[],
            text=invoice_text(invoice),
            markdown=invoice_markdown(invoice),
            key_fields=find_key_fields([], invoice),
            invoice=invoice,
        )

    def _convert(self, job: Job, holder: str, deadline: float, cancelled: threading.Event) -> OcrResult:
        """A document engine reads the whole file, in a page process. PDFs keep their own pages as the
        searchable PDF (the engine read their text layer, or its OCR boxes are in page points); office files
        have none."""
        engine = document_engine(self._engines.get(job.engine))
        kind = DocumentKind(job.document.kind)
        key = THUMBNAIL_KEY.format(sha256=job.document_sha256)
        with (
            self._storage.local_path(Area.originals, job.document_sha256) as path,
            tempfile.TemporaryDirectory(dir=self._settings.upload_tmp_dir) as scratch,
        ):
            pages = self._pages.convert(
                job.engine,
                str(path),
                kind.value,
                pages=job.pages,
                languages=job.languages,
                deadline=deadline,
                cancelled=cancelled,
            )
            self._lifecycle.progress(job.id, holder, len(job.pages))
            remaining = max(0.001, deadline - time.monotonic())
            if not kind.is_office and not self._storage.exists(Area.thumbnails, key):
                thumbnail = self._pages.call(
                    child.thumbnail, str(path), kind.value, what="page 1", timeout=remaining, cancelled=cancelled
                )
                if thumbnail is not None:
                    self._storage.put_bytes(Area.thumbnails, key, thumbnail)
            found, original = None, None
            if kind is DocumentKind.pdf:
                found, original = pdf_extras(self._pages, path, deadline, cancelled)
                target = Path(scratch) / ARTIFACTS[ResultFormat.pdf].filename
                self._pages.call(
                    child.assemble,
                    [(str(path), number) for number in job.pages],
                    str(target),
                    invoice_attachments(found),
                    what="the searchable PDF",
                    timeout=max(0.001, deadline - time.monotonic()),
                    cancelled=cancelled,
                )
                self._storage.put_file(Area.processed, f"{job.id}/{target.name}", target)
        for page in pages:
            PAGES.labels(page.engine, page.source).inc()
        invoice = found.invoice if found is not None else None
        return build_result(
            job.id,
            engine,
            job.languages,
            pages,
            invoice,
            original,
            review_threshold=self._review_threshold(job.tenant_id),
        )

    def _second_engine(self, job: Job) -> str | None:
        """Tesseract, for a second opinion on the unsure pages of a job read by another engine on the CPU."""
        if not self._settings.ocr.second_opinion or job.engine == SECOND_OPINION or job.queue != "cpu":
            return None
        return SECOND_OPINION if self._engines.is_available(SECOND_OPINION) else None

    def _review_threshold(self, tenant: str) -> float:
        with self._sessions() as session:
            own = session.scalar(select(Tenant.review_threshold).where(Tenant.id == tenant))
        return own if own is not None else self._settings.ocr.review_threshold

    def _store_artifacts(self, result: OcrResult) -> None:
        for artifact in ARTIFACTS.values():
            if artifact.render is not None:
                body = artifact.render(result).encode()
                self._storage.put_bytes(Area.processed, f"{result.id}/{artifact.filename}", body)

    def _fall_back(self, job: Job, holder: str, exc: EngineFallback) -> None:
        """Hand the job to a CPU engine on the cpu queue; it starts over there, as an attempt of its own."""
        target = self._fallback.engine_for(job) if self._fallback is not None else None
        if target is None:
            log.info("job %s failed: %s, and no fallback engine is available", job.id, exc.detail)
            self._finish(job.id, holder, JobStatus.failed, exc.problem())
            return
        FALLBACKS.labels(job.engine, exc.reason).inc()
        log.warning("job %s: %s; it runs again on %s", job.id, exc.detail, target)
        with contextlib.suppress(JobDeleted, JobLost):
            self._lifecycle.move(job.id, holder, target, "cpu", f"{job.engine}: {exc.detail}; moved to {target}")
            assert self._fallback is not None
            self._fallback.send(job.id)

    def heartbeat(self, job_id: str, holder: str) -> None:
        self._lifecycle.heartbeat(job_id, holder)

    def _finish(
        self,
        job_id: str,
        holder: str,
        status: JobStatus,
        problem: dict[str, object] | None,
        indexed: OcrResult | None = None,
    ) -> None:
        """``indexed``: the result that becomes the document's searchable version as the job succeeds."""

        def index(session: Session, job: Job) -> None:
            assert indexed is not None
            job.flagged_pages = [page.number for page in indexed.pages if page.review and page.review.flagged]
            index_result(session, job, indexed)

        try:
            self._lifecycle.finish(job_id, holder, status, problem, also=index if indexed is not None else None)
        except JobDeleted:
            self._storage.delete_prefix(Area.processed, job_id)
            return
        except JobLost as exc:
            if exc.cancelled:
                self._storage.delete_prefix(Area.processed, job_id)
            return
        JOBS.labels(status).inc()


class _Heartbeat:
    """Keeps the job's claim fresh while its pages run, so no one presumes this worker dead, until the job's
    deadline: a worker stuck past it stops beating and the sweeper hands the job to another. It also notices
    a job cancelled or deleted elsewhere whose signal did not arrive."""

    def __init__(
        self, processor: JobProcessor, job_id: str, holder: str, deadline: float, cancelled: threading.Event
    ) -> None:
        self._processor = processor
        self._job_id = job_id
        self._holder = holder
        self._deadline = deadline
        self._cancelled = cancelled
        self._stop = threading.Event()
        interval = processor._settings.queue.queue_visibility_timeout / 3
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True, name=f"heartbeat-{job_id}")

    def start(self) -> None:
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            if time.monotonic() > self._deadline:
                log.warning("job %s ran past its processing timeout; its heartbeat stops", self._job_id)
                return
            try:
                self._processor.heartbeat(self._job_id, self._holder)
            except (JobDeleted, JobLost):
                self._cancelled.set()
                return
            except TRANSIENT:
                log.warning("heartbeat for job %s failed; retrying", self._job_id)

    def stop(self) -> None:
        self._stop.set()
