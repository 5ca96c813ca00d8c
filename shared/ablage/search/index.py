"""What the search index holds: the pages of each document's current version, replaced when a newer job of the
document succeeds and gone with its job (a foreign key with ON DELETE CASCADE; on SQLite a trigger takes the page's
terms along)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
    rows = []
    for page in result.pages:
        words = [[word.text, *word.bbox] for line in page.lines() for word in line.words]
        rows.append(
            SearchPage(
                tenant_id=job.tenant_id,
                document_sha256=job.document_sha256,
                job_id=job.id,
                page=page.number,
                filename=job.filename,
                engine=page.engine or result.engine.name,
                languages=list(result.languages),
                filed_at=job.created_at,
                seller=seller,
                total=total,
                width=page.width,
                height=page.height,
                text=_page_text(page),
                words=words,
                flagged=bool(page.review and page.review.flagged),
                review_reasons=list(page.review.reasons) if page.review and page.review.flagged else [],
            )
        )
    if not result.pages and result.text:
        # A document read from its XML (an XRechnung) has no pages: its text is found as page 1, without boxes.
        rows.append(
            SearchPage(
                tenant_id=job.tenant_id,
                document_sha256=job.document_sha256,
                job_id=job.id,
                page=1,
                filename=job.filename,
                engine=result.engine.name,
                languages=list(result.languages),
                filed_at=job.created_at,
                seller=seller,
                total=total,
                width=0,
                height=0,
                text=result.text,
                words=[],
                flagged=False,
                review_reasons=[],
            )
        )
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
