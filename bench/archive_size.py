"""Size and time of the archive copy (PDF/A) against OCRmyPDF's default PDF/A output, on the same scans.

    python -m bench.archive_size [--json PATH]

Three one-page, image-only PDFs are built at run time from tests/data/documents, each scan embedded losslessly
(Flate) at its own resolution: a colour photo (a Lidl receipt), a grey scan (a Fraktur book page, as grey) and a
bilevel page (the Hetzner invoice thresholded to black and white). Each goes through

* **OCRmyPDF**: ``ocrmypdf -q -l deu+eng --output-type pdfa -j 1`` (its default, PDF/A-2b through Ghostscript);
* **Ablage**: the service's page path in this process: render the page, Tesseract (deu+eng, the engine loaded
  beforehand), ``write_page``, ``write_archive``; the writing alone is timed too.

Both outputs are checked with ``pikepdf.pdfa.validate_written`` (2b) and their text read back with ``pdftotext``.
Nothing generated is kept.
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
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pikepdf
import pikepdf.pdfa
from ablage.documents.sniff import sniff
from ablage.documents.source import open_document
from ablage.engines.supervisor import EngineSupervisor
from ablage.results.archive_pdf import write_archive, write_page
from ablage.settings import OcrSettings, Settings
from PIL import Image

DOCUMENTS = Path(__file__).parents[1] / "tests" / "data" / "documents"
LANGUAGES = ["de", "en"]


@dataclass(frozen=True)
class Input:
    name: str
    source: str
    mode: str


INPUTS = [
    Input("colour photo", "de_receipt_lidl_02032020_02_00716.jpg", "RGB"),
    Input("grey scan", "de_fraktur_kant1784_p0017.tif", "L"),
    Input("bilevel page", "de_invoice_hetzner_2016.png", "1"),
]


@dataclass
class Row:
    input: str
    pixels: str
    input_kb: float
    system: str
    kb: float | None
    seconds: float | None
    write_seconds: float | None
    pdfa: str
    words: int | None
    note: str = ""


def image_pdf(pages: Sequence[tuple[Image.Image, float]], target: Path) -> None:
    """An image-only PDF, one page per ``(image, dpi)``: the image Flate-compressed in its own mode ("1", "L" or
    "RGB": lossless), filling a page of its size at its ``dpi``."""
    with pikepdf.new() as pdf:
        for image, dpi in pages:
            if image.mode not in ("1", "L", "RGB"):
                raise ValueError(f"image mode {image.mode}: give 1, L or RGB")
            # Flate of 1-bit rows: PDF's 1 bits are white under DeviceGray, as Pillow packs them.
            space = "/DeviceRGB" if image.mode == "RGB" else "/DeviceGray"
            bits = 1 if image.mode == "1" else 8
            width, height = image.width * 72 / dpi, image.height * 72 / dpi
            stream = pikepdf.Stream(pdf, zlib.compress(image.tobytes(), 9))
            stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            stream.Width, stream.Height = image.size
            stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name(space), bits
            stream.Filter = pikepdf.Name.FlateDecode
            page = pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=[0, 0, width, height],
                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream)),
                Contents=pikepdf.Stream(pdf, f"q {width:.3f} 0 0 {height:.3f} 0 0 cm /Im0 Do Q".encode()),
            )
            pdf.pages.append(pikepdf.Page(page))
        pdf.save(target)


def scan(source: str, mode: str) -> tuple[Image.Image, float]:
    """A scan of tests/data/documents in ``mode`` ("1": thresholded to black and white) and its dpi."""
    with Image.open(DOCUMENTS / source) as found:
        # Some TIFFs say 1 dpi (no unit): those are taken as 300.
        dpi = float(found.info.get("dpi", (300, 300))[0])
        dpi = dpi if dpi >= 72 else 300.0
        image = found.convert("L") if mode == "1" else found.convert(mode)
    if mode == "1":
        image = image.point(lambda v: 255 if v >= 160 else 0, mode="1")
    return image, dpi


def build(item: Input, folder: Path) -> tuple[Path, str]:
    image, dpi = scan(item.source, item.mode)
    target = folder / f"{item.source.split('.')[0]}.pdf"
    image_pdf([(image, dpi)], target)
    return target, f"{image.width}x{image.height} {item.mode} @{dpi:.0f}"


def words(path: Path) -> int | None:
    if shutil.which("pdftotext") is None:
        return None
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return len(out.split())


def verdict(path: Path) -> str:
    report = pikepdf.pdfa.validate_written(path, "2b")
    if report.passed:
        return "pass"
    return f"{report.verdict} ({len(report.findings)}: {report.findings[0].rule if report.findings else ''})"


def ocrmypdf(item: Input, source: Path, pixels: str, folder: Path) -> Row:
    system = "OCRmyPDF --output-type pdfa"
    size = source.stat().st_size / 1024
    if shutil.which("ocrmypdf") is None:
        return Row(item.name, pixels, size, system, None, None, None, "-", None, "skipped: no ocrmypdf command")
    target = folder / f"ocrmypdf-{source.name}"
    command = ["ocrmypdf", "-q", "-l", "deu+eng", "--output-type", "pdfa", "-j", "1", str(source), str(target)]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=os.environ | {"OMP_THREAD_LIMIT": "1"})
    seconds = time.perf_counter() - started
    kb = target.stat().st_size / 1024
    return Row(item.name, pixels, size, system, kb, seconds, None, verdict(target), words(target))


def ablage(item: Input, source: Path, pixels: str, folder: Path, supervisor: EngineSupervisor) -> Row:
    engine = supervisor.pages("tesseract")
    settings = Settings()
    started = time.perf_counter()
    document = open_document(source, sniff(source), settings.upload)
    try:
        rendered = document.page(1, want_text_layer=False)
    finally:
        document.close()
    assert rendered.image is not None
    page = engine.recognize(rendered.image, page_number=1, dpi=rendered.dpi, languages=LANGUAGES, timeout=600)
    writing = time.perf_counter()
    part, target = folder / f"part-{source.name}", folder / f"ablage-{source.name}"
    write_page(rendered.image, page, part)
    write_archive([(part, 1)], target)
    done = time.perf_counter()
    size = source.stat().st_size / 1024
    kb = target.stat().st_size / 1024
    row = Row(item.name, pixels, size, "Ablage archive copy", kb, done - started, done - writing, verdict(target), 0)
    row.words = words(target)
    return row


def table(rows: list[Row]) -> str:
    lines = [
        "| input | pixels | input kB | system | output kB | size vs OCRmyPDF | s | of which writing s | PDF/A-2b "
        "(pikepdf.pdfa) | words (pdftotext) |",
        "|---|---|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    baseline: dict[str, float | None] = {row.input: row.kb for row in rows if row.system.startswith("OCRmyPDF")}
    for row in rows:
        base = baseline.get(row.input)
        ratio = f"{row.kb / base:.2f}" if row.kb is not None and base else "—"
        kb = f"{row.kb:.1f}" if row.kb is not None else row.note
        seconds = f"{row.seconds:.2f}" if row.seconds is not None else "—"
        write = f"{row.write_seconds:.3f}" if row.write_seconds is not None else "—"
        found = row.words if row.words is not None else "—"
        lines.append(
            f"| {row.input} | {row.pixels} | {row.input_kb:.1f} | {row.system} | {kb} | {ratio} | {seconds} | "
            f"{write} | {row.pdfa} | {found} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    settings = Settings(ocr=OcrSettings(workers=1, enabled_engines=["tesseract"]))
    supervisor = EngineSupervisor(settings)
    supervisor.start(["tesseract"])
    supervisor.wait("tesseract", 600)
    # Per-thread engine state is made on first use: outside the timing, as in the service's warm processes.
    warm = Image.new("L", (400, 100), 255)
    supervisor.pages("tesseract").recognize(warm, page_number=1, dpi=300, languages=LANGUAGES, timeout=600)
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            for item in INPUTS:
                source, pixels = build(item, folder)
                rows.append(ocrmypdf(item, source, pixels, folder))
                rows.append(ablage(item, source, pixels, folder, supervisor))
    finally:
        supervisor.close()
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(row) for row in rows], indent=2))


if __name__ == "__main__":
    sys.exit(main())
