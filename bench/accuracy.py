"""Accuracy of an engine on the documents with ground truth under tests/data/documents.

python -m bench.accuracy [--engine tesseract] [--lang de,en]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from shared.documents.sniff import sniff
from shared.documents.source import open_document
from shared.engines.registry import EngineRegistry
from shared.evaluation import cer, word_f1
from shared.jobs.pipeline import recognize_pages
from shared.settings import Settings

DOCUMENTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "documents"


def ground_truth(image: Path) -> Path | None:
    for suffix in (".gt.modern.txt", ".gt.txt"):
        candidate = image.with_name(image.name.split(".")[0] + suffix)
        if candidate.exists():
            return candidate
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="tesseract")
    parser.add_argument("--lang", default="de,en")
    args = parser.parse_args()
    settings = Settings()
    engine = EngineRegistry(settings).get(args.engine)
    rows = []
    for image in sorted(p for p in DOCUMENTS.iterdir() if p.suffix in {".png", ".jpg", ".tif"}):
        truth = ground_truth(image)
        if truth is None:
            continue
        source = open_document(image, sniff(image), settings.upload)
        started = time.perf_counter()
        pages = recognize_pages(
            source,
            [1],
            engine,
            languages=args.lang.split(","),
            force_ocr=True,
            detect_orientation=True,
            deadline=time.monotonic() + 600,
        )
        seconds = time.perf_counter() - started
        source.close()
        text = "\n".join(line.text for page in pages for line in page.lines())
        reference = truth.read_text(encoding="utf-8")
        score = word_f1(text, reference)
        rows.append(
            {
                "document": image.name,
                "cer": round(cer(text, reference), 4),
                "word_f1": score.f1,
                "seconds": round(seconds, 2),
            }
        )
        print(json.dumps(rows[-1]))


if __name__ == "__main__":
    main()
