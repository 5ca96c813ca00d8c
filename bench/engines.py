"""Pages per second of each engine on the same pages, on one core and on two, in one run.

    python -m bench.engines [--cores 1,2] [--engines tesseract,rapidocr,surya,docling]

Each (engine, cores) pair runs in a fresh process pinned to that many cores, with that many worker threads and
one inference thread each, as the service runs them (WORKERS). OCR engines read the six invoice scans; Docling,
which reads documents by their structure, converts the born-digital ZUGFeRD invoice (its pages are listed
separately, as they are not the same pages). Ratios are against Tesseract in the same run. Surya runs only where
SURYA_MODEL_DIR and SURYA_INFERENCE_URL point at its real weights and recognition server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ablage.engines.base import EngineInput, document_engine
from ablage.engines.supervisor import EngineSupervisor
from ablage.errors import EngineUnavailable
from ablage.jobs.pipeline import ocr_file
from ablage.settings import OcrSettings, Settings

from bench.throughput import BORN_DIGITAL, PAGES


def _measure(engine_name: str, cores: int) -> dict[str, object]:
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])
    ocr = OcrSettings(workers=cores, onnx_threads=1, torch_threads=1, enabled_engines=[engine_name])
    settings = Settings(ocr=ocr)
    registry = EngineSupervisor(settings)
    registry.start([engine_name])
    registry.wait(engine_name, 600)
    try:
        engine = registry.get(engine_name)
    except EngineUnavailable as exc:
        registry.close()
        return {"engine": engine_name, "cores": cores, "skipped": exc.detail}
    if engine.reads is EngineInput.documents:
        paths, count = [BORN_DIGITAL] * 6, 0
        converter = document_engine(engine)

        def one(path: Path) -> int:
            return len(converter.convert(path, "pdf", pages=[1, 2, 3], languages=["de"], timeout=600))
    else:
        paths = PAGES
        ocr_engine = registry.pages(engine_name)

        def one(path: Path) -> int:
            return len(
                ocr_file(path, ocr_engine, settings.upload, languages=["de", "en"], pages=[1], detect_orientation=False)
            )

    one(paths[0])  # load models and per-thread state outside the timing
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        count = sum(pool.map(one, paths))
    elapsed = time.perf_counter() - started
    registry.close()
    return {"engine": engine_name, "cores": cores, "pages": count, "seconds": round(elapsed, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", default="1,2")
    parser.add_argument("--engines", default="tesseract,rapidocr,surya,docling")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "CORES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child[0], int(args.child[1]))))
        return
    rows = []
    for cores in (int(c) for c in args.cores.split(",")):
        for name in args.engines.split(","):
            out = subprocess.run(
                [sys.executable, "-m", "bench.engines", "--child", name, str(cores)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    baseline = {
        row["cores"]: row["pages"] / row["seconds"]  # type: ignore[operator]
        for row in rows
        if row["engine"] == "tesseract" and "pages" in row
    }
    print(f"{'engine':<10} {'cores':>5} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'vs tesseract':>13}")
    for row in rows:
        if "skipped" in row:
            print(f"{row['engine']:<10} {row['cores']:>5}  skipped: {row['skipped']}")
            continue
        rate = row["pages"] / row["seconds"]  # type: ignore[operator]
        ratio = rate / baseline[row["cores"]] if row["cores"] in baseline else float("nan")
        note = "  (born-digital PDF pages)" if row["engine"] == "docling" else ""
        counts = f"{row['engine']:<10} {row['cores']:>5} {row['pages']:>5} {row['seconds']:>8}"
        print(f"{counts} {rate:>8.3f} {ratio:>12.2f}×{note}")


if __name__ == "__main__":
    main()
