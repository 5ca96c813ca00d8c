"""How a job's pages are read: the script (detected per page, Latin or Fraktur) and the spelling of the text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Earlier jobs were read as Latin script, without detection, in the spelling the engine read.
    op.add_column("jobs", sa.Column("script", sa.String(8), nullable=False, server_default="latin"))
    op.add_column("jobs", sa.Column("spelling", sa.String(8), nullable=False, server_default="printed"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("spelling")
        batch.drop_column("script")
