"""Review flags: a tenant's threshold, the pages a job flagged, and whether a searched page is flagged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("review_threshold", sa.Float))
    # Jobs from before were not reviewed: null, not "none flagged".
    op.add_column("jobs", sa.Column("flagged_pages", sa.JSON))
    op.add_column("search_pages", sa.Column("flagged", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("search_pages", sa.Column("review_reasons", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("search_pages") as batch:
        batch.drop_column("review_reasons")
        batch.drop_column("flagged")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("flagged_pages")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("review_threshold")
