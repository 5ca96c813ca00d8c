"""Runs one job: pages → engine or text layer → result → artifacts; records success or the problem."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from sqlalchemy import CursorResult, and_, or_, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import Job, JobStatus, utcnow
from ablage.documents.orientation import warm_up as warm_orientation
from ablage.documents.sniff import DocumentKind
from ablage.documents.source import open_document
from ablage.engines.base import DocumentEngine, EngineInput, document_engine, page_engine
from ablage.engines.supervisor import EngineSupervisor
from ablage.errors import AblageError, EngineFallback
from ablage.jobs.completion import CompletionWaiters
from ablage.jobs.pipeline import build_result, recognize_pages
from ablage.jobs.queue import TransientJobError
from ablage.metrics import FALLBACKS, JOBS, PAGES, PROCESSING_SECONDS
from ablage.results.model import OcrResult
from ablage.results.render import ARTIFACTS, ResultFormat
from ablage.results.searchable_pdf import SearchablePdfWriter
from ablage.results.thumbnail import THUMBNAIL_KEY, render_thumbnail
from ablage.settings import Settings
from ablage.storage.base import Area, Storage, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ablage.jobs.backends import Backends
    from ablage.jobs.fallback import CpuFallback
    from ablage.jobs.routes import ServiceRoute

log = logging.getLogger(__name__)


class JobDeleted(Exception):
    """The job's row went away while it ran (a client deleted it)."""


class JobLost(Exception):
    """Another worker claimed the job (this one was presumed dead); its work is discarded."""


# Failures of the service's own parts, not of the document: worth another attempt.
TRANSIENT = (OperationalError, InterfaceError, StorageError, ConnectionError, TimeoutError)


class JobProcessor:
    """Runs one job per call. Claims it in the database first, so however often the queue delivers a job,
    one worker at a time runs it, and a finished job is never run again."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        storage: Storage,
        engines: EngineSupervisor,
        waiters: CompletionWaiters,
        warm_engines: tuple[str, ...] = (),
        fallback: CpuFallback | None = None,
    ) -> None:
        self._warm_engines = warm_engines
        self._fallback = fallback
        self._settings = settings
        self._sessions = sessions
        self._storage = storage
        self._engines = engines
        self._waiters = waiters
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"

    @classmethod
    def serving(
        cls, settings: Settings, backends: Backends, routes: Iterable[ServiceRoute], warm_engines: tuple[str, ...]
    ) -> JobProcessor:
        """The processor of an API process or ``ablage worker``: jobs whose GPU engine gives up move on to
        their route's CPU engines."""
        from ablage.jobs.fallback import CpuFallback

        fallback = CpuFallback(routes, backends.engines, backends.queue)
        return cls(
            settings, backends.sessions, backends.storage, backends.engines, backends.waiters, warm_engines, fallback
        )

    def warm_up(self) -> None:
        """Runs in each worker thread: builds the thread's engine state for the default languages."""
        if self._settings.ocr.detect_orientation:
            warm_orientation()
        for name in self._warm_engines:
            if self._engines.is_available(name):
                self._engines.get(name).warm_up(self._settings.ocr.languages)

    def _claim(self, job_id: str, holder: str) -> Job | None:
        now = utcnow()
        stale = now - timedelta(seconds=self._settings.queue.queue_visibility_timeout)
        claimable = or_(
            Job.status == JobStatus.queued,
            and_(Job.status == JobStatus.running, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale)),
        )
        with self._sessions.begin() as session:
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Job)
                .where(Job.id == job_id, claimable)
                .values(
                    status=JobStatus.running,
                    attempts=Job.attempts + 1,
                    worker=holder,
                    heartbeat_at=now,
                    started_at=now,
                    pages_done=0,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                return None
            job = session.get(Job, job_id)
            assert job is not None
            session.expunge(job)
            return job

    def __call__(self, job_id: str) -> None:
        try:
            self._process(job_id)
        except TRANSIENT as exc:
            # The database or storage failed outside a job's run (claiming, finishing): try again later.
            log.warning("job %s: %s; it will be delivered again", job_id, type(exc).__name__)
            raise TransientJobError(job_id) from exc

    def _process(self, job_id: str) -> None:
        holder = f"{self.worker_id}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        job = self._claim(job_id, holder)
        if job is None:
            # Finished, deleted, or alive in another worker: this delivery is a duplicate.
            return
        if job.attempts > self._settings.queue.job_max_attempts:
            previous = (job.error or {}).get("detail", "its worker stopped while processing it")
            gave_up = AblageError(f"gave up after {job.attempts - 1} attempts; the last one failed: {previous}")
            self._finish(job_id, holder, JobStatus.failed, gave_up.problem())
            return
        started = time.monotonic()
        JOBS.labels(JobStatus.running).inc()
        beat = _Heartbeat(self, job_id, holder)
        beat.start()
        try:
            result = self._run(job, holder, deadline=started + self._settings.ocr.processing_timeout)
            self._store_artifacts(result)
            self._finish(job_id, holder, JobStatus.succeeded, None)
        except (JobDeleted, JobLost):
            pass
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
            self._release(job_id, holder, reason)
            raise TransientJobError(job_id) from exc
        except Exception:
            log.exception("job %s failed unexpectedly", job_id)
            problem = AblageError("processing failed unexpectedly; the error has been logged").problem()
            self._finish(job_id, holder, JobStatus.failed, problem)
        finally:
            beat.stop()
            PROCESSING_SECONDS.labels(job.engine).observe(time.monotonic() - started)
            self._waiters.notify(job_id)

    def _run(self, job: Job, holder: str, deadline: float) -> OcrResult:
        # A worker may wait for an engine still loading (a job recovered at start-up), within the job's time.
        self._engines.wait(job.engine, max(0.0, deadline - time.monotonic()))
        found = self._engines.get(job.engine)
        if found.reads is EngineInput.documents:
            return self._convert(job, document_engine(found), holder, deadline)
        engine = page_engine(found)
        thumbnail_key = THUMBNAIL_KEY.format(sha256=job.document_sha256)
        needs_thumbnail = not self._storage.exists(Area.thumbnails, thumbnail_key)

        def thumbnail_from(number: int, image: Image.Image) -> None:
            nonlocal needs_thumbnail
            if number == 1 and needs_thumbnail:
                self._storage.put_bytes(Area.thumbnails, thumbnail_key, render_thumbnail(image))
                needs_thumbnail = False

        with (
            self._storage.local_path(Area.originals, job.document_sha256) as path,
            tempfile.TemporaryDirectory(dir=self._settings.upload_tmp_dir) as scratch,
        ):
            source = open_document(path, DocumentKind(job.document.kind), self._settings.upload)
            pdf = SearchablePdfWriter()
            try:
                pages = recognize_pages(
                    source,
                    job.pages,
                    engine,
                    languages=job.languages,
                    force_ocr=job.force_ocr,
                    detect_orientation=self._settings.ocr.detect_orientation,
                    deadline=deadline,
                    on_page=lambda done, _page: self._progress(job.id, holder, done),
                    on_image=thumbnail_from,
                    searchable_pdf=pdf,
                    original_pdf=path if job.document.kind == DocumentKind.pdf else None,
                )
                if needs_thumbnail:
                    # Page 1 was not rendered: it was not selected, or it was read from its text layer.
                    first = source.page(1, want_text_layer=False)
                    if first.image is not None:
                        thumbnail_from(1, first.image)
                target = Path(scratch) / ARTIFACTS[ResultFormat.pdf].filename
                pdf.save(target)
                self._storage.put_file(Area.processed, f"{job.id}/{target.name}", target)
            finally:
                pdf.close()
                source.close()
        return build_result(job.id, engine, job.languages, pages)

    def _convert(self, job: Job, engine: DocumentEngine, holder: str, deadline: float) -> OcrResult:
        """A document engine reads the whole file. PDFs keep their own pages as the searchable PDF (the engine
        read their text layer, or its OCR boxes are in page points); office files have none."""
        kind = DocumentKind(job.document.kind)
        with (
            self._storage.local_path(Area.originals, job.document_sha256) as path,
            tempfile.TemporaryDirectory(dir=self._settings.upload_tmp_dir) as scratch,
        ):
            pages = engine.convert(
                path, kind.value, pages=job.pages, languages=job.languages, timeout=deadline - time.monotonic()
            )
            self._progress(job.id, holder, len(job.pages))
            if not kind.is_office:
                self._store_thumbnail(job, path, kind)
            if kind is DocumentKind.pdf:
                pdf = SearchablePdfWriter()
                try:
                    for number in job.pages:
                        pdf.add_original_page(path, number)
                    target = Path(scratch) / ARTIFACTS[ResultFormat.pdf].filename
                    pdf.save(target)
                    self._storage.put_file(Area.processed, f"{job.id}/{target.name}", target)
                finally:
                    pdf.close()
        for page in pages:
            PAGES.labels(page.engine, page.source).inc()
        return build_result(job.id, engine, job.languages, pages)

    def _store_thumbnail(self, job: Job, path: Path, kind: DocumentKind) -> None:
        key = THUMBNAIL_KEY.format(sha256=job.document_sha256)
        if self._storage.exists(Area.thumbnails, key):
            return
        source = open_document(path, kind, self._settings.upload)
        try:
            first = source.page(1, want_text_layer=False)
            if first.image is not None:
                self._storage.put_bytes(Area.thumbnails, key, render_thumbnail(first.image))
        finally:
            source.close()

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

        def move(row: Job) -> None:
            row.engine = target
            row.queue = "cpu"
            row.status = JobStatus.queued
            row.attempts = max(0, row.attempts - 1)  # the GPU's failure is not the document's
            row.pages_done = 0
            row.heartbeat_at = None
            row.error = {"detail": f"{job.engine}: {exc.detail}; moved to {target}"}

        with contextlib.suppress(JobDeleted, JobLost):
            self._update(job.id, holder, move)
            assert self._fallback is not None
            self._fallback.send(job.id)

    def _update(self, job_id: str, holder: str, change: Callable[[Job], None]) -> None:
        with self._sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise JobDeleted(job_id)
            if job.worker != holder or job.finished:
                raise JobLost(job_id)
            change(job)

    def heartbeat(self, job_id: str, holder: str) -> None:
        def touch(job: Job) -> None:
            job.heartbeat_at = utcnow()

        self._update(job_id, holder, touch)

    def _progress(self, job_id: str, holder: str, done: int) -> None:
        def advance(job: Job) -> None:
            job.pages_done = done
            job.heartbeat_at = utcnow()

        self._update(job_id, holder, advance)

    def _release(self, job_id: str, holder: str, reason: str) -> None:
        """Hand the job back to the queue after a transient failure; the retry claims it again."""

        def release(job: Job) -> None:
            job.status = JobStatus.queued
            job.heartbeat_at = None
            job.error = {"detail": reason}

        with contextlib.suppress(*TRANSIENT, JobDeleted, JobLost):
            self._update(job_id, holder, release)

    def _finish(self, job_id: str, holder: str, status: JobStatus, problem: dict[str, object] | None) -> None:
        finished: datetime = utcnow()

        def finish(job: Job) -> None:
            job.status = status
            job.error = problem
            job.finished_at = finished
            job.heartbeat_at = None

        try:
            self._update(job_id, holder, finish)
        except JobDeleted:
            self._storage.delete_prefix(Area.processed, job_id)
            return
        except JobLost:
            return
        JOBS.labels(status).inc()


class _Heartbeat:
    """Keeps the job's claim fresh while a long page is recognised, so no one presumes this worker dead."""

    def __init__(self, processor: JobProcessor, job_id: str, holder: str) -> None:
        self._processor = processor
        self._job_id = job_id
        self._holder = holder
        self._stop = threading.Event()
        interval = processor._settings.queue.queue_visibility_timeout / 3
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True, name=f"heartbeat-{job_id}")

    def start(self) -> None:
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self._processor.heartbeat(self._job_id, self._holder)
            except (JobDeleted, JobLost):
                return
            except TRANSIENT:
                log.warning("heartbeat for job %s failed; retrying", self._job_id)

    def stop(self) -> None:
        self._stop.set()
