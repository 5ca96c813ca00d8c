"""Documents and jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_STATUS = sa.Enum("queued", "running", "succeeded", "failed", name="jobstatus", native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("document_sha256", sa.String(64), sa.ForeignKey("documents.sha256"), nullable=False),
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
        sa.Column("idempotency_key", sa.String(255), nullable=True, unique=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_jobs_document_sha256", "jobs", ["document_sha256"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_reuse", "jobs", ["document_sha256", "options_key", "status"])


def downgrade() -> None:
    op.drop_index("ix_jobs_reuse", table_name="jobs")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_index("ix_jobs_document_sha256", table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("documents")
