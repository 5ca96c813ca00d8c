"""Pages per second per core of each CPU engine, and the nodes of the Terraform instance types for a daily volume.

    python -m bench.capacity [--pages 6] [--engines tesseract,rapidocr] [--pages-per-day 1000000]

Each engine runs single-threaded (one OpenMP and one onnxruntime thread) in this process through the page pipeline
the workers run (render, orientation, OCR), one page after another, on the A4 pages of ``bench.pages``; the first
page is read once beforehand so that loading stays out of the figure. Then, for each instance type in
deploy/terraform, nodes = ceil(pages/day ÷ 86,400 ÷ (pages/s per core × usable cores per node × utilisation)).
Prints a Markdown section (the one in bench/README.md) and, with ``--json``, writes the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.pages import build_corpus, score

SECONDS_PER_DAY = 86_400
UTILISATION = 0.7
RESERVED_VCPUS = 1
"""A vCPU per node left to the API, the OS and the kubelet."""
TERRAFORM = Path(__file__).resolve().parent.parent / "deploy" / "terraform"


@dataclass(frozen=True)
class InstanceType:
    role: str
    name: str
    vcpus: int
    variable: str


# The defaults of deploy/terraform/modules/{cpu_compute,gpu_compute,eks}/variables.tf (AWS: c6i.4xlarge 16 vCPUs,
# g5.2xlarge 8 vCPUs and one A10G); main() checks that the files still say so.
INSTANCE_TYPES = (
    InstanceType("cpu", "c6i.4xlarge", 16, "cpu_instance_type"),
    InstanceType("gpu", "g5.2xlarge", 8, "gpu_instance_type"),
)


def nodes_needed(
    pages_per_day: float,
    pages_per_s_per_core: float,
    vcpus: int,
    utilisation: float = UTILISATION,
    reserved: int = RESERVED_VCPUS,
) -> int:
    """ceil(pages/day ÷ 86,400 ÷ (pages/s per core × usable cores per node × utilisation))."""
    usable = vcpus - reserved
    if pages_per_s_per_core <= 0 or usable <= 0 or not 0 < utilisation <= 1:
        raise ValueError("a node must have a usable core, a positive rate and a utilisation in (0, 1]")
    return math.ceil(pages_per_day / SECONDS_PER_DAY / (pages_per_s_per_core * usable * utilisation))


def terraform_defaults() -> dict[str, str]:
    """``variable "<name>_instance_type"`` → its default, from the module variable files."""
    found: dict[str, str] = {}
    for path in sorted(TERRAFORM.glob("modules/*/variables.tf")):
        current = None
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("variable "):
                current = stripped.split('"')[1]
            elif current and stripped.startswith("default") and current.endswith("instance_type"):
                found[current] = stripped.split('"')[1]
    return found


def per_core(engine_name: str, pages: list[Path], truth: list[str]) -> tuple[float, float]:
    """Pages/s of one engine on one thread, and its word F1 on those pages."""
    # Imported here, after main() has set OMP_THREAD_LIMIT: OpenMP reads it once, when the engine library loads.
    from ablage.documents.sniff import sniff
    from ablage.documents.source import open_document
    from ablage.engines.supervisor import EngineSupervisor
    from ablage.jobs.pipeline import build_result, recognize_pages
    from ablage.settings import Settings

    settings = Settings()  # ONNX_THREADS defaults to 1
    with EngineSupervisor.running(settings, [engine_name]) as engines:
        engines.wait(engine_name, 600)
        engine = engines.pages(engine_name)

        def read(path: Path) -> str:
            source = open_document(path, sniff(path), settings.upload)
            try:
                recognized = recognize_pages(
                    source,
                    [1],
                    engine,
                    languages=["de", "en"],
                    force_ocr=True,
                    detect_orientation=settings.ocr.detect_orientation,
                    deadline=time.monotonic() + 600,
                )
            finally:
                source.close()
            return build_result("capacity", engine, ["de", "en"], recognized).text

        read(pages[0])  # models loaded and warm
        started = time.perf_counter()
        texts = [read(path) for path in pages]
        seconds = time.perf_counter() - started
    return len(pages) / seconds, score(texts, truth)


def section(results: dict[str, tuple[float, float]], pages: int, pages_per_day: float) -> str:
    lines = [
        "## Capacity",
        "",
        f"Measured with `python -m bench.capacity --pages {pages}` on {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}): each engine single-threaded (`OMP_THREAD_LIMIT=1`, one "
        "onnxruntime thread) through the workers' page pipeline (render at 300 dpi, orientation, OCR), one page "
        f"after another, on the {pages} A4 pages of `bench.pages`, models loaded beforehand.",
        "",
        "| engine | pages/s per core | s per page | word-F1 |",
        "|---|---:|---:|---:|",
    ]
    for name, (rate, f1) in results.items():
        lines.append(f"| {name} | {rate:.3f} | {1 / rate:.1f} | {f1:.3f} |")
    lines += [
        "| surya | — | — | — |",
        "| docling | — | — | — |",
        "",
        "Surya and Docling are not measured: they need their models and weights (Surya's detector and recognition "
        "server, Docling's layout and table models), which are absent here.",
        "",
        f"Nodes for {pages_per_day:,.0f} pages a day, with usable cores = vCPUs − {RESERVED_VCPUS} (left to the API, "
        f"the OS and the kubelet) and a target utilisation of {UTILISATION}:",
        "",
        "    nodes = ceil(pages/day ÷ 86,400 ÷ (pages/s per core × usable cores per node × utilisation))",
        "",
        "(in brackets: the quotient before rounding up)",
        "",
        "| engine | " + " | ".join(f"{t.role}: {t.name} ({t.vcpus} vCPUs)" for t in INSTANCE_TYPES) + " |",
        "|---|" + "---:|" * len(INSTANCE_TYPES),
    ]
    for name, (rate, _) in results.items():
        cells = [
            f"{nodes_needed(pages_per_day, rate, t.vcpus)} "
            f"({pages_per_day / SECONDS_PER_DAY / (rate * (t.vcpus - RESERVED_VCPUS) * UTILISATION):.2f})"
            for t in INSTANCE_TYPES
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"{pages_per_day:,.0f} pages a day is {pages_per_day / SECONDS_PER_DAY:.2f} pages/s. A vCPU of these types "
        "is a hyperthread, and a core here may be faster or slower than theirs: measure on the instance type "
        "before sizing a fleet. The GPU type's row counts its vCPUs running a CPU engine (the GPU service's "
        "fallback); its GPU engines are not measured here.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=6, help="pages each engine reads")
    parser.add_argument("--engines", default="tesseract,rapidocr", help="comma-separated CPU engines")
    parser.add_argument("--pages-per-day", type=float, default=1_000_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    # One thread per engine call is what "per core" means here (ONNX_THREADS already defaults to 1).
    os.environ["OMP_THREAD_LIMIT"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    defaults = terraform_defaults()
    for instance in INSTANCE_TYPES:
        if defaults.get(instance.variable) != instance.name:
            raise SystemExit(
                f"deploy/terraform's {instance.variable} is {defaults.get(instance.variable)!r}, "
                f"not {instance.name}: update INSTANCE_TYPES (and its vCPU count)"
            )
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ablage-bench-capacity-") as scratch:
        corpus = build_corpus(args.pages, Path(scratch))
        for name in (n.strip() for n in args.engines.split(",") if n.strip()):
            results[name] = per_core(name, corpus.single_pdfs, corpus.truth)
    print(section(results, args.pages, args.pages_per_day))
    if args.json:
        figures = {
            "pages": args.pages,
            "pages_per_day": args.pages_per_day,
            "utilisation": UTILISATION,
            "reserved_vcpus": RESERVED_VCPUS,
            "engines": {
                name: {
                    "pages_per_s_per_core": round(rate, 4),
                    "word_f1": f1,
                    "nodes": {t.name: nodes_needed(args.pages_per_day, rate, t.vcpus) for t in INSTANCE_TYPES},
                }
                for name, (rate, f1) in results.items()
            },
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
