"""A document's versions: each job that read the tenant's stored original, with its engine, languages and options.
The newest succeeded one is current (searched) unless another is made current; a document is read again from its
stored original without an upload; two versions are compared by their text and their pages' confidences."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlalchemy import select

from ablage.db.models import Document, Job, JobStatus, SearchPage
from ablage.errors import DocumentNotFound, InvalidOption
from ablage.jobs.backends import Backends
from ablage.jobs.routes import ServiceRoute
from ablage.jobs.service import JobService, Submission, SubmitForm, Upload
from ablage.results.model import OcrResult
from ablage.results.render import ResultFormat
from ablage.search.index import index_result
from ablage.storage.base import Area

_SHA256 = re.compile("[0-9a-f]{64}")
# A diff longer than this is cut: two readings of a long document by different engines differ on most lines.
MAX_DIFF_LINES = 2000


@dataclass(frozen=True)
class Version:
    job: Job
    current: bool
    confidences: list[tuple[int, float]] | None
    """Page number and mean word confidence of each page read; None until the job has succeeded."""


@dataclass(frozen=True)
class PageComparison:
    number: int
    confidence_a: float | None
    confidence_b: float | None
    words_a: int
    words_b: int


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    similarity: float
    """0..1, by the text's longest matching blocks (difflib)."""
    diff: list[str]
    """Unified diff of the texts, a to b, at most MAX_DIFF_LINES lines."""
    pages: list[PageComparison]


class DocumentVersions:
    def __init__(self, backends: Backends, jobs: JobService) -> None:
        self._sessions = backends.sessions
        self._storage = backends.storage
        self._jobs = jobs

    def _document(self, tenant: str, sha256: str) -> Document:
        if not _SHA256.fullmatch(sha256):
            # No document has such a name; the database is not asked (PostgreSQL refuses some strings outright).
            raise DocumentNotFound(f"there is no document {sha256!r}")
        with self._sessions() as session:
            document = session.get(Document, (tenant, sha256))
        if document is None:
            raise DocumentNotFound(f"there is no document {sha256}")
        return document

    def _jobs_of(self, tenant: str, sha256: str) -> list[Job]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Job)
                    .where(Job.tenant_id == tenant, Job.document_sha256 == sha256)
                    .order_by(Job.created_at.desc(), Job.id)
                )
            )

    def current_job(self, tenant: str, sha256: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(
                select(SearchPage.job_id)
                .where(SearchPage.tenant_id == tenant, SearchPage.document_sha256 == sha256)
                .limit(1)
            )

    def _result(self, job: Job) -> OcrResult | None:
        if job.status is not JobStatus.succeeded:
            return None
        try:
            raw = self._storage.get_bytes(Area.processed, self._jobs.result_key(job.id, ResultFormat.json))
        except FileNotFoundError:
            return None
        return OcrResult.model_validate_json(raw)

    def list(self, tenant: str, sha256: str) -> tuple[Document, list[Version]]:
        document = self._document(tenant, sha256)
        current = self.current_job(tenant, sha256)
        versions = []
        for job in self._jobs_of(tenant, sha256):
            result = self._result(job)
            confidences = [(page.number, page.confidence) for page in result.pages] if result is not None else None
            versions.append(Version(job, job.id == current, confidences))
        return document, versions

    def read_again(self, tenant: str, sha256: str, form: SubmitForm, route: ServiceRoute) -> Submission:
        """A new version: the stored original read with these options, as a new job."""
        document = self._document(tenant, sha256)
        jobs = self._jobs_of(tenant, sha256)
        filename = next((job.filename for job in jobs if job.filename), None)
        with self._storage.local_path(Area.originals, sha256) as path:
            upload = Upload(path=path, sha256=sha256, size=document.size, filename=filename)
            return self._jobs.submit(upload, form, route, tenant, fresh=True)

    def _version_result(self, tenant: str, sha256: str, job_id: str, purpose: str) -> tuple[Job, OcrResult]:
        job = self._jobs.get(job_id, tenant)
        if job.document_sha256 != sha256:
            raise InvalidOption(f"job {job_id} read another document")
        result = self._result(job)
        if result is None:
            raise InvalidOption(f"job {job_id} has no result to {purpose} (it is {job.status})")
        return job, result

    def make_current(self, tenant: str, sha256: str, job_id: str) -> None:
        self._document(tenant, sha256)
        _, result = self._version_result(tenant, sha256, job_id, "search")
        with self._sessions.begin() as session:
            index_result(session, session.get_one(Job, job_id), result)

    def compare(self, tenant: str, sha256: str, a: str, b: str) -> Comparison:
        self._document(tenant, sha256)
        first = self._version_result(tenant, sha256, a, "compare")[1]
        second = self._version_result(tenant, sha256, b, "compare")[1]
        lines_a, lines_b = first.text.splitlines(), second.text.splitlines()
        diff = list(difflib.unified_diff(lines_a, lines_b, fromfile=a, tofile=b, lineterm=""))[:MAX_DIFF_LINES]
        similarity = difflib.SequenceMatcher(None, first.text, second.text, autojunk=False).ratio()
        pages_a = {page.number: page for page in first.pages}
        pages_b = {page.number: page for page in second.pages}
        pages = [
            PageComparison(
                number,
                pages_a[number].confidence if number in pages_a else None,
                pages_b[number].confidence if number in pages_b else None,
                sum(len(line.words) for line in pages_a[number].lines()) if number in pages_a else 0,
                sum(len(line.words) for line in pages_b[number].lines()) if number in pages_b else 0,
            )
            for number in sorted(pages_a.keys() | pages_b.keys())
        ]
        return Comparison(a, b, round(similarity, 4), diff, pages)

    def delete(self, tenant: str, sha256: str) -> int:
        """Every version, its results and index entries, and the original once no tenant's job uses it."""
        self._document(tenant, sha256)
        jobs = self._jobs_of(tenant, sha256)
        for job in jobs:
            self._jobs.delete(job.id, tenant)
        return len(jobs)
