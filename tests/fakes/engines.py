"""Test-only OCR engines for the API contract tests: each returns a known page for a page image, at once, so
status codes, idempotency, deletes, parsing and timeouts are tested without the cost or the variance of real OCR.

- ``fake``: two lines of text derived from the page's pixels (``expected_text``), with word boxes.
- ``fake-held``: the same, but each page waits until the test opens the gate (``held_pages``), so a test sees a
  job that is certainly still running.
- ``fake-hang``: never finishes a page; it gives up, as a real engine does, when the job's timeout runs out.
- ``fake-crash``: raises an unexpected error on every page.

They run the real pipeline around them (decoding, rendering, orientation, storage, rendering of every result
format); only the recognition is replaced.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ablage.engines.base import EngineInfo, EngineInput
from ablage.engines.languages import ISO_639_2
from ablage.errors import ProcessingTimeout
from ablage.results.layout import ocr_page, split_line
from ablage.results.model import Block, Page, union_bbox
from ablage.settings import Settings
from PIL import Image

FAKE = "fake"
FAKE_HELD = "fake-held"
FAKE_HANG = "fake-hang"
FAKE_CRASH = "fake-crash"
CONFIDENCE = 0.9
VERSION = "1.0-test"
# The languages of the real engines' models in this install, so language checks behave as in production.
LANGUAGES = sorted(ISO_639_2)
_TURNS = (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270)


def fingerprint(image: Image.Image) -> str:
    """Twelve hex digits of the page's grey pixels, the same for the page turned by 90, 180 or 270° (so that
    orientation detection does not change it), and different for any other change of the page."""
    grey = image.convert("L")
    turns = [grey, *(grey.transpose(turn) for turn in _TURNS)]
    digests = (hashlib.sha256(f"{t.size}".encode() + t.tobytes()).hexdigest() for t in turns)
    return min(digests)[:12]


def expected_lines(image: Image.Image, page_number: int) -> list[str]:
    return [f"Seite {page_number} Prüfsumme", fingerprint(image)]


def expected_text(image: Image.Image, page_number: int = 1) -> str:
    """The text result of ``fake`` for ``image`` as page ``page_number`` (one block of two lines)."""
    return "\n".join(expected_lines(image, page_number))


class FakeEngine:
    name = FAKE
    reads = EngineInput.pages

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name, version=VERSION, languages=LANGUAGES, loaded=True)

    def warm_up(self, languages: Sequence[str]) -> None:
        return None

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        dpi: int,
        languages: Sequence[str],
        timeout: float | None = None,
    ) -> Page:
        self._before_page(timeout)
        width, height = image.size
        line_height = max(height // 20, 2)
        lines = [
            split_line(
                text, (width // 10, line_height * (index + 1), width // 2, line_height * (index + 2)), CONFIDENCE
            )
            for index, text in enumerate(expected_lines(image, page_number))
        ]
        blocks = [Block(bbox=union_bbox(line.bbox for line in lines), lines=lines)]
        return ocr_page(self.name, page_number, image.size, dpi, blocks)

    def _before_page(self, timeout: float | None) -> None:
        return None

    def close(self) -> None:
        return None


class _Gate:
    """Closed, pages of ``fake-held`` wait; ``entered`` tells the test that one is waiting."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()


_GATE = _Gate()


@contextmanager
def held_pages() -> Iterator[_Gate]:
    """Pages of ``fake-held`` wait until the block ends or ``gate.open.set()``; the gate is open again after."""
    _GATE.entered.clear()
    _GATE.open.clear()
    try:
        yield _GATE
    finally:
        _GATE.open.set()


class HeldEngine(FakeEngine):
    name = FAKE_HELD

    def _before_page(self, timeout: float | None) -> None:
        _GATE.entered.set()
        if not _GATE.open.wait(timeout):
            raise ProcessingTimeout("the page was held until the processing timeout ran out")


class HangingEngine(FakeEngine):
    name = FAKE_HANG

    def _before_page(self, timeout: float | None) -> None:
        # Bounded even without a timeout, so that a mistaken test cannot stall a worker for ever.
        time.sleep(min(timeout if timeout is not None else 60.0, 60.0))
        raise ProcessingTimeout("the page did not finish within the processing timeout")


class CrashingEngine(FakeEngine):
    name = FAKE_CRASH

    def _before_page(self, timeout: float | None) -> None:
        raise RuntimeError("the test engine crashed on purpose (internal detail that must not reach clients)")


ENGINES = {
    FAKE: "tests.fakes.engines:FakeEngine",
    FAKE_HELD: "tests.fakes.engines:HeldEngine",
    FAKE_HANG: "tests.fakes.engines:HangingEngine",
    FAKE_CRASH: "tests.fakes.engines:CrashingEngine",
}
