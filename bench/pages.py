"""Pages per minute and word F1 of the searchable-PDF paths against raw Tesseract and OCRmyPDF, on the same pages.

    python -m bench.pages [--pages 6] [--processes N] [--engine tesseract] [--json PATH]

Builds, at run time, an image-only PDF of A4 pages at 300 dpi (greyscale, Flate: lossless) from the scans with
ground truth in tests/data/documents, and measures in one run:

* raw ``tesseract`` (deu+eng), N processes over the page images, text only, ``OMP_THREAD_LIMIT=1``;
* ``ocrmypdf -l deu+eng -j N`` on the PDF, when the command is installed (its text read back with ``pdftotext``);
* the API (embedded: SQLite, local storage, a temporary DATA_DIR): the whole PDF from upload to its searchable PDF
  fetched, and the same pages as one-page PDFs submitted at once;
* ``ablage ocr --format pdf`` on the PDF, timed as a command;
* ``/health`` p50/p99 on the idle service and while OCR keeps every worker busy (target p99 < 50 ms);
* the API process's peak RSS growth while it receives an upload just under MAX_UPLOAD_SIZE (target < 64 MiB).

Ratios are taken against the baselines of the same run. Each upload carries a unique trailing comment so that
duplicate detection cannot answer from an earlier result.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ablage.evaluation import word_f1
from PIL import Image

from bench.ready_latency import percentile
from bench.serve import served
from bench.throughput import PAGES

# Five German invoices and one English one, the scans with line ground truth (the German receipts have only
# key fields, and Fraktur is another script): the languages are de,en throughout. The same as bench.throughput's.
SOURCES = tuple(path.name for path in PAGES)
DOCUMENTS = PAGES[0].parent
DPI = 300
A4_MM = (210.0, 297.0)
A4_POINTS = (595.276, 841.89)
PREFIX = "/api/v1/cpu"
HEALTH_TARGET_P99_MS = 50.0
RSS_TARGET_MB = 64.0
MAX_UPLOAD_SIZE = 104_857_600
_START_TIMEOUT = 300
_JOB_TIMEOUT = 900
_FINISHED = {"succeeded", "failed", "cancelled"}


def a4_size(dpi: int = DPI) -> tuple[int, int]:
    """A4 in pixels at ``dpi``: 2480 × 3508 at 300."""
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


def a4_page(image: Image.Image, source_dpi: float, dpi: int = DPI) -> Image.Image:
    """The scan as a greyscale A4 page at ``dpi``: rescaled to that resolution (shrunk further if it is larger
    than A4), centred on white."""
    width, height = a4_size(dpi)
    scale = min(dpi / source_dpi, width / image.width, height / image.height)
    grey = image.convert("L")
    size = (max(1, min(width, round(grey.width * scale))), max(1, min(height, round(grey.height * scale))))
    if size != grey.size:
        grey = grey.resize(size, Image.Resampling.LANCZOS)
    page = Image.new("L", (width, height), 255)
    page.paste(grey, ((width - size[0]) // 2, (height - size[1]) // 2))
    return page


def image_pdf(pages: Sequence[Image.Image], points: tuple[float, float] = A4_POINTS) -> bytes:
    """An image-only PDF, one greyscale Flate-compressed image filling each page (lossless, no text layer)."""
    objects: list[bytes] = []
    kids = []
    for index, page in enumerate(pages):
        grey = page.convert("L")
        image_id, content_id, page_id = 3 + 3 * index, 4 + 3 * index, 5 + 3 * index
        data = zlib.compress(grey.tobytes(), 6)
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {grey.width} /Height {grey.height} /ColorSpace /DeviceGray "
            f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
            + data
            + b"\nendstream"
        )
        content = f"q {points[0]} 0 0 {points[1]} 0 0 cm /Im0 Do Q".encode()
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {points[0]} {points[1]}] "
            f"/Resources << /XObject << /Im0 {image_id} 0 R >> >> /Contents {content_id} 0 R >>".encode()
        )
        kids.append(f"{page_id} 0 R")
    objects.insert(0, f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode())
    objects.insert(0, b"<< /Type /Catalog /Pages 2 0 R >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@dataclass(frozen=True)
class Corpus:
    images: list[Path]
    """One greyscale A4 PNG per page."""
    pdf: Path
    """All pages in one image-only PDF."""
    single_pdfs: list[Path]
    """Each page as a one-page PDF."""
    truth: list[str]
    """Each page's ground truth."""


def build_corpus(count: int, folder: Path) -> Corpus:
    """``count`` pages, cycling through SOURCES, as A4 page images and PDFs under ``folder``."""
    images, singles, truth, pages = [], [], [], []
    for index in range(count):
        name = SOURCES[index % len(SOURCES)]
        with Image.open(DOCUMENTS / name) as scan:
            source_dpi = float(scan.info.get("dpi", (DPI, DPI))[0])
            page = a4_page(scan, source_dpi)
        stem = f"page{index + 1:02d}_{Path(name).stem}"
        image = folder / f"{stem}.png"
        page.save(image, dpi=(DPI, DPI))
        single = folder / f"{stem}.pdf"
        single.write_bytes(image_pdf([page]))
        images.append(image)
        singles.append(single)
        truth.append((DOCUMENTS / name).with_suffix(".gt.txt").read_text(encoding="utf-8"))
        pages.append(page)
    pdf = folder / f"document_{count}_pages.pdf"
    pdf.write_bytes(image_pdf(pages))
    return Corpus(images, pdf, singles, truth)


@dataclass
class Row:
    system: str
    pages: int
    seconds: float | None
    f1: float | None
    searchable_pdf: bool
    note: str = ""

    @property
    def pages_per_min(self) -> float | None:
        return self.pages / self.seconds * 60 if self.seconds else None


def ratio(value: float | None, baseline: float | None) -> float | None:
    return value / baseline if value and baseline else None


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(rows: Sequence[Row]) -> str:
    """The Markdown table; ratios are pages/min over the baseline's (above 1: faster)."""
    raw = next((row.pages_per_min for row in rows if row.system.startswith("raw tesseract")), None)
    ocrmypdf = next((row.pages_per_min for row in rows if row.system.startswith("OCRmyPDF")), None)
    lines = [
        "| system | wall s | pages/min | word-F1 | ratio vs raw tesseract | ratio vs OCRmyPDF default |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        vs_ocrmypdf = ratio(row.pages_per_min, ocrmypdf) if row.searchable_pdf else None
        note = f" ({row.note})" if row.note else ""
        lines.append(
            f"| {row.system}{note} | {_fmt(row.seconds, '.1f')} | {_fmt(row.pages_per_min, '.1f')} | "
            f"{_fmt(row.f1, '.3f')} | {_fmt(ratio(row.pages_per_min, raw), '.2f')} | {_fmt(vs_ocrmypdf, '.2f')} |"
        )
    return "\n".join(lines)


def score(texts: Sequence[str], truth: Sequence[str]) -> float:
    """Word F1 of all pages together (order-insensitive, so page boundaries do not matter)."""
    return word_f1("\n".join(texts), "\n".join(truth)).f1


def pdf_text(path: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


# --- baselines -------------------------------------------------------------------------------------------------


def raw_tesseract(corpus: Corpus, processes: int) -> Row:
    name = f"raw tesseract CLI, {processes} processes, text"
    if shutil.which("tesseract") is None:
        return Row(name, len(corpus.images), None, None, False, "skipped: no tesseract command (apt tesseract-ocr)")
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}

    def one(image: Path) -> str:
        command = ["tesseract", str(image), "stdout", "-l", "deu+eng", "--dpi", str(DPI)]
        return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout

    with ThreadPoolExecutor(processes) as pool:
        started = time.perf_counter()
        texts = list(pool.map(one, corpus.images))
        seconds = time.perf_counter() - started
    return Row(name, len(corpus.images), seconds, score(texts, corpus.truth), False)


def ocrmypdf(corpus: Corpus, processes: int, scratch: Path, pdfa: bool) -> Row:
    """``pdfa``: OCRmyPDF's default output, PDF/A-2b (a Ghostscript pass after OCR); else ``--output-type pdf``,
    a plain searchable PDF like the API's."""
    kind = "PDF/A (its default)" if pdfa else "--output-type pdf"
    name = f"OCRmyPDF -j {processes}, {kind}"
    pages = len(corpus.images)
    if shutil.which("ocrmypdf") is None:
        reason = "skipped: no ocrmypdf command (apt-get install ocrmypdf)"
        print(f"OCRmyPDF {reason}", file=sys.stderr)
        return Row(name, pages, None, None, True, reason)
    output = scratch / f"ocrmypdf-{'pdfa' if pdfa else 'pdf'}.pdf"
    command = ["ocrmypdf", "-q", "-l", "deu+eng", "-j", str(processes)]
    if not pdfa:
        command += ["--output-type", "pdf"]
    started = time.perf_counter()
    subprocess.run([*command, str(corpus.pdf), str(output)], check=True, env=os.environ | {"OMP_THREAD_LIMIT": "1"})
    seconds = time.perf_counter() - started
    text = pdf_text(output)
    return Row(name, pages, seconds, None if text is None else score([text], corpus.truth), True)


def ablage_cli(corpus: Corpus, engine: str, scratch: Path, env: dict[str, str]) -> Row:
    output = scratch / "cli"
    command = [sys.executable, "-m", "ablage.cli.main", "ocr", "--format", "pdf", "-o", str(output)]
    command += ["--engine", engine, "--lang", "de,en", str(corpus.pdf)]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    text = pdf_text(output / f"{corpus.pdf.stem}.pdf")
    name = "ablage ocr --format pdf (command, with start-up)"
    return Row(name, len(corpus.images), seconds, None if text is None else score([text], corpus.truth), True)


# --- the API ---------------------------------------------------------------------------------------------------


@contextmanager
def service(scratch: Path, workers: int, processes: int) -> Iterator[tuple[str, int]]:
    """``ablage serve --service cpu`` on a free loopback port, embedded; yields its base URL and pid."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DATA_DIR": str(scratch / "data"),
        "WORKERS": str(workers),
        "PAGE_PROCESSES": str(processes),
        "ENABLED_ENGINES": "tesseract,rapidocr",
        "LOG_LEVEL": "WARNING",
        "MAX_UPLOAD_SIZE": str(MAX_UPLOAD_SIZE),
    }
    with served(
        env, scratch / "serve.log", args=("--service", "cpu"), wait_for="/ready", timeout=_START_TIMEOUT
    ) as app:
        settle(app.base)
        yield app.base, app.pid


def settle(base: str, timeout: float = 120) -> None:
    """Until no engine is still loading (``/ready`` answers once the first one is), so that the idle figures are
    taken on an idle service."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engines = httpx.get(f"{base}{PREFIX}/engines", timeout=30).json()["engines"]
        if all(engine.get("state") != "loading" for engine in engines):
            return
        time.sleep(0.5)


class Uploads:
    """Unique bytes per upload: readers ignore what follows a PDF's %%EOF or a PNG's IEND; the hash does not."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> tuple[str, bytes]:
        with self._lock:
            self._count += 1
            tag = self._count
        return path.name, path.read_bytes() + f"\n%bench-pages-{os.getpid()}-{tag}\n".encode()


def submit(client: httpx.Client, upload: tuple[str, bytes], engine: str) -> str:
    fields = {"engine": engine, "languages": "de,en"}
    response = client.post(f"{PREFIX}/jobs", files={"file": upload}, data=fields)
    if response.status_code != 202:
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
    return str(response.json()["id"])


def wait_job(client: httpx.Client, job_id: str, interval: float = 0.25) -> dict[str, Any]:
    deadline = time.monotonic() + _JOB_TIMEOUT
    while True:
        job: dict[str, Any] = client.get(f"{PREFIX}/jobs/{job_id}").json()
        if job["status"] in _FINISHED:
            if job["status"] != "succeeded":
                raise RuntimeError(f"job {job_id} {job['status']}: {job.get('error')}")
            return job
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} still {job['status']} after {_JOB_TIMEOUT} s")
        time.sleep(interval)


def result(client: httpx.Client, job_id: str, format: str) -> bytes:
    response = client.get(f"{PREFIX}/jobs/{job_id}/result", params={"format": format})
    response.raise_for_status()
    return response.content


def api_documents(base: str, paths: Sequence[Path], engine: str, uploads: Uploads) -> tuple[float, list[str]]:
    """Seconds from the first upload to the last searchable PDF fetched, all submitted at once; the texts after."""
    with httpx.Client(base_url=base, timeout=600) as client:

        def one(path: Path) -> str:
            job_id = submit(client, uploads(path), engine)
            wait_job(client, job_id)
            pdf = result(client, job_id, "pdf")
            if not pdf.startswith(b"%PDF"):
                raise RuntimeError(f"job {job_id}: the searchable PDF does not start with %PDF")
            return job_id

        with ThreadPoolExecutor(len(paths)) as pool:
            started = time.perf_counter()
            job_ids = list(pool.map(one, paths))
            seconds = time.perf_counter() - started
        texts = [result(client, job_id, "text").decode("utf-8") for job_id in job_ids]
    return seconds, texts


def cpu_ticks() -> tuple[int, int]:
    """Busy and total jiffies of all cores since boot (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def health_timings(base: str, calls: int, interval: float) -> tuple[list[float], float]:
    """``calls`` timed GETs of /health, ``interval`` seconds apart, one at a time; and the share of the machine's
    CPU time that was busy meanwhile (all processes: the service's and anything else here)."""
    samples = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/health")  # connection set-up stays out of the figures
        busy_before, total_before = cpu_ticks()
        for _ in range(calls):
            started = time.perf_counter()
            response = client.get("/health")
            samples.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            time.sleep(interval)
        busy_after, total_after = cpu_ticks()
    return samples, (busy_after - busy_before) / max(1, total_after - total_before)


@contextmanager
def saturated(base: str, paths: Sequence[Path], engine: str, uploads: Uploads, in_flight: int) -> Iterator[list[int]]:
    """Keeps ``in_flight`` documents submitted (each resubmitted as it finishes) until the block ends, once a job
    is seen running; yields a one-item list counting the documents finished meanwhile. After the block it waits
    for the jobs still in flight, so that what follows runs on an idle service."""
    stop = threading.Event()
    running = threading.Event()
    done = [0]
    outstanding: set[str] = set()
    errors: list[BaseException] = []

    def feed(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=600) as client:
            index = offset
            while not stop.is_set():
                try:
                    job_id = submit(client, uploads(paths[index % len(paths)]), engine)
                    outstanding.add(job_id)
                    while not stop.is_set():
                        status = client.get(f"{PREFIX}/jobs/{job_id}").json()["status"]
                        if status == "running":
                            running.set()
                        if status in _FINISHED:
                            done[0] += status == "succeeded"
                            outstanding.discard(job_id)
                            break
                        time.sleep(0.5)
                except BaseException as exc:
                    errors.append(exc)
                    running.set()
                    return
                index += in_flight

    threads = [threading.Thread(target=feed, args=(i,), daemon=True) for i in range(in_flight)]
    for thread in threads:
        thread.start()
    running.wait(120)
    try:
        yield done
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    if errors:
        raise RuntimeError(f"the load generator failed: {errors[0]!r}")
    wait_idle(base, sorted(outstanding))


def wait_idle(base: str, job_ids: Sequence[str]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for job_id in job_ids:
            deadline = time.monotonic() + _JOB_TIMEOUT
            while client.get(f"{PREFIX}/jobs/{job_id}").json()["status"] not in _FINISHED:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"job {job_id} did not finish")
                time.sleep(0.5)


# --- memory ----------------------------------------------------------------------------------------------------


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def reset_peak(pid: int) -> bool:
    """Resets VmHWM to the current RSS (Linux 4.0+, own processes or root)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def padded_upload(source: Path, target: Path, size: int) -> Path:
    """``source`` (a PNG: readers stop at IEND) padded with zeros to ``size`` bytes, written in chunks."""
    data = source.read_bytes()
    with target.open("wb") as out:
        out.write(data)
        remaining = size - len(data)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            out.write(chunk[: min(remaining, len(chunk))])
            remaining -= len(chunk)
    return target


def upload_rss(base: str, pid: int, path: Path, engine: str) -> dict[str, Any]:
    """Peak RSS growth of process ``pid`` while it receives ``path``, sampled every 5 ms and, where the kernel
    lets the peak be reset, read from VmHWM as well; the larger counts."""
    stop = threading.Event()
    peak = [0]

    def sample() -> None:
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_kib(pid))
            except (OSError, RuntimeError):
                return
            time.sleep(0.005)

    before = rss_kib(pid)
    hwm_reset = reset_peak(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with path.open("rb") as handle, httpx.Client(base_url=base, timeout=600) as client:
        fields = {"engine": engine, "languages": "de,en"}
        response = client.post(f"{PREFIX}/jobs", files={"file": (path.name, handle, "image/png")}, data=fields)
    seconds = time.perf_counter() - started
    hwm = rss_kib(pid, "VmHWM") if hwm_reset else 0
    stop.set()
    sampler.join()
    if response.status_code != 202:
        raise RuntimeError(f"the large upload answered {response.status_code}: {response.text[:300]}")
    growth_kib = max(peak[0], hwm) - before
    return {
        "bytes": path.stat().st_size,
        "upload_s": round(seconds, 2),
        "rss_before_mb": round(before / 1024, 1),
        "rss_growth_mb": round(growth_kib / 1024, 1),
        "vmhwm_reset": hwm_reset,
        "job_id": response.json()["id"],
    }


# --- the run ---------------------------------------------------------------------------------------------------


def latency(samples: Sequence[float]) -> dict[str, float]:
    return {
        "calls": len(samples),
        "p50_ms": round(percentile(list(samples), 50), 2),
        "p99_ms": round(percentile(list(samples), 99), 2),
        "max_ms": round(max(samples), 2),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run(args: argparse.Namespace, scratch: Path, log: Callable[[str], None]) -> dict[str, Any]:
    corpus = build_corpus(args.pages, scratch)
    log(f"{args.pages} A4 pages at {DPI} dpi; {corpus.pdf.stat().st_size / 1e6:.1f} MB PDF; {args.processes} cores")
    rows = [raw_tesseract(corpus, args.processes)]
    log(f"raw tesseract: {rows[-1].seconds} s")
    for pdfa in (True, False):
        rows.append(ocrmypdf(corpus, args.processes, scratch, pdfa))
        log(f"{rows[-1].system}: {rows[-1].seconds} s")
    cli_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    cli_env |= {"DATA_DIR": str(scratch / "cli-data"), "PAGE_PROCESSES": str(args.processes)}
    rows.append(ablage_cli(corpus, args.engine, scratch, cli_env))
    log(f"ablage ocr: {rows[-1].seconds} s")

    uploads = Uploads()
    report: dict[str, Any] = {}
    with service(scratch, args.workers, args.processes) as (base, pid):
        idle, idle_busy = health_timings(base, args.health_calls, args.health_interval)
        log("idle /health done")
        seconds, texts = api_documents(base, [corpus.pdf], args.engine, uploads)
        rows.append(
            Row(
                f"API, one {args.pages}-page PDF → searchable PDF",
                args.pages,
                seconds,
                score(texts, corpus.truth),
                True,
            )
        )
        log(f"API one document: {seconds:.1f} s")
        seconds, texts = api_documents(base, corpus.single_pdfs, args.engine, uploads)
        name = f"API, {args.pages} one-page PDFs at once → searchable PDFs"
        rows.append(Row(name, args.pages, seconds, score(texts, corpus.truth), True))
        log(f"API single pages: {seconds:.1f} s")

        in_flight = max(2 * args.workers, args.processes)
        with saturated(base, corpus.single_pdfs, args.engine, uploads, in_flight) as done:
            loaded, loaded_busy = health_timings(base, args.health_calls, args.health_interval)
        log(f"loaded /health done ({done[0]} documents finished meanwhile)")

        big = padded_upload(corpus.images[0], scratch / "large.png", MAX_UPLOAD_SIZE - 4096)
        memory = upload_rss(base, pid, big, args.engine)
        log("large upload done")
        wait_idle(base, [memory.pop("job_id")])
        big.unlink()

    idle_stats = latency(idle) | {"cpu_busy": round(idle_busy, 3)}
    loaded_stats = latency(loaded) | {"cpu_busy": round(loaded_busy, 3)}
    report |= {
        "pages": args.pages,
        "processes": args.processes,
        "workers": args.workers,
        "engine": args.engine,
        "rows": [
            {
                "system": row.system,
                "note": row.note,
                "wall_s": None if row.seconds is None else round(row.seconds, 2),
                "pages_per_min": None if row.pages_per_min is None else round(row.pages_per_min, 2),
                "word_f1": row.f1,
                "searchable_pdf": row.searchable_pdf,
            }
            for row in rows
        ],
        "health": {
            "idle": idle_stats,
            "loaded": loaded_stats | {"documents_finished_meanwhile": done[0], "documents_in_flight": in_flight},
            "target_p99_ms": HEALTH_TARGET_P99_MS,
            "pass": loaded_stats["p99_ms"] < HEALTH_TARGET_P99_MS,
        },
        "upload_rss": memory | {"target_mb": RSS_TARGET_MB, "pass": memory["rss_growth_mb"] < RSS_TARGET_MB},
        "table": table(rows),
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=6, help="pages of the document (cycling through the scans)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2, help="N: cores to use (default all)")
    parser.add_argument("--workers", type=int, default=2, help="WORKERS of the service")
    parser.add_argument("--engine", default="tesseract", help="the engine of the API and CLI paths")
    parser.add_argument("--health-calls", type=int, default=300, help="/health calls, idle and under load")
    parser.add_argument("--health-interval", type=float, default=0.05, help="seconds between two /health calls")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    if args.pages < 1 or args.processes < 1:
        parser.error("--pages and --processes must be at least 1")

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="ablage-bench-pages-") as scratch:
        report = run(args, Path(scratch), log)
    health, memory = report["health"], report["upload_rss"]
    print(report["table"])
    print()
    print(
        f"/health p50/p99: idle {health['idle']['p50_ms']:.2f}/{health['idle']['p99_ms']:.2f} ms, "
        f"under OCR load {health['loaded']['p50_ms']:.2f}/{health['loaded']['p99_ms']:.2f} ms "
        f"({health['loaded']['calls']} calls each, CPU busy {health['idle']['cpu_busy']:.0%} and "
        f"{health['loaded']['cpu_busy']:.0%}); target p99 < {HEALTH_TARGET_P99_MS:.0f} ms: "
        f"{verdict(health['pass'])}"
    )
    print(
        f"peak RSS growth during a {memory['bytes'] / 1e6:.0f} MB upload: {memory['rss_growth_mb']:.1f} MB "
        f"(from {memory['rss_before_mb']:.0f} MB); target < {RSS_TARGET_MB:.0f} MB: {verdict(memory['pass'])}"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
