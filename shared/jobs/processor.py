"""Runs one job: pages → engine or text layer → result → artifacts; records success or the problem."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from datetime import datetime

from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from shared.db.models import Job, JobStatus, utcnow
from shared.documents.orientation import warm_up as warm_orientation
from shared.documents.sniff import DocumentKind
from shared.documents.source import open_document
from shared.engines.registry import EngineRegistry
from shared.errors import AblageError
from shared.jobs.completion import CompletionWaiters
from shared.jobs.pipeline import build_result, recognize_pages
from shared.metrics import JOBS, PROCESSING_SECONDS
from shared.results.model import OcrResult
from shared.results.render import ARTIFACTS
from shared.settings import Settings
from shared.storage.base import Area, Storage

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 512
THUMBNAIL_KEY = "{sha256}/page-1.webp"


class JobDeleted(Exception):
    """The job's row went away while it ran (a client deleted it)."""


class JobProcessor:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        storage: Storage,
        engines: EngineRegistry,
        waiters: CompletionWaiters,
        warm_engines: tuple[str, ...] = (),
    ) -> None:
        self._warm_engines = warm_engines
        self._settings = settings
        self._sessions = sessions
        self._storage = storage
        self._engines = engines
        self._waiters = waiters

    def warm_up(self) -> None:
        """Runs in each worker thread: builds the thread's engine state for the default languages."""
        if self._settings.ocr.detect_orientation:
            warm_orientation()
        for name in self._warm_engines:
            if self._engines.is_available(name):
                self._engines.get(name).warm_up(self._settings.ocr.languages)

    def __call__(self, job_id: str) -> None:
        started = time.monotonic()
        with self._sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None or job.finished:
                return
            job.status = JobStatus.running
            job.started_at = utcnow()
            job.pages_done = 0
            session.flush()
            session.expunge(job)
        JOBS.labels(JobStatus.running).inc()
        try:
            result = self._run(job, deadline=started + self._settings.ocr.processing_timeout)
            self._store_artifacts(result)
            self._finish(job_id, JobStatus.succeeded, None)
        except JobDeleted:
            self._storage.delete_prefix(Area.processed, job_id)
        except AblageError as exc:
            log.info("job %s failed: %s", job_id, exc.detail)
            self._finish(job_id, JobStatus.failed, exc.problem())
        except Exception:
            log.exception("job %s failed unexpectedly", job_id)
            problem = AblageError("processing failed unexpectedly; the error has been logged").problem()
            self._finish(job_id, JobStatus.failed, problem)
        finally:
            PROCESSING_SECONDS.labels(job.engine).observe(time.monotonic() - started)
            self._waiters.notify(job_id)

    def _run(self, job: Job, deadline: float) -> OcrResult:
        engine = self._engines.get(job.engine)
        thumbnail_key = THUMBNAIL_KEY.format(sha256=job.document_sha256)
        needs_thumbnail = not self._storage.exists(Area.thumbnails, thumbnail_key)

        def thumbnail_from(number: int, image: Image.Image) -> None:
            nonlocal needs_thumbnail
            if number == 1 and needs_thumbnail:
                self._storage.put_bytes(Area.thumbnails, thumbnail_key, _thumbnail(image))
                needs_thumbnail = False

        with self._storage.local_path(Area.originals, job.document_sha256) as path:
            source = open_document(path, DocumentKind(job.document.kind), self._settings.upload)
            try:
                pages = recognize_pages(
                    source,
                    job.pages,
                    engine,
                    languages=job.languages,
                    force_ocr=job.force_ocr,
                    detect_orientation=self._settings.ocr.detect_orientation,
                    deadline=deadline,
                    on_page=lambda done, _page: self._progress(job.id, done),
                    on_image=thumbnail_from,
                )
                if needs_thumbnail:
                    # Page 1 was not rendered: it was not selected, or it was read from its text layer.
                    first = source.page(1, want_text_layer=False)
                    if first.image is not None:
                        thumbnail_from(1, first.image)
            finally:
                source.close()
        return build_result(job.id, engine, job.languages, pages)

    def _store_artifacts(self, result: OcrResult) -> None:
        for artifact in ARTIFACTS.values():
            self._storage.put_bytes(
                Area.processed, f"{result.id}/{artifact.filename}", artifact.render(result).encode()
            )

    def _update(self, job_id: str, change: Callable[[Job], None]) -> None:
        with self._sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise JobDeleted(job_id)
            change(job)

    def _progress(self, job_id: str, done: int) -> None:
        def advance(job: Job) -> None:
            job.pages_done = done

        self._update(job_id, advance)

    def _finish(self, job_id: str, status: JobStatus, problem: dict[str, object] | None) -> None:
        finished: datetime = utcnow()

        def finish(job: Job) -> None:
            job.status = status
            job.error = problem
            job.finished_at = finished

        try:
            self._update(job_id, finish)
        except JobDeleted:
            self._storage.delete_prefix(Area.processed, job_id)
            return
        JOBS.labels(status).inc()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()
