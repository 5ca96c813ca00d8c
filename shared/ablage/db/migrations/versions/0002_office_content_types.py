"""Office media types (up to 127 characters by RFC 6838) fit the documents table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("content_type", type_=sa.String(127), existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("content_type", type_=sa.String(64), existing_type=sa.String(127), existing_nullable=False)
