"""What every engine provides: one protocol, and what the engine reads (page images or whole documents)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, cast

from PIL import Image

from ablage.errors import EngineUnavailable
from ablage.results.model import Page


@dataclass(frozen=True)
class EngineInfo:
    name: str
    version: str
    languages: list[str]
    loaded: bool
    device: str = "cpu"
    detail: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class EngineInput(StrEnum):
    pages = "pages"
    """Upright page images, one at a time: the job's page loop calls ``recognize``."""
    documents = "documents"
    """Whole files by their structure (office files, PDFs read across pages): the job calls ``convert``."""


class EngineHost(StrEnum):
    page_process = "page-process"
    """Runs in the page processes, where a page past its time or memory limit is stopped by killing its process."""
    service = "service"
    """Stays in the service's process (GPU engines and their batcher); the page processes render for it."""


class Engine(Protocol):
    """Every engine. ``reads`` says which of the two method sets below it has; callers pick the set with
    ``page_engine`` or ``document_engine``, never by probing for methods."""

    name: str
    reads: EngineInput
    host: EngineHost

    def info(self) -> EngineInfo: ...

    def warm_up(self, languages: Sequence[str]) -> None:
        """Load what the calling thread needs, so the first page it reads is not slower than the rest."""
        ...

    def close(self) -> None: ...


class PageEngine(Engine, Protocol):
    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        dpi: int,
        languages: Sequence[str],
        timeout: float | None = None,
    ) -> Page:
        """OCR one upright page image; boxes in its pixels. Raises ProcessingTimeout past ``timeout`` s."""
        ...


class DocumentEngine(Engine, Protocol):
    def accepts(self, kind: str) -> bool:
        """Whether this engine, as configured, converts documents of ``kind`` (a ``DocumentKind`` value)."""
        ...

    def convert(
        self, path: Path, kind: str, *, pages: Sequence[int], languages: Sequence[str], timeout: float
    ) -> list[Page]:
        """The selected ``pages`` (1-based; office files have one), boxes in page points at 72 dpi."""
        ...


def page_engine(engine: Engine) -> PageEngine:
    if engine.reads is not EngineInput.pages:
        raise EngineUnavailable(f"engine {engine.name!r} converts whole documents; it does not read page images")
    return cast(PageEngine, engine)


def document_engine(engine: Engine) -> DocumentEngine:
    if engine.reads is not EngineInput.documents:
        raise EngineUnavailable(f"engine {engine.name!r} reads page images; it does not convert whole documents")
    return cast(DocumentEngine, engine)
