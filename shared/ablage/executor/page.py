"""One page's work: read its text layer or render it, turn it upright, OCR it, write its searchable-PDF page.

The same function runs in a page process (``ablage.executor.child``) and, for evaluation and benchmarks, in the
calling process; what crosses between processes is plain data (paths, numbers, ``Page`` models, bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ablage.documents.orientation import detect_script, upright
from ablage.documents.pages import DocumentSource
from ablage.documents.skew import onto_original, straighten
from ablage.engines.base import PageEngine
from ablage.engines.scripts import Script, fraktur_languages, reads_fraktur
from ablage.evaluation import word_f1
from ablage.lexicon import lexicon
from ablage.lexicon import lexicons as installed_lexicons
from ablage.results.archive_pdf import write_page
from ablage.results.fraktur_words import correct_fraktur
from ablage.results.model import Page, Reading
from ablage.results.page_image import Optimize
from ablage.results.review import review_page
from ablage.results.spelling import Spelling, modernise
from ablage.results.thumbnail import render_thumbnail


@dataclass(frozen=True)
class ReadingOptions:
    """How an OCR page is read, beyond its engine and languages."""

    script: Script = Script.latin
    """``auto``: German pages whose script is Fraktur are read by ``fraktur_engine`` with its Fraktur models;
    ``fraktur``: every page is."""
    fraktur_engine: str | None = None
    spelling: Spelling = Spelling.printed
    deskew: bool = True
    """Straighten a scan laid askew (0.3-10 degrees) before OCR."""
    second_engine: str | None = None
    """An engine that reads a Latin page again where its own engine was unsure; how far the two agree goes to
    the page's review."""


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
    reading: ReadingOptions = field(default_factory=lambda: ReadingOptions())


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


# Tesseract reads a Fraktur page with its Fraktur models far more confidently than with the modern ones (0.13-0.34
# higher on the corpus's Fraktur pages), and a modern page about as confidently (within 0.05 either way).
_FRAKTUR_MARGIN = 0.1


# A page its engine read less confidently than this, or with this share of doubtful words (ablage.results.review),
# is read by the second engine too. RapidOCR is confident even where it misreads (0.96 on a Fraktur page), so its
# doubtful words count; a clean invoice has 0-5 % of them (names, codes), so most pages are read once.
_SECOND_OPINION_BELOW = 0.9
_SECOND_OPINION_DOUBTFUL = 0.06


def _text(page: Page) -> str:
    return "\n".join(line.text for line in page.lines())


@dataclass(frozen=True)
class _Readers:
    work: PageWork
    primary: PageEngine
    fraktur: PageEngine | None
    dpi: int
    timeout: float | None
    second: PageEngine | None = None

    def recognize(self, engine: PageEngine, image: Image.Image, languages: tuple[str, ...]) -> Page:
        return engine.recognize(
            image, page_number=self.work.number, dpi=self.dpi, languages=languages, timeout=self.timeout
        )

    def unsure(self, page: Page) -> bool:
        if page.confidence < _SECOND_OPINION_BELOW:
            return True
        lexicons = installed_lexicons(self.work.languages)
        return review_page(page, lexicons, threshold=1.0).score >= _SECOND_OPINION_DOUBTFUL

    def choose(self, image: Image.Image) -> tuple[Page, Script, str]:
        """Reads the (straightened) image with the engine and models its script calls for."""
        work, fraktur, script_asked = self.work, self.fraktur, self.work.reading.script
        if script_asked is Script.fraktur and fraktur is not None:
            return self.recognize(fraktur, image, fraktur_languages()), Script.fraktur, "script=fraktur"
        if script_asked is not Script.auto or fraktur is None or not reads_fraktur(work.languages):
            return self.recognize(self.primary, image, work.languages), Script.latin, "the job's engine"
        script, confidence = detect_script(image)
        if script == "Fraktur":
            page = self.recognize(fraktur, image, fraktur_languages())
            return page, Script.fraktur, f"script detection: Fraktur (OSD confidence {confidence:.1f})"
        if script is not None:
            page = self.recognize(self.primary, image, work.languages)
            return page, Script.latin, f"script detection: {script} (OSD confidence {confidence:.1f})"
        # Too little text for OSD (a line, a label): both model sets read it, which costs little on so small a page.
        as_fraktur = self.recognize(fraktur, image, fraktur_languages())
        as_latin = self.recognize(fraktur, image, work.languages)
        margin = as_fraktur.confidence - as_latin.confidence
        if margin >= _FRAKTUR_MARGIN:
            return as_fraktur, Script.fraktur, f"Fraktur models read it {margin:.2f} more confidently"
        why = f"Fraktur models read it only {margin:+.2f} more confidently"
        if fraktur is self.primary:
            return as_latin, Script.latin, why
        return self.recognize(self.primary, image, work.languages), Script.latin, why

    def read(self, image: Image.Image, rotation: int) -> Page:
        options = self.work.reading
        straightened = straighten(image) if options.deskew else None
        seen = straightened.image if straightened is not None else image
        page, script, reason = self.choose(seen)
        agreement = None
        second = self.second
        if second is not None and script is Script.latin and self.unsure(page):
            other = self.recognize(second, seen, self.work.languages)
            agreement = round(word_f1(_text(other), _text(page)).f1, 4)
        if straightened is not None:
            page = onto_original(page, straightened)
        corrected = 0
        german = lexicon("de")
        if script is Script.fraktur and german is not None:
            page, corrected = correct_fraktur(page, german)
        if options.spelling is Spelling.modern:
            page = modernise(page, fraktur=script is Script.fraktur)
        skew = straightened.angle if straightened is not None else 0.0
        reading = Reading(
            script=script.value,
            reason=reason,
            skew=skew,
            rotation=rotation,
            corrected=corrected,
            second_engine=options.second_engine if agreement is not None else None,
            agreement=agreement,
        )
        return page.model_copy(update={"reading": reading})


def read_page(
    source: DocumentSource,
    work: PageWork,
    engine: PageEngine | None,
    timeout: float | None,
    fraktur: PageEngine | None = None,
    second: PageEngine | None = None,
) -> PageOutcome:
    """``fraktur``: the engine for pages in Fraktur (``work.script``), None where there is none; ``second``: the
    engine of a second opinion (``work.reading.second_engine``), None where there is none."""
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

    readers = _Readers(work, engine, fraktur, page_input.dpi, timeout, second if second is not engine else None)
    page = readers.read(image, 0)
    if work.detect_orientation and not reads_upright(page):
        turned, degrees = upright(image)
        if degrees:
            image, page = turned, readers.read(turned, degrees)
    layer = write_layer(image, page, work.layer_dir, work.optimize) if work.layer_dir is not None else None
    return PageOutcome(work.number, page_input.dpi, page, thumbnail=thumbnail, layer=layer)
