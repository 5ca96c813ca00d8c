"""A PDF page's own text layer as a result page, so born-digital pages need no OCR."""

from __future__ import annotations

import pypdfium2 as pdfium

from ablage.results.layout import group_lines, mark_titles
from ablage.results.model import BBox, Line, Page, PageSource, Word, union_bbox

TEXT_LAYER_ENGINE = "pdf-text-layer"
# Fewer visible characters than this is a scan with a stray label, not a text layer worth trusting.
_MIN_VISIBLE_CHARS = 20
# Text layers of broken fonts come out as replacement and control characters.
_MAX_GARBAGE_RATIO = 0.1


def _usable(text: str) -> bool:
    visible = [ch for ch in text if not ch.isspace()]
    if len(visible) < _MIN_VISIBLE_CHARS:
        return False
    garbage = sum(1 for ch in visible if ch == "\ufffd" or not ch.isprintable())
    return garbage / len(visible) <= _MAX_GARBAGE_RATIO


def text_layer_page(page: pdfium.PdfPage, number: int, scale: float) -> Page | None:
    """Callers hold the PDFium lock. Returns None when the layer is missing or unusable."""
    # Character boxes are in unrotated page space; a rotated page is OCR'd instead of remapping them.
    if page.get_rotation() % 360:
        return None
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        if len(text) != count or not _usable(text):
            return None
        left, _bottom, _right, top = page.get_cropbox()

        def to_pixels(index: int) -> BBox:
            x0, y0, x1, y1 = textpage.get_charbox(index)
            return (
                max(0, round((x0 - left) * scale)),
                max(0, round((top - y1) * scale)),
                max(0, round((x1 - left) * scale)),
                max(0, round((top - y0) * scale)),
            )

        lines: list[Line] = []
        words: list[Word] = []
        chars: list[str] = []
        boxes: list[BBox] = []

        def end_word() -> None:
            if chars:
                words.append(Word(bbox=union_bbox(boxes), text="".join(chars), confidence=1.0))
                chars.clear()
                boxes.clear()

        def end_line() -> None:
            end_word()
            if words:
                lines.append(
                    Line(
                        bbox=union_bbox(w.bbox for w in words),
                        text=" ".join(w.text for w in words),
                        confidence=1.0,
                        words=list(words),
                    )
                )
                words.clear()

        for index, char in enumerate(text):
            if char in "\r\n":
                end_line()
            elif char.isspace():
                end_word()
            else:
                chars.append(char)
                boxes.append(to_pixels(index))
        end_line()
    finally:
        textpage.close()
    width, height = page.get_size()
    result = Page(
        number=number,
        width=round(width * scale),
        height=round(height * scale),
        dpi=round(scale * 72),
        source=PageSource.text_layer,
        engine=TEXT_LAYER_ENGINE,
        confidence=1.0,
        blocks=group_lines(lines),
    )
    return mark_titles(result)
