"""The JSON a client sees for a job: its status, and the answer to an accepted upload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ablage.db.models import Job, JobStatus

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class JobLinks(BaseModel):
    self: str = Field(description="this job's status")
    result: str = Field(description="its result; add ?format= for another format")


class Deduplicated(BaseModel):
    original: bool = Field(description="the same bytes were stored before")
    result: bool = Field(description="an earlier job's result, for the same bytes and options, was reused")


class JobAccepted(BaseModel):
    id: str
    status: JobStatus
    links: JobLinks
    deduplicated: Deduplicated


class Progress(BaseModel):
    pages_done: int = Field(ge=0)
    pages_total: int = Field(ge=0)


class DocumentView(BaseModel):
    sha256: str
    filename: str | None
    content_type: str
    size: int = Field(ge=0, description="bytes")
    pages: int = Field(ge=0, description="pages in the whole document")


class JobError(BaseModel):
    """The problem (RFC 9457 members) that failed the job; on a job still queued or running, only the
    ``detail`` of why its last attempt ended."""

    model_config = ConfigDict(extra="allow")

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None


class JobView(BaseModel):
    id: str
    status: JobStatus
    progress: Progress
    engine: str
    queue: str = Field(description="the queue that runs it: cpu or gpu")
    attempts: int = Field(ge=0)
    languages: list[str]
    pages: list[int] = Field(description="the selected 1-based page numbers")
    force_ocr: bool
    pdf_output: str = Field(description="auto, pdfa-2b, pdfa-3b or pdf")
    pdf_optimize: int = Field(ge=0, le=2)
    script: str = Field(description="auto (detected per page), latin or fraktur")
    spelling: str = Field(description="printed or modern")
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    document: DocumentView
    reused_result_of: str | None = Field(description="the job whose result this one reused")
    flagged_pages: list[int] | None = Field(
        description="pages flagged for a person to check (see each page's `review`); null until succeeded"
    )
    error: JobError | None
    links: JobLinks


def _time(value: datetime) -> str:
    # SQLite hands back naive datetimes; every timestamp is stored in UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def job_links(prefix: str, job_id: str) -> JobLinks:
    return JobLinks(self=f"{prefix}/jobs/{job_id}", result=f"{prefix}/jobs/{job_id}/result")


def job_view(job: Job, prefix: str) -> JobView:
    document = job.document
    return JobView(
        id=job.id,
        status=job.status,
        progress=Progress(pages_done=job.pages_done, pages_total=len(job.pages)),
        engine=job.engine,
        queue=job.queue,
        attempts=job.attempts,
        languages=job.languages,
        pages=job.pages,
        force_ocr=job.force_ocr,
        pdf_output=job.pdf_output,
        pdf_optimize=job.pdf_optimize,
        script=job.script,
        spelling=job.spelling,
        created_at=_time(job.created_at),
        started_at=_time(job.started_at) if job.started_at else None,
        finished_at=_time(job.finished_at) if job.finished_at else None,
        document=DocumentView(
            sha256=document.sha256,
            filename=job.filename,
            content_type=document.content_type,
            size=document.size,
            pages=document.page_count,
        ),
        reused_result_of=job.result_from,
        flagged_pages=job.flagged_pages,
        error=JobError.model_validate(job.error) if job.error is not None else None,
        links=job_links(prefix, job.id),
    )


class JobList(BaseModel):
    jobs: list[JobView]
    next: str | None = Field(description="pass as `before` for the next (older) jobs; null after the last")
