"""One page's work: read its text layer or render it, turn it upright, OCR it, write its searchable-PDF page.

The same function runs in a page process (``ablage.executor.child``) and, for evaluation and benchmarks, in the
calling process; what crosses between processes is plain data (paths, numbers, ``Page`` models, bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ablage.documents.orientation import upright
from ablage.documents.pages import DocumentSource
from ablage.engines.base import PageEngine
from ablage.results.archive_pdf import write_page
from ablage.results.model import Page
from ablage.results.page_image import Optimize
from ablage.results.thumbnail import render_thumbnail


@dataclass(frozen=True)
class PageWork:
    path: str
    kind: str
    """The document's ``DocumentKind`` value."""
    number: int
    engine: str | None
    """The engine that reads the page in the page process; None: the rendered image comes back instead, for an
    engine that stays in the service's process (``EngineHost.service``)."""
    languages: tuple[str, ...]
    force_ocr: bool
    detect_orientation: bool
    thumbnail: bool = False
    """Return page 1's thumbnail, made from the image as rendered, before it is turned."""
    layer_dir: str | None = None
    """Write the page's searchable-PDF page (image and invisible text) into this folder."""
    optimize: Optimize = Optimize.standard
    """How the page's image is encoded in its searchable-PDF page."""


@dataclass(frozen=True)
class RenderedImage:
    mode: str
    size: tuple[int, int]
    data: bytes

    @classmethod
    def of(cls, image: Image.Image) -> RenderedImage:
        return cls(image.mode, image.size, image.tobytes())

    def image(self) -> Image.Image:
        return Image.frombytes(self.mode, self.size, self.data)


@dataclass(frozen=True)
class PageOutcome:
    number: int
    dpi: int
    page: Page | None
    """None only when the image came back for an engine of the service's process."""
    image: RenderedImage | None = None
    thumbnail: bytes | None = None
    layer: str | None = None
    """The one-page PDF with the page's image and text; None for a page read from its text layer (the
    searchable PDF keeps the original page) or when no layer was asked for."""


# A page read this confidently, in horizontal lines, is upright: upside down, engines read garbage at low
# confidence (Tesseract about 0.2-0.5, RapidOCR 0.7-0.8 on the corpus), and sideways text comes back as lines
# taller than wide. Other pages get orientation detection (about 0.5 s a page) and, if turned, a second reading.
_UPRIGHT_CONFIDENCE = 0.9
_UPRIGHT_MIN_WORDS = 10
_UPRIGHT_HORIZONTAL_SHARE = 0.8


def reads_upright(page: Page) -> bool:
    lines = [line for line in page.lines() if line.text.strip()]
    words = sum(len(line.words) or 1 for line in lines)
    if words < _UPRIGHT_MIN_WORDS or page.confidence < _UPRIGHT_CONFIDENCE:
        return False
    horizontal = sum(1 for line in lines if line.bbox[2] - line.bbox[0] > line.bbox[3] - line.bbox[1])
    return horizontal >= _UPRIGHT_HORIZONTAL_SHARE * len(lines)


def write_layer(image: Image.Image, page: Page, layer_dir: str, optimize: Optimize = Optimize.standard) -> str:
    """The page's searchable-PDF page as a file of its own; the job's PDF is assembled from these."""
    target = str(Path(layer_dir) / f"page-{page.number:05d}.pdf")
    write_page(image, page, Path(target), optimize=optimize)
    return target


def read_page(source: DocumentSource, work: PageWork, engine: PageEngine | None, timeout: float | None) -> PageOutcome:
    page_input = source.page(work.number, want_text_layer=not work.force_ocr)
    if page_input.text_page is not None:
        return PageOutcome(work.number, page_input.dpi, page_input.text_page)
    assert page_input.image is not None
    image = page_input.image
    thumbnail = render_thumbnail(image) if work.thumbnail else None
    if engine is None:
        if work.detect_orientation:
            image, _ = upright(image)
        return PageOutcome(work.number, page_input.dpi, None, RenderedImage.of(image), thumbnail)

    def recognize(picture: Image.Image) -> Page:
        return engine.recognize(
            picture, page_number=work.number, dpi=page_input.dpi, languages=work.languages, timeout=timeout
        )

    page = recognize(image)
    if work.detect_orientation and not reads_upright(page):
        turned, degrees = upright(image)
        if degrees:
            image, page = turned, recognize(turned)
    layer = write_layer(image, page, work.layer_dir, work.optimize) if work.layer_dir is not None else None
    return PageOutcome(work.number, page_input.dpi, page, thumbnail=thumbnail, layer=layer)
