"""Submitting, reading and deleting jobs. The original is stored before the job row exists,
and the row exists before the queue hears of it, so an accepted upload is never lost."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ablage.db.models import Document, Job, JobStatus, SearchPage, utcnow
from ablage.documents.selection import parse_pages, select_pages
from ablage.documents.sniff import MEDIA_TYPES, DocumentKind
from ablage.engines.base import EngineInput, document_engine
from ablage.engines.scripts import FRAKTUR_ENGINE, Script, fraktur_installed, reads_fraktur
from ablage.errors import (
    Backpressure,
    BadRequest,
    EngineUnavailable,
    IdempotencyKeyReused,
    InvalidOption,
    JobNotFound,
    PageNotFound,
    ResultExpired,
    ResultNotReady,
    UnsupportedMediaType,
)
from ablage.invoices.fields import XML_READER
from ablage.jobs.backends import Backends
from ablage.jobs.options import JobOptions
from ablage.jobs.queue import QueueUnavailable
from ablage.jobs.routes import ServiceRoute
from ablage.metrics import JOBS
from ablage.results.archive_pdf import PdfOutput
from ablage.results.model import OcrResult
from ablage.results.page_image import Optimize
from ablage.results.page_preview import PREVIEW_KEY
from ablage.results.render import ARTIFACTS, ResultFormat
from ablage.results.spelling import Spelling
from ablage.results.thumbnail import THUMBNAIL_KEY
from ablage.search.find import Filters, Hit, search_pages
from ablage.search.index import index_result
from ablage.search.query import parse_query
from ablage.storage.base import Area
from ablage.tenancy.quotas import charge_pages, check_queued, lock_tenant, tenant_admission
from ablage.webhooks.submission import check_callback

log = logging.getLogger(__name__)

_DOCUMENT_LOCKS = tuple(threading.Lock() for _ in range(64))

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _page_list(pages: list[int]) -> str:
    shown = ", ".join(str(page) for page in pages[:10])
    return shown + (f" and {len(pages) - 10} more" if len(pages) > 10 else "")


@dataclass
class Upload:
    path: Path
    sha256: str
    size: int
    filename: str | None


@dataclass
class SubmitForm:
    languages: str | None = None
    engine: str | None = None
    pages: str | None = None
    force_ocr: bool = False
    callback_url: str | None = None
    pdf_output: PdfOutput = PdfOutput.auto
    pdf_optimize: Optimize = Optimize.standard
    script: Script = Script.auto
    spelling: Spelling = Spelling.printed


@dataclass
class Submission:
    job: Job
    reused_original: bool
    reused_result: bool
    replayed: bool = False
    """An earlier request with the same Idempotency-Key created this job."""


class JobService:
    def __init__(self, backends: Backends) -> None:
        self._settings = backends.settings
        self._sessions = backends.sessions
        self._storage = backends.storage
        self._queue = backends.queue
        self._engines = backends.engines
        self._lifecycle = backends.lifecycle
        self._pages = backends.pages
        self._tenants = backends.tenants
        self._waiters = backends.waiters

    # -- submission ---------------------------------------------------------------------------------

    def _languages(self, raw: str | None) -> list[str]:
        if raw is None or not raw.strip():
            return list(self._settings.ocr.languages)
        codes = [code.strip().lower() for code in raw.split(",") if code.strip()]
        bad = [code for code in codes if not _LANGUAGE.match(code)]
        if bad or not codes:
            raise BadRequest(f"languages: {', '.join(bad) or raw!r} is not a comma list of ISO 639-1 codes")
        return list(dict.fromkeys(codes))

    def _engine(self, route: ServiceRoute, requested: str | None, languages: list[str], kind: DocumentKind) -> str:
        """``auto``: the most preferred available engine that reads every requested language, or for office
        files the first document engine that reads them."""
        # Exactly as the OpenAPI document lists them: an engine name is not case-folded or trimmed.
        name = requested or "auto"
        if kind is DocumentKind.xml:
            if name not in ("auto", XML_READER):
                raise InvalidOption(f"an XML e-invoice is read from its XML (engine auto), not by {name!r}")
            return XML_READER
        if name == "auto" and kind.is_office:
            return self._converter_for(route, kind)
        if name == "auto":
            # Only the engines' recorded state is read here; none is built or probed within a request.
            statuses = [self._engines.status(c) for c in route.candidates()]
            available = [s for s in statuses if s.available and s.reads is EngineInput.pages]
            if not available:
                initial = self._engines.backoff.initial
                soonest = (s.next_attempt_in(initial) for s in statuses)
                retry = min((seconds for seconds in soonest if seconds is not None), default=None)
                raise EngineUnavailable(
                    f"no OCR engine is available at {route.prefix}",
                    retry_after=max(1, math.ceil(retry)) if retry is not None else None,
                )
            for candidate in available:
                if set(languages) <= set(candidate.languages):
                    return candidate.name
            name = available[0].name  # the language check below names what is missing
        elif name not in route.offered():
            offered = ", ".join(("auto", *route.offered()))
            raise InvalidOption(f"engine {name!r} is not offered at {route.prefix}; choose one of {offered}")
        engine = self._engines.get(name)  # raises EngineUnavailable with the reason and when to retry
        if engine.reads is EngineInput.documents:
            if not document_engine(engine).accepts(kind.value):
                raise InvalidOption(f"engine {name!r} does not read {kind.value} files as configured here")
        elif kind.is_office:
            raise InvalidOption(f"{kind.value} files are converted by a document engine, not by {name!r}")
        supported = self._engines.status(name).languages
        missing = [code for code in languages if code not in supported]
        if missing:
            raise InvalidOption(
                f"languages: {', '.join(missing)} not available with {name}; available: {', '.join(supported)}"
            )
        return name

    def _reading(
        self, route: ServiceRoute, form: SubmitForm, languages: list[str], kind: DocumentKind
    ) -> tuple[str, Script]:
        """The engine and how it reads the script: ``script=fraktur`` needs Tesseract's Fraktur models (``auto``
        picks Tesseract for it); ``auto`` detects Fraktur per page where the engine was left to ``auto`` or is
        Tesseract, German is asked for and the Fraktur models are installed. Otherwise pages are read as Latin."""
        requested = form.engine or "auto"
        fraktur_ready = (
            fraktur_installed() and FRAKTUR_ENGINE in route.offered() and self._engines.is_available(FRAKTUR_ENGINE)
        )
        if form.script is Script.fraktur:
            if requested not in ("auto", FRAKTUR_ENGINE):
                raise InvalidOption(
                    f"script=fraktur is read by {FRAKTUR_ENGINE}'s Fraktur models, not by {requested!r}"
                )
            if not fraktur_ready:
                raise InvalidOption(
                    f"script=fraktur needs {FRAKTUR_ENGINE} with its Fraktur models (frk, Fraktur), which are not "
                    f"available at {route.prefix}"
                )
            return self._engine(route, FRAKTUR_ENGINE, languages, kind), Script.fraktur
        engine = self._engine(route, form.engine, languages, kind)
        detect = (
            form.script is Script.auto
            and requested in ("auto", FRAKTUR_ENGINE)
            and not kind.is_office
            and kind is not DocumentKind.xml
            and self._engines.status(engine).reads is EngineInput.pages
            and route.queue_for(engine) == "cpu"
            and reads_fraktur(languages)
            and fraktur_ready
        )
        return engine, Script.auto if detect else Script.latin

    def _converter_for(self, route: ServiceRoute, kind: DocumentKind) -> str:
        reasons: list[str] = []
        for name in route.converters:
            try:
                engine = self._engines.get(name)
            except EngineUnavailable as exc:
                reasons.append(exc.detail)
                continue
            if engine.reads is EngineInput.documents and document_engine(engine).accepts(kind.value):
                return name
        why = f" ({'; '.join(reasons)})" if reasons else ""
        raise UnsupportedMediaType(
            f"{kind.value} files need a document engine, and none is available at {route.prefix}{why}",
            detected=MEDIA_TYPES[kind],
        )

    def submit(
        self,
        upload: Upload,
        form: SubmitForm,
        route: ServiceRoute,
        tenant: str,
        idempotency_key: str | None = None,
        fresh: bool = False,
    ) -> Submission:
        """``fresh``: read the document again even where an earlier job with the same options has a result (a new
        version of a stored document)."""
        requested_pages = parse_pages(form.pages, self._settings.upload.max_pages)
        languages = self._languages(form.languages)
        found, page_count = self._pages.inspect(str(upload.path))
        kind = DocumentKind(found)
        pages = select_pages(requested_pages, page_count)
        engine, script = self._reading(route, form, languages, kind)
        if form.callback_url is not None:
            check_callback(self._sessions, self._settings.webhook, tenant, form.callback_url)
        options = JobOptions(
            tuple(languages),
            engine,
            tuple(pages),
            form.force_ocr,
            form.pdf_output,
            form.pdf_optimize,
            script,
            form.spelling,
        )
        if idempotency_key is not None:
            replay = self._replay(tenant, idempotency_key, upload.sha256, options.key())
            if replay is not None:
                return replay
        limits = self._tenants.limits(tenant)
        queue_name = route.queue_for(engine)
        waiting = self.queued_count(queue_name)
        if waiting >= self._settings.ocr.max_queue_depth:
            raise Backpressure(f"{waiting} jobs are waiting; try again later", retry_after=30)

        # The original is stored before any row refers to it, so a storage failure leaves no trace. Bytes are
        # stored once whoever sent them; what the tenant is told is whether it sent them before.
        if not self._storage.exists(Area.originals, upload.sha256):
            self._storage.put_file(Area.originals, upload.sha256, upload.path)

        job = Job(
            id=str(uuid.uuid4()),
            tenant_id=tenant,
            document_sha256=upload.sha256,
            filename=(upload.filename or "")[:255] or None,
            service=route.name,
            queue=queue_name,
            engine=engine,
            languages=languages,
            pages=pages,
            force_ocr=form.force_ocr,
            options_key=options.key(),
            pdf_output=form.pdf_output.value,
            pdf_optimize=int(form.pdf_optimize),
            script=options.script.value,
            spelling=options.spelling.value,
            idempotency_key=idempotency_key,
            callback_url=form.callback_url,
            attempts=0,
            pages_done=0,
            created_at=utcnow(),
        )

        def reuse(session: Session) -> str | None:
            if fresh:
                return None
            earlier = session.scalars(
                select(Job)
                .where(
                    Job.tenant_id == tenant,
                    Job.document_sha256 == upload.sha256,
                    Job.options_key == options.key(),
                    Job.status == JobStatus.succeeded,
                )
                .order_by(Job.finished_at.desc())
                .limit(1)
            ).first()
            return earlier.id if earlier is not None and self._copy_result(earlier.id, job.id) else None

        reused_original = False
        for attempt in range(2):
            try:
                with (
                    tenant_admission(tenant),
                    self._document_lock(upload.sha256),
                    self._sessions.begin() as session,
                ):
                    lock_tenant(session, tenant)
                    reused_original = self._hold_document(session, tenant, upload, kind, page_count)
                    reused_from = reuse(session)
                    if reused_from is None:
                        # A reused result costs no OCR, so it takes no place in the queue and no pages.
                        check_queued(session, tenant, limits)
                        charge_pages(session, tenant, len(pages), limits, utcnow())
                    self._lifecycle.admit(session, job, reused_from)
                break
            except IntegrityError:
                # A concurrent retry with the same Idempotency-Key won the insert, or another upload of the same
                # bytes inserted the document first (the second attempt finds and locks it).
                if idempotency_key is not None:
                    replay = self._replay(tenant, idempotency_key, upload.sha256, options.key())
                    if replay is not None:
                        return replay
                if attempt:
                    raise
        JOBS.labels(job.status).inc()
        if job.status is JobStatus.queued:
            self._send(job.id, queue_name)
        return Submission(self.get(job.id, tenant), reused_original, job.result_from is not None)

    def _send(self, job_id: str, queue_name: str) -> None:
        try:
            self._queue.enqueue(job_id, queue_name)
        except QueueUnavailable as exc:
            # Accepted and recorded: the sweeper sends it once the queue is back.
            log.warning("job %s is recorded but not yet queued: %s", job_id, exc)
            return
        self._lifecycle.mark_sent([job_id])

    def _replay(self, tenant: str, key: str, sha256: str, options_key: str) -> Submission | None:
        with self._sessions() as session:
            job = session.scalars(select(Job).where(Job.tenant_id == tenant, Job.idempotency_key == key)).first()
        if job is None:
            return None
        if (job.document_sha256, job.options_key) != (sha256, options_key):
            raise IdempotencyKeyReused(
                "this Idempotency-Key belongs to a request with another document or other options"
            )
        return Submission(job, reused_original=True, reused_result=job.result_from is not None, replayed=True)

    def queued_count(self, queue_name: str | None = None) -> int:
        query = select(func.count()).select_from(Job).where(Job.status == JobStatus.queued)
        if queue_name is not None:
            query = query.where(Job.queue == queue_name)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    @contextmanager
    def _document_lock(self, sha256: str) -> Iterator[None]:
        """Uploads and deletes of the same bytes in this process, one at a time: SQLite has no row locks."""
        with _DOCUMENT_LOCKS[int(sha256[:8], 16) % len(_DOCUMENT_LOCKS)]:
            yield

    def _hold_document(
        self, session: Session, tenant: str, upload: Upload, kind: DocumentKind, page_count: int
    ) -> bool:
        """Locks the rows of every tenant's document with these bytes (FOR UPDATE), and creates the tenant's own,
        for the rest of the transaction: a delete of the bytes' last job waits, or has finished, removing the
        original with the row; then the original is stored again. True if the tenant had the document."""
        holders = session.scalars(select(Document).where(Document.sha256 == upload.sha256).with_for_update()).all()
        if any(document.tenant_id == tenant for document in holders):
            return True
        if not self._storage.exists(Area.originals, upload.sha256):
            self._storage.put_file(Area.originals, upload.sha256, upload.path)
        session.add(
            Document(
                tenant_id=tenant,
                sha256=upload.sha256,
                kind=kind.value,
                content_type=MEDIA_TYPES[kind],
                size=upload.size,
                page_count=page_count,
            )
        )
        session.flush()
        return False

    def _copy_result(self, source_job: str, target_job: str) -> bool:
        try:
            for fmt, artifact in ARTIFACTS.items():
                key = f"{source_job}/{artifact.filename}"
                if fmt is ResultFormat.json:
                    result = json.loads(self._storage.get_bytes(Area.processed, key))
                    result["id"] = target_job
                    self._storage.put_bytes(
                        Area.processed, f"{target_job}/{artifact.filename}", json.dumps(result).encode()
                    )
                else:
                    self._storage.copy(Area.processed, key, f"{target_job}/{artifact.filename}")
        except FileNotFoundError:
            # The earlier result is gone (deleted meanwhile); OCR again instead.
            self._storage.delete_prefix(Area.processed, target_job)
            return False
        return True

    # -- reading and deleting -------------------------------------------------------------------------

    def get(self, job_id: str, tenant: str) -> Job:
        """The tenant's job; another tenant's is as absent as one that never existed (404, never 403)."""
        if "\x00" in job_id:
            # No job has such an id, and PostgreSQL refuses the string outright.
            raise JobNotFound(f"there is no job {job_id!r}")
        with self._sessions() as session:
            job = session.get(Job, job_id)
            if job is None or job.tenant_id != tenant:
                raise JobNotFound(f"there is no job {job_id}")
            return job

    def list_jobs(self, tenant: str, limit: int, before: str | None = None) -> tuple[list[Job], str | None]:
        """The tenant's jobs, newest first, ``limit`` at a time; the id to pass as ``before`` for the next ones
        (None after the last). ``before`` is a job of the tenant's (404 otherwise, as for any other job)."""
        query = select(Job).where(Job.tenant_id == tenant)
        if before is not None:
            after = self.get(before, tenant)
            query = query.where(
                or_(Job.created_at < after.created_at, and_(Job.created_at == after.created_at, Job.id < after.id))
            )
        with self._sessions() as session:
            jobs = list(session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)))
        more = len(jobs) > limit
        jobs = jobs[:limit]
        return jobs, (jobs[-1].id if more else None)

    def page_image(self, job_id: str, tenant: str, number: int, width: int) -> bytes:
        """Page ``number`` of the job's searchable PDF as WebP, made once per width and kept with the results."""
        job = self._succeeded(job_id, tenant)
        if not DocumentKind(job.document.kind).has_pages:
            raise InvalidOption(f"a {job.document.kind} document has no page images; its result has no pixel boxes")
        if number not in job.pages:
            raise PageNotFound(f"page {number} was not read by job {job_id}; it read {_page_list(job.pages)}")
        key = PREVIEW_KEY.format(job_id=job_id, number=number, width=width)
        try:
            return self._storage.get_bytes(Area.processed, key)
        except FileNotFoundError:
            pass
        try:
            with self._storage.local_path(Area.processed, self.result_key(job_id, ResultFormat.pdf)) as pdf:
                image = self._pages.preview(str(pdf), job.pages.index(number), width)
        except FileNotFoundError:
            raise ResultExpired("the result has been removed under the retention policy") from None
        self._storage.put_bytes(Area.processed, key, image)
        return image

    def _succeeded(self, job_id: str, tenant: str) -> Job:
        job = self.get(job_id, tenant)
        if job.status is JobStatus.failed:
            raise ResultNotReady("the job failed; see its error", job_error=job.error)
        if job.status is JobStatus.cancelled:
            raise ResultNotReady("the job was cancelled; it has no result", job_error=job.error)
        if not job.finished:
            raise ResultNotReady(f"the job is {job.status}; poll its status until it has succeeded")
        return job

    def result(self, job_id: str, tenant: str, fmt: ResultFormat) -> bytes:
        job = self._succeeded(job_id, tenant)
        if fmt is ResultFormat.pdf and not DocumentKind(job.document.kind).has_pages:
            raise InvalidOption(f"a {job.document.kind} document has no searchable PDF; ask for json, text or markdown")
        try:
            return self._storage.get_bytes(Area.processed, self.result_key(job_id, fmt))
        except FileNotFoundError:
            raise ResultExpired("the result has been removed under the retention policy") from None

    def result_url(self, job_id: str, tenant: str, fmt: ResultFormat) -> str | None:
        """A short-lived direct link where the storage offers one (S3), else None."""
        presign = getattr(self._storage, "presigned_url", None)
        if presign is None:
            return None
        self._succeeded(job_id, tenant)
        url: str = presign(
            Area.processed,
            self.result_key(job_id, fmt),
            expires=self._settings.storage.s3_presign_expiry,
            content_type=ARTIFACTS[fmt].media_type,
        )
        return url

    @staticmethod
    def result_key(job_id: str, fmt: ResultFormat) -> str:
        return f"{job_id}/{ARTIFACTS[fmt].filename}"

    def thumbnail(self, job_id: str, tenant: str) -> bytes:
        job = self.get(job_id, tenant)
        if job.started_at is None:
            # Thumbnails are kept by content hash: one made for another tenant's upload of the same bytes must
            # not show before this job has made its own.
            raise ResultNotReady("the thumbnail is made when the job starts")
        try:
            return self._storage.get_bytes(Area.thumbnails, THUMBNAIL_KEY.format(sha256=job.document_sha256))
        except FileNotFoundError:
            raise ResultNotReady("the thumbnail is made when the job starts") from None

    def delete(self, job_id: str, tenant: str) -> None:
        """Deletes the job and its results, and the original with the document's last job. A running job's
        pages are stopped first. The document's row is locked meanwhile, so an upload of the same bytes either
        comes first (and keeps the original) or after (and stores it again); a storage failure undoes it all."""
        sha256 = self.get(job_id, tenant).document_sha256
        self._lifecycle.stop_if_running(job_id)
        with self._document_lock(sha256), self._sessions.begin() as session:
            holders = session.scalars(select(Document).where(Document.sha256 == sha256).with_for_update()).all()
            job = session.get(Job, job_id)
            if job is None or job.tenant_id != tenant:
                raise JobNotFound(f"there is no job {job_id}")
            session.delete(job)
            session.flush()
            own = next((document for document in holders if document.tenant_id == tenant), None)
            others = session.scalar(
                select(func.count()).select_from(Job).where(Job.tenant_id == tenant, Job.document_sha256 == sha256)
            )
            if not others and own is not None:
                session.delete(own)
                session.flush()
                if len(holders) == 1:
                    # Before the commit: if storage refuses, the rows stay and the client can try again.
                    self._storage.delete(Area.originals, sha256)
                    self._storage.delete_prefix(Area.thumbnails, sha256)
        self._storage.delete_prefix(Area.processed, job_id)
        self._index_newest(tenant, sha256)

    def _index_newest(self, tenant: str, sha256: str) -> None:
        """After a job is deleted with its index entries: the document's newest remaining result is searched,
        where it has one."""
        with self._sessions.begin() as session:
            indexed = select(SearchPage.id).where(SearchPage.tenant_id == tenant, SearchPage.document_sha256 == sha256)
            if session.scalar(indexed.limit(1)) is not None:
                return
            newest = session.scalars(
                select(Job)
                .where(Job.tenant_id == tenant, Job.document_sha256 == sha256, Job.status == JobStatus.succeeded)
                .order_by(Job.finished_at.desc())
            ).first()
            if newest is None:
                return
            try:
                raw = self._storage.get_bytes(Area.processed, self.result_key(newest.id, ResultFormat.json))
            except FileNotFoundError:
                return
            index_result(session, newest, OcrResult.model_validate_json(raw))

    def search(self, tenant: str, q: str, filters: Filters, limit: int, offset: int) -> list[Hit]:
        query = parse_query(q)
        with self._sessions() as session:
            return search_pages(session, tenant, query, filters, limit, offset)

    def cancel(self, job_id: str, tenant: str) -> Job:
        """Cancels a queued or running job (409 once it has finished). Pages already read are discarded with
        the rest of the run: a cancelled job has no result."""
        self.get(job_id, tenant)
        self._lifecycle.cancel(job_id)
        self._waiters.notify(job_id)
        return self.get(job_id, tenant)

    def recover(self) -> int:
        """Re-queue jobs a previous process accepted but did not finish."""
        pending = self._lifecycle.requeue_unfinished()
        for job_id, queue_name in pending:
            self._send(job_id, queue_name)
        return len(pending)
