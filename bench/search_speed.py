"""Full-text search latency over 100,000 indexed pages on PostgreSQL and SQLite, and the cost of indexing a page
against the cost of reading it with OCR, in one run.

    python -m bench.search_speed [--pages 100000] [--job-pages 10] [--tenants 3] [--rounds 15] [--json PATH]

The pages are made at run time from the corpus texts (``tests/data/documents/*.gt.txt``): each document (one job)
takes its lines from one source (one of the German invoices, the English texts or the Fraktur transcriptions);
each of its ``--job-pages`` pages holds made-up lines (invoice number and page, dates, items and amounts, an
address on some first pages), so that every page is distinct, and then corpus lines drawn at random until it
holds 80-240 words (the invoice scans as Tesseract reads them hold about 180). Word boxes are laid out on an A4
page at 300 dpi. Documents are spread over ``--tenants`` tenants (half of them to the first); two in three
invoices carry a seller and a total, as an e-invoice's XML would. Both databases get the same pages: the rows
``page_rows`` makes, inserted in large transactions, and on SQLite the FTS5 rows as ``index_result`` writes them;
PostgreSQL is then vacuumed and analysed, as autovacuum would leave it (GIN's pending list merged).

Search: each query of the mix (words, German plurals, ß typed as ss, phrases, prefixes, a word with a filter, an
invoice number whole and in part, words that match nothing) goes through ``parse_query`` and ``search_pages`` in a
fresh session, as the API calls them (limit 21: a page of 20 hits and one to know whether there is more), scoped
to the first tenant: once untimed, then ``--rounds`` times, every query on both backends in an order shuffled each
round. Reported per query kind and overall: p50 and p99 of the whole call and p50 of the time spent in the
database driver (``cursor.execute``, through SQLAlchemy's cursor events); per query: the pages that match (counted
apart, with the ranking query's conditions and no limit) and the hits returned. The ratio is PostgreSQL's p50 over
SQLite's, in the same run.

Indexing: Tesseract (the service's engine, in this process, one thread) reads two corpus scans; the time per page
is OCR's cost, the baseline. Then jobs of 1 and of ``--job-pages`` pages, their pages those OCR results, are
indexed with ``index_result`` and committed, into the full index, as new documents and as new versions of
documents already indexed (their rows replaced); the ratio is indexing's time per page over OCR's.

Needs PostgreSQL (ABLAGE_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres): a scratch database
``ablage_bench_search_<random>`` is created and dropped. SQLite lives in a temporary folder. Nothing is kept.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from ablage.db.migrate import upgrade
from ablage.db.models import SQLITE_TERMS, Document, Job, JobStatus, SearchPage, Tenant
from ablage.db.session import make_engine, make_sessionmaker
from ablage.invoices.fields import Invoice, Party, Totals
from ablage.results.model import Block, EngineRef, Line, OcrResult, Page, PageSource, Word
from ablage.search.find import Filters, postgres_tsquery, search_pages, sqlite_match, where_clauses
from ablage.search.index import index_result, page_rows
from ablage.search.query import Query, parse_query
from ablage.search.terms import stem, words
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

PG_ADMIN = os.environ.get("ABLAGE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
DOCUMENTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "documents"
OCR_SCANS = ("de_invoice_mustang_499.png", "de_invoice_hetzner_2016.png")
LANGUAGES = ["de", "en"]
LIMIT = 21
"""What the API asks for: a page of 20 hits and one more, to know whether there is a next page."""
CHUNK = 500
"""Documents per loading transaction."""
PAGE_SIZE = (2480, 3508)
"""A4 at 300 dpi, in pixels."""


@dataclass(frozen=True)
class Source:
    name: str
    patterns: tuple[str, ...]
    weight: float
    seller: str | None
    kind: str
    """invoice, en or fraktur: which made-up lines its pages get."""


SOURCES = (
    Source("ferd_einfach", ("de_invoice_ferd_einfach",), 0.12, "Lieferant GmbH", "invoice"),
    Source("ferd_miete", ("de_invoice_ferd_miete",), 0.12, "Lieferant GmbH", "invoice"),
    Source("ferd_rabatte", ("de_invoice_ferd_rabatte",), 0.12, "Lieferant GmbH", "invoice"),
    Source("hetzner", ("de_invoice_hetzner_2016",), 0.16, "Hetzner Online GmbH", "invoice"),
    Source("mustang", ("de_invoice_mustang_499",), 0.16, "Bei Spiel GmbH", "invoice"),
    Source("aws", ("en_invoice_amazonwebservices",), 0.09, "Amazon Web Services", "en"),
    Source("phototest", ("mixed_tesseract_phototest",), 0.03, None, "en"),
    Source("fraktur", ("de_fraktur_",), 0.20, None, "fraktur"),
)
STREETS = (
    "Berliner Straße",
    "Kölner Straße",
    "Lange Straße",
    "Hauptstraße",
    "Goethestraße",
    "Bahnhofstr.",
    "Lindenallee",
    "Am Markt",
)
CITIES = ("Berlin", "München", "Köln", "Frankfurt am Main", "Gunzenhausen", "Stadthausen", "Spielkreis", "Hamburg")
ITEMS = ("Artikel", "Leistung", "Position", "Wartung", "Versand", "Material")
WORDS = (80, 240)
"""Words a page, drawn evenly between these."""
FIRST_DAY = datetime(2023, 1, 1, tzinfo=UTC)
DAYS = 730


@dataclass(frozen=True)
class Spec:
    """One query of the mix."""

    kind: str
    q: str
    filters: Filters = field(default_factory=Filters)
    shown: str = ""
    """The filter as the API's query string would give it."""


QUERIES = (
    Spec("word", "Rechnung"),
    Spec("word", "Leistungsdatum"),
    Spec("word", "Heimat"),
    Spec("plural", "Rechnungen"),
    Spec("plural", "Produkte"),
    Spec("ß as ss", "Strasse"),
    Spec("ß as ss", "draussen"),
    Spec("phrase", '"Kunden AG"'),
    Spec("phrase", '"Amazon Web Services"'),
    Spec("phrase", '"Liefer- und Leistungsdatum"'),
    Spec("prefix", "Liefer*"),
    Spec("prefix", "Serv*"),
    Spec("word + filter", "Rechnung", Filters(seller="hetzner"), "seller=hetzner"),
    Spec(
        "word + filter",
        "Rechnung",
        Filters(filed_from=date(2024, 3, 1), filed_to=date(2024, 3, 31)),
        "from=2024-03-01&to=2024-03-31",
    ),
    Spec("number", "RE-20140519/499"),
    Spec("number", "20140519"),
    Spec("no match", "Zeppelinwerft"),
    Spec("no match", "Quittungsblock*"),
)
KINDS = tuple(dict.fromkeys(spec.kind for spec in QUERIES))


# --- the corpus -------------------------------------------------------------------------------------------------


def source_lines(source: Source) -> list[str]:
    found: list[str] = []
    for path in sorted(DOCUMENTS.glob("*.gt.txt")):
        if path.name.endswith(".gt.modern.txt") or not path.name.startswith(source.patterns):
            continue
        found += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 1]
    if not found:
        raise SystemExit(f"no corpus text for {source.name} in {DOCUMENTS}")
    return found


def german(amount: Decimal) -> str:
    """1234.5 as 1.234,50."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


@dataclass(frozen=True)
class Doc:
    number: int
    tenant: str
    sha256: str
    job_id: str
    filename: str
    filed_at: datetime
    seller: str | None
    total: Decimal
    pages: tuple[tuple[str, ...], ...]
    """Each page's lines."""


class Corpus:
    def __init__(self, seed: int, tenants: Sequence[str], job_pages: int) -> None:
        self.seed = seed
        self.tenants = tuple(tenants)
        self.job_pages = job_pages
        self.lines = {source.name: source_lines(source) for source in SOURCES}
        # Half of the documents to the first tenant, the rest evenly: the searched tenant is the largest.
        rest = len(self.tenants) - 1
        self.tenant_weights = [1.0] + [1.0 / rest] * rest if rest else [1.0]

    def document(self, number: int) -> Doc:
        rng = random.Random(f"{self.seed}-{number}")
        source = rng.choices(SOURCES, weights=[source.weight for source in SOURCES])[0]
        tenant = rng.choices(self.tenants, weights=self.tenant_weights)[0]
        filed_at = FIRST_DAY + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400))
        total = Decimal(rng.randrange(100, 2_000_000)) / 100
        pool = self.lines[source.name]
        pages = []
        for page in range(1, self.job_pages + 1):
            lines = self._made_up(rng, source, number, page, filed_at, total)
            # As many words as an OCR'd page holds: the two invoice scans read by Tesseract have ~180.
            wanted = rng.randint(WORDS[0], WORDS[1]) - sum(len(line.split()) for line in lines)
            drawn = rng.sample(pool, len(pool))
            while wanted > 0:
                if not drawn:
                    drawn = rng.sample(pool, len(pool))
                lines.append(drawn.pop())
                wanted -= len(lines[-1].split())
            pages.append(tuple(lines))
        # An e-invoice's XML names the seller; two in three invoices here carry one.
        seller = source.seller if source.seller is not None and rng.random() < 2 / 3 else None
        return Doc(
            number=number,
            tenant=tenant,
            sha256=hashlib.sha256(f"bench-search-{self.seed}-{number}".encode()).hexdigest(),
            job_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-search-{self.seed}-{number}")),
            filename=f"{source.name}-{number:06d}.pdf",
            filed_at=filed_at,
            seller=seller,
            total=total,
            pages=tuple(pages),
        )

    def _made_up(
        self, rng: random.Random, source: Source, number: int, page: int, filed_at: datetime, total: Decimal
    ) -> list[str]:
        """The lines that make the page distinct: its number on every page, dates, amounts and items."""
        last = page == self.job_pages
        if source.kind == "fraktur":
            return [f"— {number * self.job_pages + page} —", f"{1780 + number % 120}. Stuͤk {page}."]
        if source.kind == "en":
            lines = [f"Invoice Number: {40_000_000 + number} Page {page} of {self.job_pages}"]
            lines += [f"Charge {rng.randrange(1, 999)} ${rng.randrange(1, 99_999) / 100:.2f}" for _ in range(2)]
            return lines + ([f"TOTAL AMOUNT DUE ${total:,.2f}"] if last else [])
        lines = [f"Rechnungsnummer: RE-{filed_at.year}-{number:06d} Seite {page} von {self.job_pages}"]
        if page == 1:
            lines.append(f"Rechnungsdatum: {filed_at:%d.%m.%Y}")
            if rng.random() < 0.5:
                lines.append(f"{rng.choice(STREETS)} {rng.randrange(1, 200)}")
                lines.append(f"{rng.randrange(1000, 99999):05d} {rng.choice(CITIES)}")
        for _ in range(rng.randint(1, 3)):
            price = Decimal(rng.randrange(100, 500_000)) / 100
            lines.append(
                f"{rng.choice(ITEMS)} {rng.randrange(10_000, 99_999)} {rng.randint(1, 20)} x {german(price)} €"
            )
        return lines + ([f"Gesamtbetrag: {german(total)} EUR"] if last else [])


@functools.lru_cache(maxsize=1 << 16)
def synthetic_line(line: str, row: int) -> Line:
    """The line at the given row, one word per space-separated token; built without validation (the values are
    well-formed) and remembered, since the corpus lines recur and millions of words would take minutes to build
    (the made-up lines, each used once, fall out of the cache)."""
    top = 150 + 60 * row
    x = 150
    built = []
    for token in line.split():
        width = 22 * len(token)
        box = (x, top, x + width, top + 40)
        built.append(Word.model_construct(bbox=box, text=token, confidence=0.95, printed=None))
        x += width + 22
    return Line.model_construct(bbox=(150, top, max(x - 22, 151), top + 40), text=line, confidence=0.95, words=built)


def synthetic_page(number: int, lines: Sequence[str]) -> Page:
    """An A4 page at 300 dpi of the given lines, one under the other."""
    built = [synthetic_line(line, row) for row, line in enumerate(lines)]
    block = Block.model_construct(bbox=(150, 150, PAGE_SIZE[0] - 150, 150 + 60 * len(lines)), lines=built)
    return Page.model_construct(
        number=number,
        width=PAGE_SIZE[0],
        height=PAGE_SIZE[1],
        dpi=300,
        source=PageSource.ocr,
        engine="tesseract",
        confidence=0.95,
        blocks=[block],
    )


def result_of(doc: Doc) -> OcrResult:
    invoice = None
    if doc.seller is not None:
        invoice = Invoice.model_construct(
            valid=True, seller=Party.model_construct(name=doc.seller), totals=Totals.model_construct(payable=doc.total)
        )
    return OcrResult.model_construct(
        id=doc.job_id,
        engine=EngineRef(name="tesseract", version="5.5.4"),
        languages=LANGUAGES,
        pages=[synthetic_page(number, lines) for number, lines in enumerate(doc.pages, start=1)],
        invoice=invoice,
        key_fields=[],
        text="",
    )


def document_values(tenant: str, sha256: str, pages: int) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "sha256": sha256,
        "kind": "pdf",
        "content_type": "application/pdf",
        "size": 50_000 * pages,
        "page_count": pages,
        "created_at": FIRST_DAY,
    }


def job_values(job_id: str, tenant: str, sha256: str, filename: str, pages: int, filed_at: datetime) -> dict[str, Any]:
    """A succeeded job's columns (those without a default, and what a finished job has)."""
    return {
        "id": job_id,
        "tenant_id": tenant,
        "document_sha256": sha256,
        "filename": filename,
        "service": "cpu",
        "queue": "cpu",
        "status": JobStatus.succeeded,
        "engine": "tesseract",
        "languages": LANGUAGES,
        "pages": list(range(1, pages + 1)),
        "options_key": "bench-search",
        "pages_done": pages,
        "attempts": 1,
        "created_at": filed_at,
        "started_at": filed_at,
        "finished_at": filed_at + timedelta(seconds=2 * pages),
    }


PAGE_COLUMNS = [column.key for column in SearchPage.__table__.columns]


@dataclass
class Batch:
    """Documents, their jobs and their pages as column values, made once and inserted into each backend."""

    documents: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    terms: list[dict[str, Any]]
    """SQLite's FTS5 rows."""
    words: int = 0


def batch_of(docs: Sequence[Doc], job_pages: int) -> Batch:
    batch = Batch([], [], [], [])
    for doc in docs:
        batch.documents.append(document_values(doc.tenant, doc.sha256, len(doc.pages)))
        values = job_values(doc.job_id, doc.tenant, doc.sha256, doc.filename, len(doc.pages), doc.filed_at)
        batch.jobs.append(values)
        for index, row in enumerate(page_rows(Job(**values), result_of(doc))):
            # Ids given here, so that SQLite's FTS5 rows can be made once for both backends.
            row.id = doc.number * job_pages + index + 1
            batch.pages.append({key: getattr(row, key) for key in PAGE_COLUMNS})
            batch.terms.append({"id": row.id, "terms": terms(row.text)})
            batch.words += len(row.words)
    return batch


@functools.cache
def _stem(word: str) -> str:
    # Loading 100,000 pages stems 16 million words; a corpus repeats its words, so they are remembered.
    return stem(word)


def terms(page_text: str) -> str:
    """What ``index_result`` writes to FTS5 (``" ".join(stems(text))``), with the stems remembered."""
    return " ".join(_stem(word) for word in words(page_text))


# --- the backends -----------------------------------------------------------------------------------------------


class SqlClock:
    """Seconds spent in ``cursor.execute`` on an engine: the database's share of a search."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, connection: Any, *_args: Any) -> None:
        connection.info["bench_started"] = time.perf_counter()

    def _after(self, connection: Any, *_args: Any) -> None:
        self.seconds += time.perf_counter() - connection.info.pop("bench_started")


@dataclass
class Backend:
    name: str
    engine: Engine
    sessions: sessionmaker[Session]
    clock: SqlClock
    load_seconds: float = 0.0
    pages: int = 0

    @property
    def sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def setup(self, tenants: Sequence[str]) -> None:
        upgrade(self.engine)
        with self.sessions.begin() as session:
            session.add_all([Tenant(id=tenant) for tenant in tenants])

    def load(self, batch: Batch) -> None:
        started = time.perf_counter()
        with self.sessions.begin() as session:
            session.execute(insert(Document), batch.documents)
            session.execute(insert(Job), batch.jobs)
            session.execute(insert(SearchPage), batch.pages)
            if self.sqlite:
                session.execute(text(f"INSERT INTO {SQLITE_TERMS} (rowid, terms) VALUES (:id, :terms)"), batch.terms)
            self.pages += len(batch.pages)
        self.load_seconds += time.perf_counter() - started

    def settle(self) -> float:
        """PostgreSQL as autovacuum leaves it after a bulk load: statistics taken, GIN's pending list merged."""
        started = time.perf_counter()
        if not self.sqlite:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                # The ids were given at loading: the sequence goes on after them, for the rows index_result adds.
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('search_pages', 'id'), max(id)) FROM search_pages")
                )
                connection.execute(text("VACUUM ANALYZE"))
        return time.perf_counter() - started

    def size_mb(self) -> float:
        with self.engine.connect() as connection:
            if self.sqlite:
                pages = connection.execute(text("PRAGMA page_count")).scalar_one()
                size = connection.execute(text("PRAGMA page_size")).scalar_one()
                return float(pages * size) / 1e6
            return float(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()) / 1e6

    def matching(self, tenant: str, query: Query, filters: Filters) -> int:
        """The pages the ranking query of ``search_pages`` would rank: its conditions, built as find.py builds
        them, without its limit."""
        params: dict[str, Any] = {"tenant": tenant}
        clauses = where_clauses(filters, params, self.engine.dialect.name)
        if self.sqlite:
            params["match"] = sqlite_match(query)
            # The matches found once: as a join, the planner may probe FTS5 for each of the tenant's pages.
            statement = (
                f"SELECT count(*) FROM search_pages sp WHERE sp.id IN "
                f"(SELECT rowid FROM {SQLITE_TERMS} WHERE {SQLITE_TERMS} MATCH :match) AND {' AND '.join(clauses)}"
            )
        else:
            tsquery = postgres_tsquery(query, params)
            statement = (
                f"SELECT count(*) FROM search_pages sp, (SELECT {tsquery} AS query) AS q "
                f"WHERE sp.tsv @@ q.query AND {' AND '.join(clauses)}"
            )
        with self.sessions() as session:
            return int(session.execute(text(statement), params).scalar_one())


@contextmanager
def postgres(tenants: Sequence[str]) -> Iterator[Backend]:
    database = f"ablage_bench_search_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}"
    engine = make_engine(url)
    try:
        backend = Backend("PostgreSQL", engine, make_sessionmaker(engine), SqlClock(engine))
        backend.setup(tenants)
        yield backend
    finally:
        engine.dispose()
        drop(database)


def drop(database: str) -> None:
    # A server restarted meanwhile is back within seconds; a database left behind would hold gigabytes.
    for attempt in range(10):
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            if attempt == 9:
                print(f"could not drop the scratch database {database}: drop it by hand", file=sys.stderr)
                raise
            time.sleep(3)


@contextmanager
def sqlite(tenants: Sequence[str]) -> Iterator[Backend]:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/search.db")
        try:
            backend = Backend("SQLite", engine, make_sessionmaker(engine), SqlClock(engine))
            backend.setup(tenants)
            yield backend
        finally:
            engine.dispose()


# --- search latency ---------------------------------------------------------------------------------------------


@dataclass
class Measured:
    """One query on one backend."""

    backend: str
    kind: str
    q: str
    filters: str
    matching: int = 0
    hits: int = 0
    seconds: list[float] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)


def search_once(backend: Backend, tenant: str, spec: Spec) -> tuple[int, float, float]:
    """Hits, seconds of the whole call, seconds in the driver."""
    sql_before = backend.clock.seconds
    started = time.perf_counter()
    with backend.sessions() as session:
        hits = search_pages(session, tenant, parse_query(spec.q), spec.filters, LIMIT)
    return len(hits), time.perf_counter() - started, backend.clock.seconds - sql_before


def latency(backends: Sequence[Backend], tenant: str, rounds: int, seed: int) -> list[Measured]:
    """Every query on every backend ``rounds`` times, in an order shuffled each round, so that whatever else the
    machine does meanwhile falls on both backends alike."""
    measured = []
    for backend in backends:
        for spec in QUERIES:
            entry = Measured(backend.name, spec.kind, spec.q, spec.shown)
            entry.matching = backend.matching(tenant, parse_query(spec.q), spec.filters)
            entry.hits, _, _ = search_once(backend, tenant, spec)  # caches warm, plans made
            measured.append(entry)
    pairs = [(backend, spec) for backend in backends for spec in QUERIES]
    order = list(range(len(pairs)))
    rng = random.Random(seed)
    for number in range(rounds):
        print(f"searching: round {number + 1} of {rounds}", file=sys.stderr)
        rng.shuffle(order)
        for index in order:
            backend, spec = pairs[index]
            _, seconds, sql = search_once(backend, tenant, spec)
            measured[index].seconds.append(seconds)
            measured[index].sql_seconds.append(sql)
    return measured


def percentile(samples: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: with few samples the p99 is the slowest but one or the slowest."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# --- indexing against OCR ---------------------------------------------------------------------------------------


@dataclass
class Ocr:
    seconds_per_page: float
    words_per_page: float
    pages: list[Page]
    engine: EngineRef


def ocr(repeats: int) -> Ocr:
    """Tesseract, as the service runs it, on the corpus scans: seconds per page, the engine loaded and warm."""
    # Imported here, after main() has set OMP_THREAD_LIMIT: OpenMP reads it once, when the library loads.
    from ablage.engines.tesseract import TesseractEngine
    from ablage.settings import Settings
    from PIL import Image

    engine = TesseractEngine(Settings())
    try:
        images = []
        for name in OCR_SCANS:
            with Image.open(DOCUMENTS / name) as opened:
                dpi = opened.info.get("dpi", (300, 300))[0]
                images.append((opened.convert("L"), round(float(dpi))))
        engine.recognize(images[0][0], page_number=1, dpi=images[0][1], languages=LANGUAGES, timeout=600)
        pages = []
        started = time.perf_counter()
        for _ in range(repeats):
            for number, (image, dpi) in enumerate(images, start=1):
                pages.append(engine.recognize(image, page_number=number, dpi=dpi, languages=LANGUAGES, timeout=600))
        seconds = (time.perf_counter() - started) / len(pages)
        words_per_page = statistics.mean(sum(len(line.words) for line in page.lines()) for page in pages)
        return Ocr(
            seconds, words_per_page, pages[: len(images)], EngineRef(name=engine.name, version=engine.info().version)
        )
    finally:
        engine.close()


@dataclass
class Indexed:
    backend: str
    case: str
    jobs: int
    job_pages: int
    seconds: list[float] = field(default_factory=list)
    """Per job: ``index_result`` and the commit."""

    @property
    def ms_per_page(self) -> float:
        return sum(self.seconds) / (self.jobs * self.job_pages) * 1000


def indexing(backend: Backend, tenant: str, scanned: Ocr, job_pages: int, jobs: int, seed: int) -> list[Indexed]:
    """Jobs of ``job_pages`` OCR pages indexed into the full index: new documents, then a new version of each."""
    new = Indexed(backend.name, "new document", jobs, job_pages)
    again = Indexed(backend.name, "new version (rows replaced)", jobs, job_pages)
    shas = []
    for number in range(jobs):
        sha256 = hashlib.sha256(f"bench-search-indexing-{seed}-{job_pages}-{number}".encode()).hexdigest()
        shas.append(sha256)
        pages = [
            scanned.pages[index % len(scanned.pages)].model_copy(update={"number": index + 1})
            for index in range(job_pages)
        ]
        with backend.sessions.begin() as session:
            session.add(Document(**document_values(tenant, sha256, job_pages)))
        for measured in (new, again):
            job_id = str(uuid.uuid4())
            filed_at = datetime.now(UTC)
            with backend.sessions.begin() as session:
                session.add(Job(**job_values(job_id, tenant, sha256, f"scan-{number}.pdf", job_pages, filed_at)))
            result = OcrResult(id=job_id, engine=scanned.engine, languages=LANGUAGES, pages=pages)
            with backend.sessions() as session:
                job = session.get_one(Job, job_id)
                started = time.perf_counter()
                index_result(session, job, result)
                session.commit()
                measured.seconds.append(time.perf_counter() - started)
    with backend.sessions() as session:
        # Each document's pages once: the new version's rows took the place of the first's.
        found = session.scalar(select(func.count()).select_from(SearchPage).where(SearchPage.document_sha256.in_(shas)))
        assert found == jobs * job_pages, f"{backend.name}: {found} pages indexed, expected {jobs * job_pages}"
    return [new, again]


# --- output -----------------------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def kinds_table(measured: Sequence[Measured], backends: Sequence[str]) -> str:
    head = "| query kind | queries | searches each |"
    rule = "|---|---:|---:|"
    for name in backends:
        head += f" {name} p50 ms | {name} p99 ms | {name} in driver p50 ms |"
        rule += "---:|---:|---:|"
    if len(backends) == 2:
        head += f" {backends[0]} ÷ {backends[1]} (p50) |"
        rule += "---:|"
    lines = [head, rule]
    for kind in (*KINDS, "overall"):
        entries = [entry for entry in measured if kind in (entry.kind, "overall")]
        queries = len({(entry.q, entry.filters) for entry in entries})
        searches = sum(len(entry.seconds) for entry in entries if entry.backend == backends[0])
        cells = f"| {kind if kind != 'overall' else '**overall**'} | {queries} | {searches} |"
        p50s = []
        for name in backends:
            samples = [s for entry in entries if entry.backend == name for s in entry.seconds]
            sql = [s for entry in entries if entry.backend == name for s in entry.sql_seconds]
            p50s.append(statistics.median(samples))
            cells += f" {_ms(p50s[-1])} | {_ms(percentile(samples, 0.99))} | {_ms(statistics.median(sql))} |"
        if len(backends) == 2:
            cells += f" {p50s[0] / p50s[1]:.2f} |"
        lines.append(cells)
    return "\n".join(lines)


def queries_table(measured: Sequence[Measured], backends: Sequence[str]) -> str:
    head = "| kind | query | filter |"
    rule = "|---|---|---|"
    for name in backends:
        head += f" {name} matching pages | {name} hits | {name} p50 ms | {name} in driver p50 ms |"
        rule += "---:|---:|---:|---:|"
    lines = [head, rule]
    for spec in QUERIES:
        cells = f"| {spec.kind} | `{spec.q}` | {f'`{spec.shown}`' if spec.shown else '—'} |"
        for name in backends:
            entry = next(e for e in measured if e.backend == name and e.q == spec.q and e.filters == spec.shown)
            cells += (
                f" {entry.matching:,} | {entry.hits} | {_ms(statistics.median(entry.seconds))} | "
                f"{_ms(statistics.median(entry.sql_seconds))} |"
            )
        lines.append(cells)
    return "\n".join(lines)


def indexing_table(indexed: Sequence[Indexed], scanned: Ocr) -> str:
    lines = [
        "| backend | case | jobs | pages per job | ms per job (median) | ms per page | OCR ms per page | index ÷ OCR |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in indexed:
        lines.append(
            f"| {entry.backend} | {entry.case} | {entry.jobs} | {entry.job_pages} | "
            f"{_ms(statistics.median(entry.seconds))} | {entry.ms_per_page:.2f} | "
            f"{scanned.seconds_per_page * 1000:.0f} | {entry.ms_per_page / (scanned.seconds_per_page * 1000):.2%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000, help="indexed pages (default 100000)")
    parser.add_argument("--job-pages", type=int, default=10, help="pages per document and job (default 10)")
    parser.add_argument("--tenants", type=int, default=3, help="tenants the documents belong to (default 3)")
    parser.add_argument("--rounds", type=int, default=15, help="timed searches per query and backend (default 15)")
    parser.add_argument("--index-jobs", type=int, default=20, help="jobs per indexing case (default 20)")
    parser.add_argument("--ocr-repeats", type=int, default=2, help="times each scan is read (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    # One OCR thread, as in the page processes: OCR's cost per page on one core, like indexing's.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    tenants = [f"tenant-{index + 1}" for index in range(args.tenants)]
    corpus = Corpus(args.seed, tenants, args.job_pages)
    documents = -(-args.pages // args.job_pages)
    print(f"OCR: Tesseract on {', '.join(OCR_SCANS)} …", file=sys.stderr)
    scanned = ocr(args.ocr_repeats)
    indexed: list[Indexed] = []
    loads: dict[str, dict[str, float]] = {}
    with postgres(tenants) as pg, sqlite(tenants) as lite:
        backends = (pg, lite)
        started = time.perf_counter()
        distinct: set[bytes] = set()
        per_tenant = dict.fromkeys(tenants, 0)
        word_count = 0
        for start in range(0, documents, CHUNK):
            docs = [corpus.document(number) for number in range(start, min(documents, start + CHUNK))]
            batch = batch_of(docs, args.job_pages)
            word_count += batch.words
            for doc in docs:
                per_tenant[doc.tenant] += len(doc.pages)
                distinct.update(
                    hashlib.blake2b("\n".join(page).encode(), digest_size=16).digest() for page in doc.pages
                )
            for backend in backends:
                backend.load(batch)
            done = min(documents, start + CHUNK) * args.job_pages
            print(f"loaded {done:,} pages ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        for backend in backends:
            settle = backend.settle()
            loads[backend.name] = {
                "pages": backend.pages,
                "seconds": backend.load_seconds,
                "pages_per_s": backend.pages / backend.load_seconds,
                "vacuum_analyze_seconds": settle,
                "size_mb": backend.size_mb(),
            }
        tenant = tenants[0]
        measured = latency(backends, tenant, args.rounds, args.seed)
        for backend in backends:
            print(f"indexing into {backend.name} …", file=sys.stderr)
            for job_pages in sorted({1, args.job_pages}):
                indexed += indexing(backend, tenant, scanned, job_pages, args.index_jobs, args.seed)

    names = [backend.name for backend in backends]
    print(
        f"{documents:,} documents of {args.job_pages} pages, {sum(per_tenant.values()):,} pages "
        f"({len(distinct):,} distinct, {word_count / max(1, sum(per_tenant.values())):.0f} words a page), tenants "
        f"{', '.join(f'{t} {n:,}' for t, n in per_tenant.items())}; "
        f"searched: {tenants[0]}. {os.cpu_count()} cores ({platform.processor() or platform.machine()})."
    )
    for name, load in loads.items():
        settled = f", then VACUUM ANALYZE {load['vacuum_analyze_seconds']:.0f} s" if name == pg.name else ""
        print(
            f"{name}: loaded {load['pages']:,.0f} pages in {load['seconds']:.0f} s ({load['pages_per_s']:.0f} pages/s)"
            f"{settled}; database {load['size_mb']:.0f} MB"
        )
    print()
    print(kinds_table(measured, names))
    print()
    print(queries_table(measured, names))
    print()
    print(
        f"OCR: Tesseract {scanned.engine.version} in this process, one thread, {', '.join(OCR_SCANS)}: "
        f"{scanned.seconds_per_page:.2f} s per page, {scanned.words_per_page:.0f} words per page."
    )
    print()
    print(indexing_table(indexed, scanned))
    if args.json is not None:
        payload = {
            "pages": args.pages,
            "job_pages": args.job_pages,
            "tenants": per_tenant,
            "distinct_pages": len(distinct),
            "load": loads,
            "queries": [asdict(entry) for entry in measured],
            "ocr": {"seconds_per_page": scanned.seconds_per_page, "words_per_page": scanned.words_per_page},
            "indexing": [asdict(entry) | {"ms_per_page": entry.ms_per_page} for entry in indexed],
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
