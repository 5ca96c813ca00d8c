"""A page from a VLM's transcription, which has text but no positions.

GOT-OCR2 and Janus-Pro read a whole page into one string: there are no line or word boxes to report, and
guessing them (spreading lines evenly down the page) would put wrong coordinates into hOCR, ALTO and the
searchable PDF. So every block and line carries the whole page as its box, no words are listed, and the
page's ``source`` is ``ocr``; clients that need word positions use a CPU engine (``engine=rapidocr``).
Paragraphs (blank lines) become blocks, and in formatted output Markdown headings, lists and tables set the
block's kind, so the Markdown rendering keeps the structure the model saw.
"""

from __future__ import annotations

import re

from ablage.results.layout import ocr_page
from ablage.results.model import BBox, Block, BlockKind, Line, Page

_HEADING = re.compile(r"^#{1,6}\s+")
_LIST_ITEM = re.compile(r"^\s*([-*•]|\d+[.)])\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")


def _kind(lines: list[str], formatted: bool) -> tuple[BlockKind, list[str]]:
    if not formatted:
        return BlockKind.text, lines
    if len(lines) == 1 and _HEADING.match(lines[0]):
        return BlockKind.title, [_HEADING.sub("", lines[0])]
    if all(_TABLE_ROW.match(line) for line in lines):
        return BlockKind.table, lines
    if all(_LIST_ITEM.match(line) for line in lines):
        return BlockKind.list, lines
    return BlockKind.text, lines


def text_page(
    engine: str, text: str, *, number: int, size: tuple[int, int], dpi: int, confidence: float, formatted: bool
) -> Page:
    box: BBox = (0, 0, size[0], size[1])
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        kind, lines = _kind(lines, formatted)
        blocks.append(
            Block(bbox=box, kind=kind, lines=[Line(bbox=box, text=line, confidence=confidence) for line in lines])
        )
    page = ocr_page(engine, number, size, dpi, blocks)
    # ocr_page weighs word confidences; these pages have none, so the model's own token probability stands in.
    page.confidence = confidence if blocks else 0.0
    return page
