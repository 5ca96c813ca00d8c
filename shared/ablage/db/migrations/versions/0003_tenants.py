"""Tenants, API keys and monthly page usage; documents and jobs belong to a tenant, and an Idempotency-Key is
unique within its tenant. Rows from before belong to the tenant ``default``.

The documents' primary key grows a column, which SQLite cannot alter in place; both dialects therefore take
the same path: the old tables are renamed, the new ones created and filled, the old ones dropped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_STATUS = sa.Enum(
    "queued", "running", "succeeded", "failed", "cancelled", name="jobstatus", native_enum=False, length=16
)
_DOCUMENT_COLUMNS = "sha256, kind, content_type, size, page_count, created_at"
_JOB_COLUMNS = (
    "id, document_sha256, filename, service, queue, status, engine, languages, pages, force_ocr, options_key, "
    "pages_done, result_from, idempotency_key, attempts, worker, enqueued_at, heartbeat_at, error, created_at, "
    "started_at, finished_at"
)
_JOB_INDEXES = ("ix_jobs_reuse", "ix_jobs_status", "ix_jobs_document_sha256")


def _job_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(16), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("force_ocr", sa.Boolean(), nullable=False),
        sa.Column("options_key", sa.String(64), nullable=False),
        sa.Column("pages_done", sa.Integer(), nullable=False),
        sa.Column("result_from", sa.String(36), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _document_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _set_aside_old_tables() -> None:
    for index in _JOB_INDEXES:
        op.drop_index(index, table_name="jobs")
    op.rename_table("jobs", "jobs_before")
    op.rename_table("documents", "documents_before")


def _drop_old_tables() -> None:
    op.drop_table("jobs_before")
    op.drop_table("documents_before")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rate_limit", sa.String(64), nullable=True),
        sa.Column("max_queued_jobs", sa.Integer(), nullable=True),
        sa.Column("max_running_jobs", sa.Integer(), nullable=True),
        sa.Column("monthly_pages", sa.Integer(), nullable=True),
    )
    op.execute(sa.text("INSERT INTO tenants (id, created_at) VALUES ('default', CURRENT_TIMESTAMP)"))
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
    op.create_table(
        "page_usage",
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("pages", sa.Integer(), nullable=False),
    )

    _set_aside_old_tables()
    op.create_table(
        "documents",
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        *_document_columns(),
        sa.PrimaryKeyConstraint("tenant_id", "sha256", name="pk_documents"),
    )
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "jobs",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        *_job_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_sha256"], ["documents.tenant_id", "documents.sha256"], name="fk_jobs_document"
        ),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_idempotency_key"),
    )
    op.create_index("ix_jobs_document_sha256", "jobs", ["document_sha256"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_reuse", "jobs", ["tenant_id", "document_sha256", "options_key", "status"])
    op.create_index("ix_jobs_tenant_status", "jobs", ["tenant_id", "status"])
    op.execute(
        sa.text(
            f"INSERT INTO documents (tenant_id, {_DOCUMENT_COLUMNS}) "
            f"SELECT 'default', {_DOCUMENT_COLUMNS} FROM documents_before"
        )
    )
    op.execute(
        sa.text(f"INSERT INTO jobs (tenant_id, {_JOB_COLUMNS}) SELECT 'default', {_JOB_COLUMNS} FROM jobs_before")
    )
    _drop_old_tables()


def downgrade() -> None:
    """Back to one namespace: only the tenant ``default`` keeps its documents and jobs."""
    for index in (*_JOB_INDEXES, "ix_jobs_tenant_status"):
        op.drop_index(index, table_name="jobs")
    op.drop_index("ix_documents_sha256", table_name="documents")
    op.rename_table("jobs", "jobs_before")
    op.rename_table("documents", "documents_before")
    op.create_table("documents", *_document_columns(), sa.PrimaryKeyConstraint("sha256", name="pk_documents_v2"))
    op.create_table(
        "jobs",
        *_job_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs_v2"),
        sa.ForeignKeyConstraint(["document_sha256"], ["documents.sha256"], name="fk_jobs_document_v2"),
        sa.UniqueConstraint("idempotency_key", name="uq_jobs_idempotency_key_v2"),
    )
    op.create_index("ix_jobs_document_sha256", "jobs", ["document_sha256"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_reuse", "jobs", ["document_sha256", "options_key", "status"])
    op.execute(
        sa.text(
            f"INSERT INTO documents ({_DOCUMENT_COLUMNS}) SELECT {_DOCUMENT_COLUMNS} FROM documents_before "
            "WHERE tenant_id = 'default'"
        )
    )
    op.execute(
        sa.text(f"INSERT INTO jobs ({_JOB_COLUMNS}) SELECT {_JOB_COLUMNS} FROM jobs_before WHERE tenant_id = 'default'")
    )
    _drop_old_tables()
    op.drop_table("page_usage")
    op.drop_index("ix_api_keys_tenant_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("tenants")
