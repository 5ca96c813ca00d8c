"""Words of a recognised line from its characters and the white gaps of the page image.

A line recogniser (RapidOCR's CTC model) sometimes drops the space between two words, or between a table cell and
the amount beside it (``genanntenVertrag``, ``Beratungsleistung6.061,36``). The image still shows the gap: a run
of blank columns in the line that is as wide as the line's word spaces and far wider than the gaps between its
letters. Such a gap splits the word; every word's box is then drawn round its own ink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np

from ablage.results.model import BBox, Word

# A gap splits a word when it is at least this share of the line's own word spaces ...
_MIN_GAP_OF_SPACES = 0.75
# ... or, in a line without spaces, this share of its box's height (a word space in print is about a quarter of
# the em; detection boxes are padded to about 1.5 em) ...
_MIN_GAP_OF_HEIGHT = 0.25
# ... and this many times the line's usual gap between letters, so letter-spaced headings stay whole.
_MIN_GAP_OF_LETTER_GAPS = 3.0
# A column is ink when this many of its pixels are: specks of scanner noise do not close a gap.
_INK_PIXELS = 2


@dataclass(frozen=True)
class Glyph:
    """One recognised character: its text, its horizontal extent on the page (from the recogniser's character
    positions), its confidence, and whether the recognised text has a space before it."""

    text: str
    x0: int
    x1: int
    confidence: float
    space_before: bool = False

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


def _otsu(grey: np.ndarray) -> int:
    """The grey level that best separates ink from paper (Otsu's method on the crop's histogram)."""
    histogram = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    background = total - weight
    valid = (weight > 0) & (background > 0)
    between = np.zeros(256)
    between[valid] = (mean[-1] * weight[valid] / total - mean[valid]) ** 2 * total / (weight[valid] * background[valid])
    return int(np.argmax(between))


def ink_columns(grey: np.ndarray) -> np.ndarray:
    """Per column of a line's grey crop: whether it holds ink."""
    if grey.size == 0 or int(grey.max()) - int(grey.min()) < 32:
        return np.zeros(grey.shape[1] if grey.ndim == 2 else 0, dtype=bool)
    threshold = _otsu(grey)
    return np.asarray((grey <= threshold).sum(axis=0) >= _INK_PIXELS)


def _blank_runs(ink: np.ndarray) -> list[tuple[int, int]]:
    """Runs of blank columns, as [start, end), that have ink on both sides."""
    columns = np.flatnonzero(ink)
    if columns.size < 2:
        return []
    steps = np.diff(columns)
    return [(int(columns[i]) + 1, int(columns[i + 1])) for i in np.flatnonzero(steps > 1)]


def _gaps_between(centres: Sequence[float], runs: Sequence[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """For each pair of neighbouring characters, the widest blank run whose middle lies between their centres:
    each run belongs to one pair only."""
    gaps: list[tuple[int, int] | None] = [None] * max(0, len(centres) - 1)
    pair = 0
    for run in runs:
        middle = (run[0] + run[1]) / 2
        while pair < len(gaps) and middle > centres[pair + 1]:
            pair += 1
        if pair >= len(gaps):
            break
        if middle < centres[pair]:
            continue
        current = gaps[pair]
        if current is None or run[1] - run[0] > current[1] - current[0]:
            gaps[pair] = run
    return gaps


def _tight(ink: np.ndarray, left: int, right: int) -> tuple[int, int]:
    """[left, right) narrowed to its first and last ink column; unchanged when it holds none."""
    columns = np.flatnonzero(ink[max(0, left) : max(left + 1, right)])
    if columns.size == 0:
        return left, right
    return max(0, left) + int(columns[0]), max(0, left) + int(columns[-1]) + 1


def split_words(glyphs: Sequence[Glyph], ink: np.ndarray, line_box: BBox) -> list[Word]:
    """The line's words: split where the text has a space and where the image has a word-wide gap the text
    lacks; each box spans its word's ink (x) and the line (y). ``ink`` covers the line box's columns."""
    if not glyphs:
        return []
    x_origin, top, _, bottom = line_box
    height = max(1, bottom - top)
    centres = [glyph.centre - x_origin for glyph in glyphs]
    gaps = _gaps_between(centres, _blank_runs(ink))
    widths = [gap[1] - gap[0] if gap else 0 for gap in gaps]
    spaces = [w for w, glyph in zip(widths, glyphs[1:], strict=True) if glyph.space_before]
    letters = [w for w, glyph in zip(widths, glyphs[1:], strict=True) if not glyph.space_before]
    needed = max(
        _MIN_GAP_OF_SPACES * median(spaces) if spaces else _MIN_GAP_OF_HEIGHT * height,
        _MIN_GAP_OF_LETTER_GAPS * median(letters) if letters else 0.0,
        1.0,
    )
    breaks = [glyph.space_before for glyph in glyphs[1:]]
    for pair, width in enumerate(widths):
        # A wide gap beside a space of the text that found no gap of its own is that space, placed a character
        # off by the recogniser's positions: not a second break.
        beside_lost_space = any(
            0 <= other < len(widths) and breaks[other] and widths[other] == 0 for other in (pair - 1, pair + 1)
        )
        # Only between letters and digits: signs and punctuation (+49, 1.000, "a") have wide margins of their own;
        # and not a single character off a word, which is more often a wide letter pair (the "ll" of "Bill").
        between_words = (
            1 <= pair < len(widths) - 1
            and not glyphs[pair].space_before
            and not glyphs[pair + 2].space_before
            and glyphs[pair].text.isalnum()
            and glyphs[pair + 1].text.isalnum()
        )
        if not breaks[pair] and between_words and width >= needed and not beside_lost_space:
            breaks[pair] = True

    words: list[Word] = []
    first = 0
    for index in range(1, len(glyphs) + 1):
        if index < len(glyphs) and not breaks[index - 1]:
            continue
        part = glyphs[first:index]
        before = gaps[first - 1] if first > 0 else None
        after = gaps[index - 1] if index < len(glyphs) else None
        # Between the separating gaps, or the recogniser's own extent where the image shows none.
        left = before[1] if before else part[0].x0 - x_origin
        right = after[0] if after else part[-1].x1 - x_origin
        x0, x1 = _tight(ink, left, right)
        text = "".join(glyph.text for glyph in part)
        confidence = sum(glyph.confidence for glyph in part) / len(part)
        words.append(Word(bbox=(x_origin + x0, top, x_origin + x1, bottom), text=text, confidence=round(confidence, 4)))
        first = index
    return words
