"""The archive copy's options per job: its PDF format (pdf_output) and how far its images are optimised.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults fill the rows of earlier jobs with what they got: auto format, default optimisation.
    op.add_column("jobs", sa.Column("pdf_output", sa.String(8), nullable=False, server_default="auto"))
    op.add_column("jobs", sa.Column("pdf_optimize", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("pdf_optimize")
        batch.drop_column("pdf_output")
