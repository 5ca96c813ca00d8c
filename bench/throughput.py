"""Pages per second: the HTTP API against the engine called directly, on the same pages in the same run.

    python -m bench.throughput [--rounds 2] [--workers 2]

Also compares a born-digital PDF read from its text layer with OCR of the same pages. Each upload gets
a unique trailing comment so that duplicate detection cannot answer from an earlier result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from ablage.documents.sniff import sniff
from ablage.documents.source import open_document
from ablage.engines.supervisor import EngineSupervisor
from ablage.jobs.pipeline import recognize_pages
from ablage.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PAGES = [
    DATA / "documents" / name
    for name in (
        "de_invoice_ferd_einfach.png",
        "de_invoice_ferd_miete.png",
        "de_invoice_ferd_rabatte.png",
        "de_invoice_hetzner_2016.png",
        "de_invoice_mustang_499.png",
        "en_invoice_amazonwebservices.png",
    )
]
BORN_DIGITAL = DATA / "robustness" / "zugferd_EN16931_Elektron.pdf"


def direct(paths: list[Path], workers: int, engine_name: str, force_ocr: bool = True) -> float:
    """Pages per second through the same page pipeline the workers run, without HTTP, DB or storage."""
    settings = Settings()
    engines = EngineSupervisor(settings)
    engines.start([engine_name])
    engines.wait(engine_name, 600)
    engine = engines.pages(engine_name)

    def one(path: Path) -> int:
        source = open_document(path, sniff(path), settings.upload)
        try:
            pages = recognize_pages(
                source,
                list(range(1, source.page_count + 1)),
                engine,
                languages=["de", "en"],
                force_ocr=force_ocr,
                detect_orientation=settings.ocr.detect_orientation,
                deadline=time.monotonic() + 600,
            )
        finally:
            source.close()
        return len(pages)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths[:workers]))  # warm every worker's engine, as the service does at start-up
        started = time.perf_counter()
        count = sum(pool.map(one, paths))
    return count / (time.perf_counter() - started)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def through_api(base: str, uploads: list[tuple[str, bytes]], fields: dict[str, str]) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:

        async def one(name: str, data: bytes) -> int:
            # The synchronous endpoint waits on the worker's completion notice: no polling traffic
            # competes with OCR for the two cores.
            response = await client.post("/api/v1/cpu", files={"file": (name, data)}, data=fields)
            if response.status_code != 200:
                raise RuntimeError(response.text)
            return len(response.json()["pages"])

        started = time.perf_counter()
        counts = await asyncio.gather(*(one(name, data) for name, data in uploads))
        return sum(counts) / (time.perf_counter() - started)


def unique(paths: list[Path], tag: str) -> list[tuple[str, bytes]]:
    # Readers ignore bytes after a PNG's IEND or a PDF's %%EOF; the hash does not.
    return [(p.name, p.read_bytes() + f"\n%{tag}-{i}\n".encode()) for i, p in enumerate(paths)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="times each page set is processed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--engine", default="tesseract", help="the engine both paths run")
    args = parser.parse_args()
    pages = PAGES * args.rounds
    pdfs = [BORN_DIGITAL] * (4 * args.rounds)

    port = _free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = os.environ | {
            "DATA_DIR": data_dir,
            "WORKERS": str(args.workers),
            "LOG_LEVEL": "warning",
            "SYNC_TIMEOUT": "600",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "ablage.cli.main", "serve", "--port", str(port), "--service", "cpu"], env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            engine = {"engine": args.engine}
            api_ocr = asyncio.run(through_api(base, unique(pages, "ocr"), engine))
            api_layer = asyncio.run(through_api(base, unique(pdfs, "layer"), engine))
            forced = engine | {"force_ocr": "true"}
            api_forced = asyncio.run(through_api(base, unique(pdfs[: args.rounds], "forced"), forced))
        finally:
            server.terminate()
            server.wait(30)
    direct_ocr = direct(pages, args.workers, args.engine)
    report = {
        "engine": args.engine,
        "workers": args.workers,
        "ocr_pages": len(pages),
        "direct_pages_per_s": round(direct_ocr, 3),
        "api_pages_per_s": round(api_ocr, 3),
        "api_vs_direct": round(api_ocr / direct_ocr, 3),
        "text_layer_pages_per_s": round(api_layer, 3),
        "forced_ocr_pages_per_s": round(api_forced, 3),
        "text_layer_vs_ocr": round(api_layer / api_forced, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
