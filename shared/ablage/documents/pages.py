"""What a document source hands the pipeline: per page, an image or a text-layer page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from ablage.results.model import Page


@dataclass
class PageInput:
    number: int
    image: Image.Image | None
    dpi: int
    text_page: Page | None = None


class DocumentSource(Protocol):
    page_count: int

    def page(self, number: int, *, want_text_layer: bool) -> PageInput: ...

    def close(self) -> None: ...
