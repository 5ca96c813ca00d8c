"""Size and pages/min of the archive copy (PDF/A) against OCRmyPDF's PDF/A output, on the same multi-page scans
in colour, grey and bilevel, in one run.

    python -m bench.archive_speed [--pages 6] [--processes N] [--engine tesseract ...] [--json PATH]

For each of colour, grey and bilevel an image-only PDF of ``--pages`` pages is built at run time from the scans in
tests/data/documents (cycling through several of that kind), each embedded losslessly (Flate) at its own
resolution. Each PDF goes through

* **OCRmyPDF**: ``ocrmypdf -q -l deu+eng --output-type pdfa -j N`` (N: the cores), timed as a command, start-up
  included: the baseline; and ``--output-type pdf`` (no Ghostscript pass), to show what that pass costs;
* **Ablage**, per engine (tesseract, and rapidocr where it is installed): the path of ``ablage ocr --format pdf``
  in this process: a ``PageExecutor`` of N page processes started once with the engine and warmed up (its time
  given apart), then per document ``inspect`` and ``read_document`` with ``searchable_pdf`` set, timed;
* **the engine alone**: the same engine in this process, one page after another on the pages as rendered, so
  that the share of the time that is OCR itself shows.

Outputs are checked with ``pikepdf.pdfa.validate_written`` (2b), their words counted with ``pdftotext`` and their
page images' encodings listed. Ratios are taken against OCRmyPDF's PDF/A output of the same run: size below 1 is
smaller, speed above 1 is faster. Nothing generated is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pikepdf
from ablage.documents.sniff import DocumentKind, sniff
from ablage.documents.source import open_document
from ablage.engines.base import EngineHost, PageEngine
from ablage.engines.supervisor import EngineSupervisor
from ablage.errors import AblageError
from ablage.executor.pool import PageExecutor
from ablage.jobs.pipeline import ReadRequest, read_document
from ablage.settings import OcrSettings, Settings
from PIL import Image

from bench.archive_size import image_pdf, scan, verdict, words

LANGUAGES = ["de", "en"]
ENGINES = ("tesseract", "rapidocr")
TARGET_SIZE = 1.0
"""The archive copy at most as large as OCRmyPDF's."""
TARGET_SPEED = 5.0
"""Pages/min at least 5× OCRmyPDF's."""
_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Kind:
    name: str
    mode: str
    sources: tuple[str, ...]


# Several scans of each kind, repeated in turn up to the page count. Grey: the Fraktur scans as they are and two
# invoice renders as grey (their grey text keeps them grey in the archive copy); bilevel: the invoices thresholded.
KINDS = (
    Kind("colour", "RGB", ("de_receipt_lidl_02032020_02_00716.jpg", "de_receipt_aldi_18042020_11_00883.jpg")),
    Kind(
        "grey",
        "L",
        (
            "de_fraktur_kant1784_p0017.tif",
            "de_invoice_hetzner_2016.png",
            "de_fraktur_bnl_newspaper_block0.tif",
            "de_invoice_mustang_499.png",
        ),
    ),
    Kind(
        "bilevel",
        "1",
        (
            "de_invoice_hetzner_2016.png",
            "de_invoice_ferd_einfach.png",
            "de_invoice_mustang_499.png",
            "de_invoice_ferd_miete.png",
            "en_invoice_amazonwebservices.png",
            "de_invoice_ferd_rabatte.png",
        ),
    ),
)


def shifted(image: Image.Image, pixels: int) -> Image.Image:
    """The image moved down by ``pixels`` on white, its size kept: a repeated scan that is not byte-identical
    (a writer that stores an identical image once would otherwise gain from the repetition)."""
    if pixels <= 0:
        return image
    white: float | tuple[int, ...] = (255, 255, 255) if image.mode == "RGB" else (1 if image.mode == "1" else 255)
    moved = Image.new(image.mode, image.size, white)
    moved.paste(image.crop((0, 0, image.width, image.height - pixels)), (0, pixels))
    return moved


def pages_of(kind: Kind, count: int) -> list[tuple[Image.Image, float]]:
    """``count`` pages of ``kind``: its scans in ``kind.mode``, in turn, each with its dpi; each repeat shifted
    down by 8 more pixels, so that no two pages are identical."""
    scans = [scan(source, kind.mode) for source in kind.sources[:count]]
    pages = []
    for index in range(count):
        image, dpi = scans[index % len(scans)]
        pages.append((shifted(image, 8 * (index // len(scans))), dpi))
    return pages


def build(kind: Kind, count: int, folder: Path) -> Path:
    target = folder / f"{kind.name}-{count}-pages.pdf"
    image_pdf(pages_of(kind, count), target)
    return target


@dataclass
class Row:
    input: str
    pages: int
    input_kb: float
    system: str
    kb: float | None = None
    seconds: float | None = None
    pdfa: str = "—"
    words: int | None = None
    images: str = "—"
    baseline: bool = False
    """OCRmyPDF's PDF/A output: the ratios' baseline."""
    note: str = ""

    @property
    def pages_per_min(self) -> float | None:
        return self.pages / self.seconds * 60 if self.seconds else None


@dataclass
class Startup:
    engine: str
    load_seconds: float | None = None
    """The engine loaded in this process (as ``ablage ocr`` does)."""
    processes_seconds: float | None = None
    """The page processes started, their engines built and warmed, and a first page per process read."""
    alone_seconds_per_page: dict[str, float] = field(default_factory=dict)
    """The engine alone in this process, seconds per page of each input."""
    note: str = ""


def encodings(path: Path) -> str:
    """The page images' encodings, e.g. ``6 JPEG`` or ``4 G4, 2 JPEG``."""
    names = {"/DCTDecode": "JPEG", "/CCITTFaxDecode": "G4", "/FlateDecode": "Flate", "/JBIG2Decode": "JBIG2"}
    found: Counter[str] = Counter()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for image in page.get_images().values():
                filters = image.get("/Filter")
                last = filters[-1] if isinstance(filters, pikepdf.Array) else filters
                found[names.get(str(last), str(last)) if last is not None else "raw"] += 1
    return ", ".join(f"{count} {name}" for name, count in found.most_common())


def checked(row: Row, target: Path) -> Row:
    row.kb = target.stat().st_size / 1024
    row.pdfa, row.words, row.images = verdict(target), words(target), encodings(target)
    return row


def ocrmypdf(name: str, source: Path, pages: int, processes: int, folder: Path, *, pdfa: bool) -> Row:
    output = "pdfa" if pdfa else "pdf"
    row = Row(name, pages, source.stat().st_size / 1024, f"OCRmyPDF -j {processes} --output-type {output}")
    row.baseline = pdfa
    if shutil.which("ocrmypdf") is None:
        row.note = "skipped: no ocrmypdf command (apt-get install ocrmypdf)"
        return row
    target = folder / f"ocrmypdf-{output}-{source.name}"
    command = ["ocrmypdf", "-q", "-l", "deu+eng", "--output-type", output, "-j", str(processes)]
    started = time.perf_counter()
    subprocess.run([*command, str(source), str(target)], check=True, env=os.environ | {"OMP_THREAD_LIMIT": "1"})
    row.seconds = time.perf_counter() - started
    return checked(row, target)


def archive_copy(executor: PageExecutor, engine: PageEngine, settings: Settings, source: Path, target: Path) -> int:
    """What ``ablage ocr --format pdf`` does with one file: inspect it in the page executor, read its pages there
    and assemble the searchable PDF; the page count."""
    found, count = executor.inspect(str(source))
    with tempfile.TemporaryDirectory() as scratch:
        request = ReadRequest(
            path=source.resolve(),
            kind=DocumentKind(found),
            pages=list(range(1, count + 1)),
            engine=engine,
            languages=LANGUAGES,
            force_ocr=False,
            detect_orientation=settings.ocr.detect_orientation,
            searchable_pdf=target,
        )
        outcome = read_document(
            executor, request, scratch=Path(scratch), deadline=time.monotonic() + settings.ocr.processing_timeout
        )
    return len(outcome.pages)


def engine_alone(engine: PageEngine, source: Path, settings: Settings) -> float:
    """Seconds per page of the engine alone in this process, on the pages as the service renders them."""
    document = open_document(source, sniff(source), settings.upload)
    try:
        total = 0.0
        for number in range(1, document.page_count + 1):
            rendered = document.page(number, want_text_layer=False)
            assert rendered.image is not None
            started = time.perf_counter()
            engine.recognize(rendered.image, page_number=number, dpi=rendered.dpi, languages=LANGUAGES, timeout=600)
            total += time.perf_counter() - started
        return total / document.page_count
    finally:
        document.close()


def ablage(
    engine_name: str, inputs: Sequence[tuple[str, Path, int]], processes: int, folder: Path
) -> tuple[list[Row], Startup]:
    """The archive copy of every input through one page executor, started and warmed up once for the engine."""
    system = f"Ablage archive copy, {engine_name}, {processes} page processes"
    rows = [Row(name, pages, source.stat().st_size / 1024, system) for name, source, pages in inputs]
    startup = Startup(engine_name)
    settings = Settings(ocr=OcrSettings(page_processes=processes, enabled_engines=[engine_name]))
    started = time.perf_counter()
    with EngineSupervisor.running(settings, [engine_name]) as engines:
        engines.wait(engine_name, 600)
        try:
            engine = engines.pages(engine_name)
        except AblageError as exc:
            startup.note = f"skipped: {exc.detail}"
            for row in rows:
                row.note = startup.note
            return rows, startup
        startup.load_seconds = time.perf_counter() - started
        executor = PageExecutor(settings, processes=processes)
        try:
            started = time.perf_counter()
            if engine.host is EngineHost.page_process:
                executor.start([engine_name])
            # One page per process before the timing: the processes are up, their engines built and warmed.
            warm = folder / f"warm-{engine_name}.pdf"
            image_pdf([(Image.new("L", (1200, 300), 255), 300.0)] * processes, warm)
            archive_copy(executor, engine, settings, warm, folder / f"warm-{engine_name}-out.pdf")
            startup.processes_seconds = time.perf_counter() - started
            for row, (_name, source, _pages) in zip(rows, inputs, strict=True):
                target = folder / f"ablage-{engine_name}-{source.name}"
                started = time.perf_counter()
                row.pages = archive_copy(executor, engine, settings, source, target)
                row.seconds = time.perf_counter() - started
                checked(row, target)
        finally:
            executor.close()
        for name, source, _pages in inputs:
            startup.alone_seconds_per_page[name] = engine_alone(engine, source, settings)
    return rows, startup


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _ratio(value: float | None, baseline: float | None) -> float | None:
    return value / baseline if value is not None and baseline else None


def table(rows: Sequence[Row]) -> str:
    """The Markdown table. Size: output kB over OCRmyPDF's PDF/A output of the same input (≤ 1 meets the target);
    speed: pages/min over its pages/min (≥ 5 meets it)."""
    baselines = {row.input: row for row in rows if row.baseline}
    lines = [
        "| input | pages | input kB | system | output kB | size vs OCRmyPDF | s | pages/min | speed vs OCRmyPDF | "
        "PDF/A-2b (pikepdf.pdfa) | words (pdftotext) | page images |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for row in rows:
        base = baselines.get(row.input)
        size = _ratio(row.kb, base.kb if base else None)
        speed = _ratio(row.pages_per_min, base.pages_per_min if base else None)
        kb = _fmt(row.kb, ".1f") if row.kb is not None or not row.note else row.note
        found = "—" if row.words is None else str(row.words)
        lines.append(
            f"| {row.input} | {row.pages} | {row.input_kb:.1f} | {row.system} | {kb} | {_fmt(size, '.2f')} | "
            f"{_fmt(row.seconds, '.1f')} | {_fmt(row.pages_per_min, '.1f')} | {_fmt(speed, '.2f')} | {row.pdfa} | "
            f"{found} | {row.images} |"
        )
    return "\n".join(lines)


def targets(rows: Sequence[Row]) -> list[str]:
    """Per Ablage row: whether size ≤ OCRmyPDF's and pages/min ≥ 5× OCRmyPDF's."""
    baselines = {row.input: row for row in rows if row.baseline}
    lines = []
    for row in rows:
        base = baselines.get(row.input)
        if not row.system.startswith("Ablage") or base is None or row.kb is None or base.kb is None:
            continue
        size, speed = _ratio(row.kb, base.kb), _ratio(row.pages_per_min, base.pages_per_min)
        assert size is not None and speed is not None
        lines.append(
            f"{row.input}, {row.system}: size {size:.2f} (≤ {TARGET_SIZE:g}: "
            f"{'PASS' if size <= TARGET_SIZE else 'FAIL'}), speed {speed:.2f}× (≥ {TARGET_SPEED:g}×: "
            f"{'PASS' if speed >= TARGET_SPEED else 'FAIL'})"
        )
    return lines


def startup_lines(startups: Sequence[Startup], processes: int) -> list[str]:
    lines = []
    for startup in startups:
        if startup.note:
            lines.append(f"{startup.engine}: {startup.note}")
            continue
        alone = ", ".join(f"{name} {seconds:.2f}" for name, seconds in startup.alone_seconds_per_page.items())
        lines.append(
            f"{startup.engine}: engine loaded in this process {_fmt(startup.load_seconds, '.1f')} s; "
            f"{processes} page processes started, warmed and a first page each {_fmt(startup.processes_seconds, '.1f')}"
            f" s (not in the seconds above); the engine alone, one page after another in this process, s per page: "
            f"{alone}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6, help="pages per input (default 6)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="OCRmyPDF -j and page processes")
    parser.add_argument(
        "--engine", action="append", choices=ENGINES, help="engines to measure (default: tesseract and rapidocr)"
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows: list[Row] = []
    startups: list[Startup] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        inputs = [(kind.name, build(kind, args.pages, folder), args.pages) for kind in KINDS]
        for name, source, pages in inputs:
            for pdfa in (True, False):
                rows.append(ocrmypdf(name, source, pages, args.processes, folder, pdfa=pdfa))
        for engine_name in args.engine or ENGINES:
            measured, startup = ablage(engine_name, inputs, args.processes, folder)
            rows.extend(measured)
            startups.append(startup)
    rows.sort(key=lambda row: [name for name, _source, _pages in inputs].index(row.input))
    print(table(rows))
    print()
    for line in [*targets(rows), "", *startup_lines(startups, args.processes)]:
        print(line)
    if args.json is not None:
        payload = {"rows": [asdict(row) for row in rows], "startup": [asdict(startup) for startup in startups]}
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    sys.exit(main())
