"""Engines for the supervisor's tests, registered with ``register_engine``: one that fails a set number of times
before it loads, one whose load waits until the test lets it finish, one whose weights load in the background,
and one that reads pages and says what it saw."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import ClassVar

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
from ablage.errors import EngineUnavailable
from ablage.results.layout import ocr_page
from ablage.results.model import Block, Line, Page, Word
from ablage.settings import Settings
from PIL import Image


class PageEcho:
    """Reads every page as one word, its size: enough for a job to succeed on an engine of a test's own."""

    name = "echo"
    reads = EngineInput.pages
    host = EngineHost.page_process

    def __init__(self, settings: Settings) -> None:
        self.closed = False

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name, version="1", languages=["de", "en"], loaded=True)

    def warm_up(self, languages: Sequence[str]) -> None:
        pass

    def recognize(
        self, image: Image.Image, *, page_number: int, dpi: int, languages: Sequence[str], timeout: float | None = None
    ) -> Page:
        box = (0, 0, image.width, image.height)
        word = Word(bbox=box, text=f"{image.width}x{image.height}", confidence=1.0)
        line = Line(bbox=box, text=word.text, confidence=1.0, words=[word])
        return ocr_page(self.name, page_number, image.size, dpi, [Block(bbox=box, lines=[line])])

    def close(self) -> None:
        self.closed = True


class Flaky(PageEcho):
    """Fails ``failures_left`` times (EngineUnavailable, or RuntimeError when ``unexpected``), then loads."""

    name = "flaky"
    failures_left: ClassVar[int] = 0
    unexpected: ClassVar[bool] = False
    attempts: ClassVar[list[float]] = []

    def __init__(self, settings: Settings) -> None:
        import time

        Flaky.attempts.append(time.monotonic())
        if Flaky.failures_left > 0:
            Flaky.failures_left -= 1
            if Flaky.unexpected:
                raise RuntimeError("the model file is corrupt")
            raise EngineUnavailable("its server does not answer")
        super().__init__(settings)


class Slow(PageEcho):
    """Its load takes until the test sets ``release`` (at most 30 s)."""

    name = "slow"
    release: ClassVar[threading.Event] = threading.Event()

    def __init__(self, settings: Settings) -> None:
        Slow.release.wait(30)
        super().__init__(settings)


class Background(PageEcho):
    """Built at once; its "weights" load in a thread of its own, as the GPU engines' do."""

    name = "background"
    release: ClassVar[threading.Event] = threading.Event()
    succeed: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.load_error: BaseException | None = None
        self._done = threading.Event()
        self._ok = False
        threading.Thread(target=self._load, daemon=True).start()

    def _load(self) -> None:
        Background.release.wait(30)
        self._ok = Background.succeed
        if not self._ok:
            self.load_error = MemoryError("weights do not fit")
        self._done.set()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        self._done.wait(timeout)
        return self._ok

    def info(self) -> EngineInfo:
        loaded = self._done.is_set() and self._ok
        detail = None if loaded else ("loading weights" if not self._done.is_set() else "MemoryError while loading")
        return EngineInfo(name=self.name, version="1", languages=["de"], loaded=loaded, detail=detail)
