"""Pages → blocks → lines → words, with boxes in rendered-page pixels (origin top-left) and 0..1 confidences."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, Field

from ablage.invoices.fields import Invoice, KeyField

BBox = tuple[int, int, int, int]


class BlockKind(StrEnum):
    text = "text"
    title = "title"  # type: ignore[assignment]  # shadows str.title; "title" is the contract's name
    table = "table"
    list = "list"
    figure = "figure"
    header = "header"
    footer = "footer"
    caption = "caption"


class PageSource(StrEnum):
    ocr = "ocr"
    text_layer = "text_layer"
    document = "document"
    """Read from a document's own structure (DOCX, XLSX, PPTX, HTML): no page image, no pixel boxes."""


class Word(BaseModel):
    bbox: BBox
    text: str
    confidence: float = Field(ge=0, le=1)
    printed: str | None = Field(
        None, description="the word as printed, where the text is given in modern spelling (spelling=modern)"
    )


class Line(BaseModel):
    bbox: BBox
    text: str
    confidence: float = Field(ge=0, le=1)
    words: list[Word] = Field(default_factory=list)


class Block(BaseModel):
    bbox: BBox
    kind: BlockKind = BlockKind.text
    lines: list[Line] = Field(default_factory=list)
    rows: list[list[str]] | None = Field(
        None, description="a table's cell texts, row by row, where the engine recognised its structure"
    )


class Reading(BaseModel):
    """What was decided for one OCR page before and while it was read, and why."""

    script: str = Field("latin", description="latin or fraktur: the script the page was read as")
    reason: str = Field(description="why this engine (and model) read the page")
    skew: float = Field(0.0, description="degrees the scan was turned to straighten its lines (counter-clockwise)")
    rotation: int = Field(0, description="clockwise quarter turns corrected, in degrees (0, 90, 180, 270)")
    corrected: int = Field(
        0,
        description="words of a Fraktur page whose misread letters (f for ſ, < for ch, ß for tz) the German word "
        "list put right",
    )
    second_engine: str | None = Field(
        None, description="the engine that read the page again because its own engine was unsure"
    )
    agreement: float | None = Field(
        None, ge=0, le=1, description="word F1 between the two engines' readings, where a second one read it"
    )


class Review(BaseModel):
    """Whether a person should look at the page, and why: from what can be measured on it."""

    flagged: bool
    score: float = Field(
        ge=0, le=1, description="share of doubtful words: read with low confidence, or unknown to the word list"
    )
    reasons: list[str] = Field(default_factory=list, description="what was found, in words; empty when fine")
    mean_confidence: float = Field(ge=0, le=1)
    low_confidence: float = Field(ge=0, le=1, description="the 10th percentile of the words' confidences")
    unknown_words: int = Field(0, ge=0, description="words of three letters or more that the word lists do not know")
    suspicious: list[str] = Field(
        default_factory=list, description="words that look misread, with the known word they likely are"
    )


class Page(BaseModel):
    number: int = Field(ge=1, description="1-based page number in the original document")
    width: int
    height: int
    dpi: int
    source: PageSource
    engine: str = Field(description="what produced this page: an engine name, or the PDF text layer")
    confidence: float = Field(ge=0, le=1)
    blocks: list[Block] = Field(default_factory=list)
    reading: Reading | None = Field(None, description="how an OCR page was read: script, engine choice, deskew")
    spelling: str = Field("printed", description="printed, or modern where historical spelling was modernised")
    review: Review | None = Field(None, description="whether the page should be checked by a person, and why")

    def lines(self) -> Iterable[Line]:
        for block in self.blocks:
            yield from block.lines


class EngineRef(BaseModel):
    name: str
    version: str


class Original(BaseModel):
    """What the uploaded PDF carries that its archive copy (the searchable PDF) does not."""

    signed: bool = Field(description="the original carries digital signatures")
    signatures: int = Field(ge=0)
    encrypted: bool
    changes_allowed: bool = Field(description="its permissions allow changes (always true when not encrypted)")
    notes: list[str] = Field(default_factory=list, description="what this means for the archive copy")


class ArchiveCopy(BaseModel):
    """The searchable PDF as written: its format, how its page images were encoded and what it carries."""

    format: str = Field(description="pdfa-2b, pdfa-3b or pdf")
    optimize: int = Field(ge=0, le=2, description="pdf_optimize: 0 lossless, 1 default, 2 smaller")
    attachments: list[str] = Field(default_factory=list, description="files embedded in it (the e-invoice XML)")
    notes: list[str] = Field(default_factory=list)


class OcrResult(BaseModel):
    id: str
    engine: EngineRef
    languages: list[str]
    pages: list[Page]
    text: str = ""
    markdown: str = ""
    original: Original | None = Field(None, description="for PDFs: signatures and permissions of the upload")
    archive: ArchiveCopy | None = Field(None, description="the searchable PDF: format and attachments")
    key_fields: list[KeyField] = Field(
        default_factory=list,
        description="invoice number, dates, total, IBAN and VAT id as found on the pages (ocr) and in the XML (xml)",
    )
    invoice: Invoice | None = Field(
        None, description="the e-invoice the document carries (ZUGFeRD, Factur-X, XRechnung), read from its XML"
    )


def union_bbox(boxes: Iterable[BBox]) -> BBox:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))


def mean_confidence(words: Iterable[Word]) -> float:
    """Character-weighted, so one confident long word outweighs a stray low-confidence dot."""
    total = weight = 0.0
    for word in words:
        total += word.confidence * len(word.text)
        weight += len(word.text)
    return round(total / weight, 4) if weight else 0.0
