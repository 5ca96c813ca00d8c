"""Full-text search: a row per page of each document's current version, with PostgreSQL's german tsvector under a
GIN index, or SQLite's FTS5 table of the page's stems.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seller", sa.String(255)),
        sa.Column("total", sa.Numeric(14, 2)),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("words", sa.JSON, nullable=False),
    )
    op.create_index("ix_search_pages_job_id", "search_pages", ["job_id"])
    op.create_index("ix_search_pages_tenant_document", "search_pages", ["tenant_id", "document_sha256"])
    if op.get_bind().dialect.name == "postgresql":
        # Punctuation is a word break, as for the SQLite index: PostgreSQL's parser would keep RE-20140519/499,
        # 19.05.2014, 1.234,56 and info@example.de as tokens of their own, which no query word matches.
        op.execute(
            "ALTER TABLE search_pages ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
            "(to_tsvector('german', regexp_replace(text, '[[:punct:]]+', ' ', 'g'))) STORED"
        )
        op.execute("CREATE INDEX ix_search_pages_tsv ON search_pages USING gin (tsv)")
    else:
        # The page's stems (ablage.search.terms), in order so that phrases match; a row goes with its page.
        op.execute("CREATE VIRTUAL TABLE search_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2')")
        op.execute(
            "CREATE TRIGGER search_pages_deleted AFTER DELETE ON search_pages "
            "BEGIN DELETE FROM search_terms WHERE rowid = old.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS search_pages_deleted")
        op.execute("DROP TABLE IF EXISTS search_terms")
    op.drop_table("search_pages")
