"""What every OCR engine provides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from PIL import Image

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


class OcrEngine(Protocol):
    name: str

    def info(self) -> EngineInfo: ...

    def warm_up(self, languages: Sequence[str]) -> None:
        """Load what the calling thread needs, so the first page it reads is not slower than the rest."""
        ...

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

    def close(self) -> None: ...


@runtime_checkable
class DocumentEngine(Protocol):
    """Converts a whole document (its structure, not pixels): office files, and PDFs where the engine reads
    layout across pages. The job runs it instead of the page loop."""

    name: str

    def info(self) -> EngineInfo: ...

    def warm_up(self, languages: Sequence[str]) -> None: ...

    def reads(self, kind: str) -> bool:
        """Whether this engine, as configured, converts documents of ``kind`` (a ``DocumentKind`` value)."""
        ...

    def convert(
        self, path: Path, kind: str, *, pages: Sequence[int], languages: Sequence[str], timeout: float
    ) -> list[Page]:
        """The selected ``pages`` (1-based; office files have one), boxes in page points at 72 dpi."""
        ...

    def close(self) -> None: ...
