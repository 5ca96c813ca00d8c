"""What the search index holds: the pages of each document's current version, replaced when a newer job of the
document succeeds and gone with its job (a foreign key with ON DELETE CASCADE; on SQLite a trigger takes the page's
terms along)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from ablage.db.models import SQLITE_TERMS, Job, SearchPage
from ablage.results.model import OcrResult, Page
from ablage.search.terms import stems


def _invoice_fields(result: OcrResult) -> tuple[str | None, Decimal | None]:
    seller = result.invoice.seller.name if result.invoice is not None else None
    total: Decimal | None = None
    if result.invoice is not None:
        total = result.invoice.totals.payable or result.invoice.totals.gross
    if total is None:
        found = next((field.value for field in result.key_fields if field.name == "total"), None)
        try:
            total = Decimal(found) if found is not None else None
        except InvalidOperation:
            total = None
    return (seller[:255] if seller else None), total


def _page_text(page: Page) -> str:
    return "\n".join(line.text for line in page.lines())


def page_rows(job: Job, result: OcrResult) -> list[SearchPage]:
    seller, total = _invoice_fields(result)

    def row(number: int, engine: str, size: tuple[int, int], page_text: str, words: list[list[Any]]) -> SearchPage:
        return SearchPage(
            tenant_id=job.tenant_id,
            document_sha256=job.document_sha256,
            job_id=job.id,
            page=number,
            filename=job.filename,
            engine=engine,
            languages=list(result.languages),
            filed_at=job.created_at,
            seller=seller,
            total=total,
            width=size[0],
            height=size[1],
            text=page_text,
            words=words,
            flagged=False,
            review_reasons=[],
        )

    rows = []
    for page in result.pages:
        words = [[word.text, *word.bbox] for line in page.lines() for word in line.words]
        found = row(page.number, page.engine or result.engine.name, (page.width, page.height), _page_text(page), words)
        if page.review is not None and page.review.flagged:
            found.flagged, found.review_reasons = True, list(page.review.reasons)
        rows.append(found)
    if not result.pages and result.text:
        # A document read from its XML (an XRechnung) has no pages: its text is found as page 1, without boxes.
        rows.append(row(1, result.engine.name, (0, 0), result.text, []))
    return rows


def index_result(session: Session, job: Job, result: OcrResult) -> int:
    """Makes the job's result the document's searchable version, in the caller's transaction."""
    session.execute(
        delete(SearchPage).where(
            SearchPage.tenant_id == job.tenant_id, SearchPage.document_sha256 == job.document_sha256
        )
    )
    rows = page_rows(job, result)
    session.add_all(rows)
    session.flush()
    bind = session.get_bind()
    if rows and bind.dialect.name == "sqlite":
        session.execute(
            text(f"INSERT INTO {SQLITE_TERMS} (rowid, terms) VALUES (:id, :terms)"),
            [{"id": row.id, "terms": " ".join(stems(row.text))} for row in rows],
        )
    return len(rows)
