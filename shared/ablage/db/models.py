"""SQLAlchemy 2 models. Timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class Document(Base):
    """One stored original, identified by its content hash; many jobs may read it."""

    __tablename__ = "documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    jobs: Mapped[list[Job]] = relationship(back_populates="document")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_reuse", "document_sha256", "options_key", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256"), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    service: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(16), default="cpu", doc="queue the job is sent to: cpu or gpu")
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=JobStatus.queued,
        index=True,
    )
    engine: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON)
    pages: Mapped[list[int]] = mapped_column(JSON, doc="selected 1-based page numbers")
    force_ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    options_key: Mapped[str] = mapped_column(String(64))
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    result_from: Mapped[str | None] = mapped_column(String(36), doc="job whose result this one reused")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="times a worker has claimed the job")
    worker: Mapped[str | None] = mapped_column(String(128), doc="the worker that holds (or last held) the job")
    enqueued_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), doc="when the queue last accepted the job; NULL while only the row knows it"
    )
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    document: Mapped[Document] = relationship(back_populates="jobs", lazy="joined")

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)
