"""Accuracy of every available engine on the corpus with ground truth (the tests' copy by default).

    python -m bench.accuracy [CORPUS_DIR] [--engine NAME] [-o scores.json]

The same as ``ablage eval``; kept here so that ``make accuracy`` sits with the other benchmarks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ablage.cli.main import app

DOCUMENTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "documents"

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        arguments = [str(DOCUMENTS), *arguments]
    app(["eval", *arguments])
