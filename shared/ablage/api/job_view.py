"""The JSON a client sees for a job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ablage.db.models import Job


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    # SQLite hands back naive datetimes; every timestamp is stored in UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def job_links(prefix: str, job_id: str) -> dict[str, str]:
    return {"self": f"{prefix}/jobs/{job_id}", "result": f"{prefix}/jobs/{job_id}/result"}


def job_view(job: Job, prefix: str) -> dict[str, Any]:
    document = job.document
    return {
        "id": job.id,
        "status": job.status,
        "progress": {"pages_done": job.pages_done, "pages_total": len(job.pages)},
        "engine": job.engine,
        "queue": job.queue,
        "attempts": job.attempts,
        "languages": job.languages,
        "pages": job.pages,
        "force_ocr": job.force_ocr,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
        "document": {
            "sha256": document.sha256,
            "filename": job.filename,
            "content_type": document.content_type,
            "size": document.size,
            "pages": document.page_count,
        },
        "reused_result_of": job.result_from,
        "error": job.error,
        "links": job_links(prefix, job.id),
    }
