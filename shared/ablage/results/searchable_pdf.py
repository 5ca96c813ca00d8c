"""Searchable PDF, as OCRmyPDF writes it: each OCR'd page is its image under an invisible, word-by-word text layer."""

from __future__ import annotations

import ctypes
import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ablage.pdfium import PDFIUM_LOCK
from ablage.results.model import Line, Page, Word

_FONT = "Helvetica"
# Helvetica's ascender and descender (AFM, per 1 pt of font size): fitting them to the line's box makes the
# invisible glyphs cover the ink, so selection highlights sit on the text and lines do not overlap.
_ASCENDER = 0.718
_DESCENDER = 0.207
_JPEG_QUALITY = 85
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf"})


@dataclass(frozen=True)
class _Word:
    """One word's text and box, in PDF points with the origin at the bottom left."""

    text: str
    left: float
    right: float
    baseline: float
    size: float


def _in_winansi(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def winansi_text(text: str) -> str:
    """The text as the unembedded standard font can carry it: WinAnsi (cp1252) only.

    PDFium does not refuse other characters, it writes some other byte ('漢' comes back as 'ÿ'), so compatibility
    forms are folded ('ﬁ' → 'fi', full-width letters), invisible control and format characters dropped, and what
    is left outside WinAnsi (CJK, Cyrillic, most symbols) becomes '?': searchable as far as the font allows.
    """
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            out.append(" ")
        elif unicodedata.category(char) in _CONTROL_CATEGORIES:
            continue
        elif _in_winansi(char):
            out.append(char)
        else:
            folded = unicodedata.normalize("NFKC", char)
            out.append(folded if all(_in_winansi(c) for c in folded) else "?")
    return "".join(out)


def _words(page: Page) -> Iterator[_Word]:
    """The page's words in reading order; a line without word boxes counts as one word."""
    scale = 72 / page.dpi
    for line in page.lines():
        words: Sequence[Word | Line] = line.words or [line]
        for word in words:
            x0, _, x1, _ = word.bbox
            # One font size and baseline per line, from the line's box: per-word heights ("aus" vs "Grüße") give
            # jagged highlights, and readers that group words into lines by size and baseline could split the line.
            top, bottom = line.bbox[1], line.bbox[3]
            if bottom <= top:
                top, bottom = word.bbox[1], word.bbox[3]
            text = winansi_text(word.text).strip()
            if not text or x1 <= x0 or bottom <= top:
                continue
            size = (bottom - top) * scale / (_ASCENDER + _DESCENDER)
            yield _Word(
                text=text,
                left=x0 * scale,
                right=x1 * scale,
                baseline=(page.height - bottom) * scale + _DESCENDER * size,
                size=size,
            )


def _jpeg(image: Image.Image) -> io.BytesIO:
    gray = image.mode != "P" and len(image.getbands()) <= 2
    target = "L" if gray else "RGB"
    if image.mode != target:
        image = image.convert(target)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    buffer.seek(0)
    return buffer


def _wide(text: str) -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))


def _adopt(pdf_page: pdfium.PdfPage, obj: pdfium.PdfObject) -> pdfium.PdfObject:
    """Hands the object to the page at once: a later failure then cannot leave a loose object that the garbage
    collector would destroy without PDFIUM_LOCK."""
    try:
        pdf_page.insert_obj(obj)
    except BaseException:
        obj.close()
        raise
    return obj


class SearchablePdfWriter:
    """Builds the PDF page by page in PDFium's memory; every PDFium call holds PDFIUM_LOCK."""

    def __init__(self) -> None:
        with PDFIUM_LOCK:
            self._pdf = pdfium.PdfDocument.new()
            self._font = pdfium.PdfFont.load_standard(self._pdf, _FONT)
        # The last source of original pages stays open: a worker copies its pages one after another.
        self._source: tuple[Path, pdfium.PdfDocument] | None = None

    def add_image_page(self, image: Image.Image, page: Page) -> None:
        """A page whose words were recognised on `image`.

        That is the upright image OCR ran on, page.width x page.height px at page.dpi.
        """
        if image.size != (page.width, page.height):
            raise ValueError(f"the image is {image.size[0]}x{image.size[1]} px, the page {page.width}x{page.height}")
        # Encoding and layout need no PDFium, so other threads may use it meanwhile.
        jpeg = _jpeg(image)
        words = list(_words(page))
        scale = 72 / page.dpi
        width, height = page.width * scale, page.height * scale
        with PDFIUM_LOCK:
            index = len(self._pdf)
            pdf_page = self._pdf.new_page(width, height)
            done = False
            try:
                picture = _adopt(pdf_page, pdfium.PdfImage.new(self._pdf))
                # Inline: PDFium keeps its own copy of the JPEG, so the buffer goes when this call returns.
                picture.load_jpeg(jpeg, inline=True)
                picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
                for word in words:
                    self._add_word(pdf_page, word)
                pdf_page.gen_content()
                done = True
            finally:
                pdf_page.close()
                if not done:
                    self._pdf.del_page(index)

    def _add_word(self, pdf_page: pdfium.PdfPage, word: _Word) -> None:
        raw = pdfium_c.FPDFPageObj_CreateTextObj(self._pdf, self._font, word.size)
        if not raw:
            raise pdfium.PdfiumError("Failed to create a text object.")
        obj = _adopt(pdf_page, pdfium.PdfObject(raw, pdf=self._pdf))
        if not pdfium_c.FPDFText_SetText(obj, ctypes.cast(_wide(word.text), pdfium_c.FPDF_WIDESTRING)):
            raise pdfium.PdfiumError("Failed to set the text of a text object.")
        left, _, right, _ = obj.get_bounds()
        # The trailing space gives extraction its word break; it is set after measuring the word's own width.
        if not pdfium_c.FPDFText_SetText(obj, ctypes.cast(_wide(word.text + " "), pdfium_c.FPDF_WIDESTRING)):
            raise pdfium.PdfiumError("Failed to set the text of a text object.")
        if not pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE):
            raise pdfium.PdfiumError("Failed to make a text object invisible.")
        # Stretch the glyphs' extent (not their advance) onto the word's box, as the box is the ink's extent too.
        stretch = (word.right - word.left) / (right - left) if right > left else 1.0
        obj.set_matrix(pdfium.PdfMatrix(stretch, 0, 0, 1, word.left - left * stretch, word.baseline))

    def add_original_page(self, pdf_path: Path, page_number: int) -> None:
        """Copy page `page_number` (1-based) of an existing PDF unchanged (it has its own text layer)."""
        with PDFIUM_LOCK:
            source = self._open_source(pdf_path)
            if not 1 <= page_number <= len(source):
                raise ValueError(f"{pdf_path.name} has no page {page_number}")
            self._pdf.import_pages(source, [page_number - 1])

    def _open_source(self, pdf_path: Path) -> pdfium.PdfDocument:
        if self._source is not None and self._source[0] == pdf_path:
            return self._source[1]
        self._close_source()
        source = pdfium.PdfDocument(pdf_path)
        self._source = (pdf_path, source)
        return source

    def _close_source(self) -> None:
        if self._source is not None:
            self._source[1].close()
            self._source = None

    def save(self, target: Path) -> None:
        with PDFIUM_LOCK:
            self._pdf.save(target)

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._close_source()
            # Closing the document closes its font first (the font is one of its kids).
            self._pdf.close()
