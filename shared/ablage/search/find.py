"""One search over either backend: PostgreSQL ranks with ``ts_rank_cd`` and cuts snippets with ``ts_headline``;
SQLite ranks with FTS5's BM25 and the snippet is cut here around the first hit. Both give the boxes of the words
that matched, from the stored words of the page."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ablage.db.models import SQLITE_TERMS, Job, SearchPage
from ablage.search.query import Query
from ablage.search.terms import stem, words

# Markers ts_headline puts round a hit: control characters that OCR text never holds, so the snippet can be
# escaped for HTML first and marked afterwards.
_START, _STOP = "\x02", "\x03"
_HEADLINE = f'StartSel={_START}, StopSel={_STOP}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'
_SNIPPET_WORDS = 24


@dataclass(frozen=True)
class Filters:
    filed_from: date | None = None
    filed_to: date | None = None
    """Inclusive: the whole day."""
    engine: str | None = None
    language: str | None = None
    seller: str | None = None
    """Part of the seller's name, in any case."""
    total: Decimal | None = None


@dataclass(frozen=True)
class Hit:
    page: SearchPage
    service: str
    """The service whose job read the page, for the links to it."""
    score: float
    snippet: str
    """HTML: the text escaped, each hit in ``<mark>``."""
    boxes: list[tuple[int, int, int, int]]


def _matches(word: str, query: Query) -> bool:
    found = query.stems()
    for part in words(word):
        stemmed = stem(part)
        if stemmed in found or any(stemmed.startswith(prefix) for prefix in query.prefixes):
            return True
    return False


def _boxes(page: SearchPage, query: Query) -> list[tuple[int, int, int, int]]:
    return [(x0, y0, x1, y1) for word, x0, y0, x1, y1 in page.words if _matches(word, query)]


def _marked(page_text: str, query: Query) -> str:
    """A window of the page's words round the first hit, escaped, each hit marked."""
    tokens = page_text.split()
    first = next((index for index, token in enumerate(tokens) if _matches(token, query)), 0)
    start = max(0, first - _SNIPPET_WORDS // 3)
    window = tokens[start : start + _SNIPPET_WORDS]
    shown = " ".join(
        f"<mark>{html.escape(token)}</mark>" if _matches(token, query) else html.escape(token) for token in window
    )
    return ("… " if start else "") + shown + (" …" if start + _SNIPPET_WORDS < len(tokens) else "")


def _headline(raw: str) -> str:
    return html.escape(raw).replace(_START, "<mark>").replace(_STOP, "</mark>")


def where_clauses(filters: Filters, params: dict[str, Any], dialect: str) -> list[str]:
    clauses = ["sp.tenant_id = :tenant"]
    if filters.filed_from is not None:
        params["filed_from"] = datetime.combine(filters.filed_from, time.min, UTC)
        clauses.append("sp.filed_at >= :filed_from")
    if filters.filed_to is not None:
        params["filed_to"] = datetime.combine(filters.filed_to + timedelta(days=1), time.min, UTC)
        clauses.append("sp.filed_at < :filed_to")
    if filters.engine is not None:
        params["engine"] = filters.engine
        clauses.append("sp.engine = :engine")
    if filters.language is not None:
        params["language"] = filters.language
        if dialect == "postgresql":
            clauses.append("sp.languages::jsonb ? :language")
        else:
            clauses.append("EXISTS (SELECT 1 FROM json_each(sp.languages) WHERE json_each.value = :language)")
    if filters.seller is not None:
        # The caller's % and _ are letters here, not wildcards.
        escaped = filters.seller.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["seller"] = f"%{escaped}%"
        clauses.append("lower(sp.seller) LIKE :seller ESCAPE '\\'")
    if filters.total is not None:
        # In cents: SQLite keeps NUMERIC as a float, which an exact decimal would not equal.
        params["cents"] = int((filters.total * 100).to_integral_value())
        clauses.append("ROUND(sp.total * 100) = :cents")
    return clauses


_Found = list[tuple[int, float, str]]
"""Page id, score (higher is better) and the backend's snippet ("" where it cuts none)."""


def postgres_tsquery(query: Query, params: dict[str, Any]) -> str:
    """The query as a PostgreSQL tsquery expression; its values go into ``params``."""
    parts = []
    for index, word in enumerate(query.raw_words):
        params[f"w{index}"] = word
        parts.append(f"plainto_tsquery('german', :w{index})")
    for index, phrase in enumerate(query.raw_phrases):
        params[f"p{index}"] = phrase
        parts.append(f"phraseto_tsquery('german', :p{index})")
    for index, prefix in enumerate(query.raw_prefixes):
        params[f"x{index}"] = prefix + ":*"
        parts.append(f"to_tsquery('german', :x{index})")
    return " && ".join(parts)


def sqlite_match(query: Query) -> str:
    """The query as an FTS5 MATCH expression over the stems. Stems are letters and digits only, so quoting each
    makes a query FTS5 cannot misread."""
    parts = [f'"{word}"' for word in query.words]
    parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    parts += [f'"{prefix}"*' for prefix in query.prefixes]
    return " AND ".join(parts)


def _postgres(session: Session, query: Query, clauses: list[str], params: dict[str, Any]) -> _Found:
    tsquery = postgres_tsquery(query, params)
    params["headline"] = _HEADLINE
    statement = text(
        f"SELECT sp.id, ts_rank_cd(sp.tsv, q.query) AS score, "
        f"ts_headline('german', sp.text, q.query, :headline) AS snippet "
        f"FROM search_pages sp, (SELECT {tsquery} AS query) AS q "
        f"WHERE sp.tsv @@ q.query AND {' AND '.join(clauses)} "
        f"ORDER BY score DESC, sp.id DESC LIMIT :limit OFFSET :offset"
    )
    # ts_headline marks what its own parser finds; a number or code it keeps whole is marked here instead.
    return [
        (row.id, float(row.score), snippet if "<mark>" in (snippet := _headline(row.snippet)) else "")
        for row in session.execute(statement, params)
    ]


def _sqlite(session: Session, query: Query, clauses: list[str], params: dict[str, Any]) -> _Found:
    params["match"] = sqlite_match(query)
    statement = text(
        f"SELECT sp.id, -bm25({SQLITE_TERMS}) AS score FROM {SQLITE_TERMS} "
        f"JOIN search_pages sp ON sp.id = {SQLITE_TERMS}.rowid "
        f"WHERE {SQLITE_TERMS} MATCH :match AND {' AND '.join(clauses)} "
        f"ORDER BY score DESC, sp.id DESC LIMIT :limit OFFSET :offset"
    )
    return [(row.id, float(row.score), "") for row in session.execute(statement, params)]


def search_pages(
    session: Session, tenant: str, query: Query, filters: Filters, limit: int, offset: int = 0
) -> list[Hit]:
    """The tenant's pages that hold every word, phrase and prefix of the query, best first."""
    params: dict[str, Any] = {"tenant": tenant, "limit": limit, "offset": offset}
    dialect = session.get_bind().dialect.name
    clauses = where_clauses(filters, params, dialect)
    found = (_postgres if dialect == "postgresql" else _sqlite)(session, query, clauses, params)
    if not found:
        return []
    chosen = (
        select(SearchPage, Job.service)
        .join(Job, Job.id == SearchPage.job_id)
        .where(SearchPage.id.in_([page_id for page_id, _, _ in found]))
    )
    pages = {page.id: (page, service) for page, service in session.execute(chosen)}
    hits = []
    for page_id, score, snippet in found:
        if page_id not in pages:
            continue  # deleted since the ranking query
        page, service = pages[page_id]
        hits.append(Hit(page, service, score, snippet or _marked(page.text, query), _boxes(page, query)))
    return hits
