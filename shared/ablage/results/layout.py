"""Layout heuristics every engine shares: lines into blocks, and headings from relative line height."""

from __future__ import annotations

from statistics import median

from ablage.results.model import BBox, Block, BlockKind, Line, Page, PageSource, Word, mean_confidence, union_bbox

# A line this much taller than the page's median line reads as a heading.
_TITLE_HEIGHT_RATIO = 1.4
_TITLE_MAX_CHARS = 120
# A vertical gap wider than this many line heights starts a new block.
_BLOCK_GAP_RATIO = 0.9


def _height(line: Line) -> int:
    return line.bbox[3] - line.bbox[1]


def group_lines(lines: list[Line]) -> list[Block]:
    """Consecutive lines (in reading order) form a block until a wide gap or a jump back up the page."""
    blocks: list[Block] = []
    current: list[Line] = []
    for line in lines:
        if current:
            previous = current[-1]
            gap = line.bbox[1] - previous.bbox[3]
            size = max(_height(previous), _height(line), 1)
            if gap > _BLOCK_GAP_RATIO * size or gap < -size:
                blocks.append(Block(bbox=union_bbox(ln.bbox for ln in current), lines=current))
                current = []
        current.append(line)
    if current:
        blocks.append(Block(bbox=union_bbox(ln.bbox for ln in current), lines=current))
    return blocks


def mark_titles(page: Page) -> Page:
    heights = [_height(line) for line in page.lines() if line.text.strip()]
    if len(heights) < 3:
        return page
    typical = median(heights)
    for block in page.blocks:
        if block.kind is not BlockKind.text or not block.lines or len(block.lines) > 2:
            continue
        text = " ".join(line.text for line in block.lines).strip()
        if not text or len(text) > _TITLE_MAX_CHARS or not any(ch.isalpha() for ch in text):
            continue
        if min(_height(line) for line in block.lines) >= _TITLE_HEIGHT_RATIO * typical:
            block.kind = BlockKind.title
    return page


def ocr_page(engine: str, number: int, size: tuple[int, int], dpi: int, blocks: list[Block]) -> Page:
    """An OCR engine's page: confidence from its words, headings marked."""
    words = [word for block in blocks for line in block.lines for word in line.words]
    page = Page(
        number=number,
        width=size[0],
        height=size[1],
        dpi=dpi,
        source=PageSource.ocr,
        engine=engine,
        confidence=mean_confidence(words),
        blocks=blocks,
    )
    return mark_titles(page)


def split_line(text: str, bbox: BBox, confidence: float) -> Line:
    """A line from an engine that reports no word boxes: each word gets a share of the line's width by its
    character count, so word-level consumers (hOCR, ALTO, the searchable PDF) still get usable boxes."""
    tokens = text.split()
    x0, y0, x1, y1 = bbox
    span = max(x1 - x0, 0)
    total = max(sum(len(token) for token in tokens) + len(tokens) - 1, 1)
    words: list[Word] = []
    offset = 0
    for token in tokens:
        left = x0 + round(span * offset / total)
        offset += len(token)
        right = x0 + round(span * offset / total)
        offset += 1
        words.append(Word(bbox=(left, y0, max(left, right), y1), text=token, confidence=confidence))
    return Line(bbox=bbox, text=" ".join(tokens), confidence=confidence, words=words)
