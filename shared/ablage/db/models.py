"""SQLAlchemy 2 models. Timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
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


DEFAULT_TENANT = "default"
"""The tenant of a service that runs without API keys or OIDC, and of rows from before tenants existed."""


class Tenant(Base):
    """A client whose documents, jobs and quotas are its own. NULL limits take the service's defaults."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rate_limit: Mapped[str | None] = mapped_column(String(64), doc="requests, e.g. 20/second;600/minute")
    max_queued_jobs: Mapped[int | None] = mapped_column(Integer)
    max_running_jobs: Mapped[int | None] = mapped_column(Integer)
    monthly_pages: Mapped[int | None] = mapped_column(Integer)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), doc="where job events go without a callback_url")
    review_threshold: Mapped[float | None] = mapped_column(
        Float, doc="share of doubtful words at which a page is flagged; unset: REVIEW_THRESHOLD"
    )
    webhook_secret: Mapped[str | None] = mapped_column(
        String(128), doc="whsec_<base64>; kept as it is, because signing needs it"
    )


class ApiKey(Base):
    """A key is ``abl_<id>_<secret>``; only the SHA-256 of the whole token is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PageUsage(Base):
    """Pages admitted for OCR per tenant and calendar month (UTC), for the monthly quota."""

    __tablename__ = "page_usage"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True, doc="YYYY-MM")
    pages: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """One tenant's stored original, identified by its content hash; many of its jobs may read it. The bytes
    are stored once by hash, whichever tenants uploaded them."""

    __tablename__ = "documents"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    jobs: Mapped[list[Job]] = relationship(back_populates="document")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "document_sha256"], ["documents.tenant_id", "documents.sha256"], name="fk_jobs_document"
        ),
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_idempotency_key"),
        Index("ix_jobs_reuse", "tenant_id", "document_sha256", "options_key", "status"),
        Index("ix_jobs_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str] = mapped_column(String(64), index=True)
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
    pdf_output: Mapped[str] = mapped_column(String(8), default="auto", doc="auto, pdfa-2b, pdfa-3b or pdf")
    pdf_optimize: Mapped[int] = mapped_column(Integer, default=1, doc="0 lossless, 1 default, 2 smaller")
    script: Mapped[str] = mapped_column(String(8), default="latin", doc="auto (detected per page), latin or fraktur")
    spelling: Mapped[str] = mapped_column(String(8), default="printed", doc="printed or modern")
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    result_from: Mapped[str | None] = mapped_column(String(36), doc="job whose result this one reused")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), doc="unique per tenant")
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
    callback_url: Mapped[str | None] = mapped_column(String(2048), doc="where this job's final event is sent")
    flagged_pages: Mapped[list[int] | None] = mapped_column(JSON, doc="pages flagged for review, once succeeded")

    document: Mapped[Document] = relationship(back_populates="jobs", lazy="joined")

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


SQLITE_TERMS = "search_terms"
"""SQLite's FTS5 table of each search page's stems; its rowid is the page's id."""
UNMAPPED = frozenset(
    {
        "tsv",
        "ix_search_pages_tsv",
        SQLITE_TERMS,
        *(f"{SQLITE_TERMS}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")),
    }
)
"""Names migration 0007 creates outside these models: the PostgreSQL tsvector and its index, SQLite's FTS5
table and the tables FTS5 keeps it in. Comparing models with the database leaves them out."""


class SearchPage(Base):
    """One page of a document's current version (its latest succeeded job) as the full-text search finds it.
    Outside these columns, PostgreSQL keeps a generated ``tsv`` (``to_tsvector('german', text)``) under a GIN
    index and SQLite an FTS5 table ``search_terms`` of the page's stems (migration 0007, ``ablage.search``)."""

    __tablename__ = "search_pages"
    __table_args__ = (Index("ix_search_pages_tenant_document", "tenant_id", "document_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(255))
    engine: Mapped[str] = mapped_column(String(64), doc="the engine that read the page")
    languages: Mapped[list[str]] = mapped_column(JSON)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), doc="when the document was uploaded")
    seller: Mapped[str | None] = mapped_column(String(255), doc="the invoice's seller, where the XML names one")
    total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), doc="the invoice's total, from its XML or page")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, doc="the page is flagged for review")
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[list[Any]]] = mapped_column(JSON, doc="[text, x0, y0, x1, y1] of each word, in reading order")


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(Base):
    """The outbox: one event to one URL, written in the transaction that ends the job. ``job_id`` is no foreign
    key: a deleted job's event is still delivered. ``payload`` is the body as sent, byte for byte, on every
    attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_job", "tenant_id", "job_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, doc="the webhook-id, msg_<random>")
    tenant_id: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(36))
    url: Mapped[str] = mapped_column(String(2048))
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(512))


class WebhookAttempt(Base):
    """One try of a delivery, for ``GET .../deliveries``."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(512))
    duration_ms: Mapped[int] = mapped_column(Integer)
