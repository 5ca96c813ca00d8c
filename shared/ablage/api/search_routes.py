"""``GET /api/v1/documents/search``: the caller's documents by their text, best first, each hit with its page, a
snippet and the boxes of the words that matched."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ablage.amounts import parse_amount
from ablage.api.auth import CallerDep
from ablage.api.responses import problems
from ablage.api.state import StateDep
from ablage.jobs.routes import ServiceRoute
from ablage.search.find import Filters, Hit
from ablage.search.query import MAX_QUERY

MAX_HITS = 100
# PostgreSQL refuses a NUL in any string: such a parameter is malformed, said in the schema.
_NO_NUL = r"^[^\x00]*$"
# An amount as invoices print it: 559.84, 1.234,56, 1 234,56, 1234.
_AMOUNT = (
    r"^-?([0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?"
    r"|[0-9]{1,3}( [0-9]{3})+([.,][0-9]{1,2})?|[0-9]+([.,][0-9]{1,2})?)$"
)
_CENTS = re.compile(r"^(-?)(.*?)(?:[.,]([0-9]{1,2}))?$")


def _total(printed: str) -> Decimal:
    """The amount of a total as the schema admits it; where the printed-amount parser has no reading (several
    groups of thousands and no decimals: 1.234.567), its groups are joined."""
    amount = parse_amount(printed)
    if amount is not None:
        return amount
    match = _CENTS.match(printed)
    assert match is not None
    sign, whole, cents = match.groups()
    return Decimal(f"{sign}{re.sub(r'[., ]', '', whole)}.{cents or '0'}")


class HitDocument(BaseModel):
    sha256: str
    filename: str | None


class HitLinks(BaseModel):
    job: str
    result: str
    page_image: str | None = Field(
        description="the page as WebP; the boxes scale by `width / page_width`; null for a document without pages"
    )


class SearchHit(BaseModel):
    job_id: str
    document: HitDocument
    page: int = Field(description="1-based page number")
    score: float = Field(description="higher is better; comparable within one answer")
    snippet: str = Field(description="HTML: the page's text round the hits, escaped, each hit in <mark>")
    boxes: list[tuple[int, int, int, int]] = Field(description="pixel boxes of the matching words on the page")
    page_width: int
    page_height: int
    engine: str
    languages: list[str]
    filed_at: datetime
    seller: str | None
    total: Decimal | None
    flagged: bool = Field(description="the page is flagged for review")
    review_reasons: list[str] = Field(description="why it is flagged")
    links: HitLinks


class SearchAnswer(BaseModel):
    query: str
    hits: list[SearchHit]
    next: int | None = Field(description="pass as `offset` for the following hits; null after the last")


def _hit(hit: Hit, routes: tuple[ServiceRoute, ...]) -> SearchHit:
    page = hit.page
    prefix = next((route.prefix for route in routes if route.name == hit.service), routes[0].prefix)
    job = f"{prefix}/jobs/{page.job_id}"
    return SearchHit(
        job_id=page.job_id,
        document=HitDocument(sha256=page.document_sha256, filename=page.filename),
        page=page.page,
        score=hit.score,
        snippet=hit.snippet,
        boxes=hit.boxes,
        page_width=page.width,
        page_height=page.height,
        engine=page.engine,
        languages=page.languages,
        filed_at=page.filed_at,
        seller=page.seller,
        total=page.total,
        flagged=page.flagged,
        review_reasons=page.review_reasons,
        links=HitLinks(
            job=job, result=f"{job}/result", page_image=f"{job}/pages/{page.page}/image" if page.width else None
        ),
    )


def build_search_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/documents", tags=["documents"])

    @router.get(
        "/search",
        summary="Full-text search over the caller's documents",
        description=(
            "Words must all occur (German stemming: `Rechnungen` finds `Rechnung`; `Strasse` finds `Straße`), "
            '`"a phrase"` in this order, `prefix*` as a word start. Each document is searched in its current '
            "version (its newest succeeded job)."
        ),
        responses=problems(400, 401, 429, 500, 503),
    )
    def search(
        state: StateDep,
        caller: CallerDep,
        q: Annotated[
            str,
            Query(
                max_length=MAX_QUERY,
                # At least one letter or digit (a query of signs alone has no word to find), and no NUL.
                pattern=r"^[^\x00]*[^\W_][^\x00]*$",
                description="the words to find",
            ),
        ],
        filed_from: Annotated[date | None, Query(alias="from", description="uploaded on or after (ISO date)")] = None,
        filed_to: Annotated[date | None, Query(alias="to", description="uploaded on or before (ISO date)")] = None,
        engine: Annotated[
            str | None, Query(max_length=64, pattern=_NO_NUL, description="the engine that read the page")
        ] = None,
        language: Annotated[str | None, Query(pattern="^[a-z]{2}$", description="a language it was read in")] = None,
        seller: Annotated[
            str | None, Query(max_length=255, pattern=_NO_NUL, description="part of the invoice seller's name")
        ] = None,
        total: Annotated[
            str | None, Query(max_length=32, pattern=_AMOUNT, description="the invoice total, e.g. 559.84 or 1.234,56")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_HITS, description="hits per answer")] = 20,
        offset: Annotated[int, Query(ge=0, le=10_000, description="hits to skip")] = 0,
    ) -> SearchAnswer:
        amount = _total(total) if total is not None else None
        filters = Filters(filed_from, filed_to, engine, language, seller, amount)
        found = state.jobs.search(caller.tenant, q, filters, limit + 1, offset)
        more = len(found) > limit
        hits = [_hit(hit, state.routes) for hit in found[:limit]]
        return SearchAnswer(query=q, hits=hits, next=offset + limit if more else None)

    return router
