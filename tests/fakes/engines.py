"""Test-only OCR engines for the API contract tests: each returns a known page for a page image, at once, so
status codes, idempotency, deletes, parsing and timeouts are tested without the cost or the variance of real OCR.

- ``fake``: two lines of text derived from the page's pixels (``expected_text``), with word boxes.
- ``fake-held``: the same, but each page waits until the test opens the gate (``held_pages``), so a test sees a
  job that is certainly still running. The gate is a file, so it holds pages in the page processes too.
- ``fake-hang``: never finishes a page and ignores its timeout, like a C library stuck in a loop.
- ``fake-hog``: allocates memory without bound.
- ``fake-sigkill``: its process is killed with SIGKILL in the middle of the page.
- ``fake-crash``: raises an unexpected error on every page.

``fake-hang``, ``fake-hog`` and ``fake-sigkill`` run only in a page process: anywhere else they would take the
test process down with them.

They run the real pipeline around them (decoding, rendering, orientation, storage, rendering of every result
format); only the recognition is replaced.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
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
FAKE_HOG = "fake-hog"
FAKE_SIGKILL = "fake-sigkill"
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
    host = EngineHost.page_process

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


# One folder per test process, chosen before any page process starts: they inherit it through the environment.
# pytest-xdist's workers inherit the controller's variable too, so each takes a subfolder of its own, named by
# PYTEST_XDIST_WORKER, which the page processes of that worker inherit in turn.
_GATE_DIR = Path(os.environ.setdefault("ABLAGE_TEST_GATE_DIR", tempfile.mkdtemp(prefix="ablage-gate-"))) / (
    os.environ.get("PYTEST_XDIST_WORKER") or "main"
)


class _FileFlag:
    """A flag that page processes see: set while its file exists (or, inverted, while it does not)."""

    def __init__(self, path: Path, *, set_when_present: bool = True) -> None:
        self._path = path
        self._present = set_when_present

    def is_set(self) -> bool:
        return self._path.exists() == self._present

    def set(self, content: str = "") -> None:
        if self._present:
            self._path.write_text(content)
        else:
            self._path.unlink(missing_ok=True)

    def clear(self) -> None:
        if self._present:
            self._path.unlink(missing_ok=True)
        else:
            self._path.write_text("")

    def wait(self, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while not self.is_set():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


class _Gate:
    """Closed, pages of ``fake-held`` wait; ``entered`` tells the test that one is waiting, and ``pids`` which
    processes hold such pages."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self.open = _FileFlag(folder / "closed", set_when_present=False)
        self.entered = _FileFlag(folder / "entered")

    def enter(self) -> None:
        (self._folder / f"pid-{os.getpid()}").write_text("")
        self.entered.set()

    def pids(self) -> list[int]:
        return [int(path.name.removeprefix("pid-")) for path in self._folder.glob("pid-*")]

    def reset(self) -> None:
        self.entered.clear()
        for path in self._folder.glob("pid-*"):
            path.unlink(missing_ok=True)


_GATE = _Gate(_GATE_DIR)


@contextmanager
def held_pages() -> Iterator[_Gate]:
    """Pages of ``fake-held`` wait until the block ends or ``gate.open.set()``; the gate is open again after."""
    _GATE.reset()
    _GATE.open.clear()
    try:
        yield _GATE
    finally:
        _GATE.open.set()


class HeldEngine(FakeEngine):
    name = FAKE_HELD

    def _before_page(self, timeout: float | None) -> None:
        _GATE.enter()
        if not _GATE.open.wait(timeout):
            raise ProcessingTimeout("the page was held until the processing timeout ran out")


def _page_process_only(name: str) -> None:
    from ablage.executor.child import in_page_process

    if not in_page_process():
        raise RuntimeError(f"the test engine {name} runs only in a page process")


class HangingEngine(FakeEngine):
    name = FAKE_HANG

    def _before_page(self, timeout: float | None) -> None:
        _page_process_only(self.name)
        _GATE.enter()
        while True:
            time.sleep(3600)


class HoggingEngine(FakeEngine):
    name = FAKE_HOG

    def _before_page(self, timeout: float | None) -> None:
        _page_process_only(self.name)
        hoard = []
        while True:
            # Touched, so that the pages are really taken, not only reserved.
            chunk = bytearray(64 * 1024 * 1024)
            chunk[::4096] = b"x" * len(chunk[::4096])
            hoard.append(chunk)


class SigkilledEngine(FakeEngine):
    name = FAKE_SIGKILL

    def _before_page(self, timeout: float | None) -> None:
        _page_process_only(self.name)
        _GATE.enter()
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)


class CrashingEngine(FakeEngine):
    name = FAKE_CRASH

    def _before_page(self, timeout: float | None) -> None:
        raise RuntimeError("the test engine crashed on purpose (internal detail that must not reach clients)")


ENGINES = {
    FAKE: "tests.fakes.engines:FakeEngine",
    FAKE_HELD: "tests.fakes.engines:HeldEngine",
    FAKE_HANG: "tests.fakes.engines:HangingEngine",
    FAKE_CRASH: "tests.fakes.engines:CrashingEngine",
    FAKE_HOG: "tests.fakes.engines:HoggingEngine",
    FAKE_SIGKILL: "tests.fakes.engines:SigkilledEngine",
}
