"""Words cut at the image's gaps: RapidOCR's own character positions on rendered lines, with the recognised
space taken out where the test says the recogniser dropped it; the gap in the image must bring the word break
back, and only there."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from ablage.engines.rapidocr import _bbox, _glyphs, _words
from ablage.engines.word_gaps import Glyph, ink_columns, split_words
from ablage.results.model import Word
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


@pytest.fixture(scope="module")
def rapidocr() -> Any:
    rapid = pytest.importorskip("rapidocr", reason="the rapidocr extra is not installed")
    params = {
        "Global.use_cls": False,
        "Global.return_word_box": True,
        "Global.return_single_char_box": True,
        "Global.log_level": "warning",
    }
    return rapid.RapidOCR(params=params)


def line_image(parts: list[tuple[str, int]], size: int = 42) -> Image.Image:
    """One line of text; each part starts at its x (pixels at 300 dpi)."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("L", (2000, 140), 255)
    draw = ImageDraw.Draw(image)
    for text, x in parts:
        draw.text((x, 40), text, font=font, fill=0)
    return image


def read_line(engine: Any, image: Image.Image) -> tuple[np.ndarray, Any, str, Any]:
    output = engine(np.asarray(image.convert("RGB")))
    assert output.txts is not None and len(output.txts) == 1, output.txts
    return np.asarray(image), output.boxes[0], output.txts[0], output.word_results[0]


def without_spaces(glyphs: list[Glyph], before: set[str]) -> list[Glyph]:
    """The recogniser's reading with the spaces before the named characters lost."""
    return [replace(g, space_before=False) if g.space_before and g.text in before else g for g in glyphs]


def words_of(grey: np.ndarray, box: Any, glyphs: list[Glyph]) -> list[Word]:
    x0, y0, x1, y1 = _bbox(box)
    return split_words(glyphs, ink_columns(grey[y0:y1, x0:x1]), (x0, y0, x1, y1))


def test_a_dropped_space_between_words_comes_back(rapidocr: Any) -> None:
    grey, box, text, chars = read_line(rapidocr, line_image([("den oben genannten Vertrag vom 3. Mai", 60)]))
    glyphs = _glyphs(text, chars)
    assert glyphs is not None
    joined = without_spaces(glyphs, {"V"})
    assert "genanntenVertrag" in " ".join(w.text for w in split_words(joined, np.zeros(0, bool), _bbox(box)))
    words = [w.text for w in words_of(grey, box, joined)]
    assert words == ["den", "oben", "genannten", "Vertrag", "vom", "3.", "Mai"]


def test_a_table_cell_and_its_amount_are_two_words_with_boxes_on_their_ink(rapidocr: Any) -> None:
    # Close enough for detection to see one line, with a gap of a few spaces (a narrow table column).
    label_width = ImageFont.truetype(FONT, 42).getlength("Beratungsleistung")
    image = line_image([("Beratungsleistung", 60), ("6.061,36", 60 + round(label_width) + 30)])
    grey, box, text, chars = read_line(rapidocr, image)
    glyphs = _glyphs(text, chars)
    assert glyphs is not None
    words = words_of(grey, box, without_spaces(glyphs, {"6"}))
    assert [w.text for w in words] == ["Beratungsleistung", "6.061,36"]
    ink = np.flatnonzero((grey < 128).any(axis=0))
    middle = 60 + label_width + 15
    label_end = ink[ink < middle].max() + 1
    amount_start = ink[ink > middle].min()
    # Each box spans its own ink, to a pixel or two, and none reaches into the gap.
    assert abs(words[0].bbox[2] - label_end) <= 2 and abs(words[1].bbox[0] - amount_start) <= 2
    assert words[0].bbox[0] >= 55 and words[1].bbox[2] <= 2000


@pytest.mark.parametrize(
    "parts",
    [
        [("Tel.: +49 9831 505-0", 60)],
        [("H E T Z N E R", 60)],
        [("Summe 1.234,56 EUR", 60)],
    ],
    ids=["signs", "letter-spaced", "amounts"],
)
def test_nothing_is_split_that_the_text_does_not_split(rapidocr: Any, parts: list[tuple[str, int]]) -> None:
    grey, box, text, chars = read_line(rapidocr, line_image(parts))
    words = _words(grey, _bbox(box), text, chars)
    assert " ".join(w.text for w in words) == " ".join(text.split())


def test_glyphs_follow_the_text_or_are_refused() -> None:
    chars = [("a", 0.9, [[0, 0], [10, 0], [10, 20], [0, 20]]), ("b", 0.8, [[20, 0], [30, 0], [30, 20], [20, 20]])]
    glyphs = _glyphs("a b", chars)
    assert glyphs is not None and [(g.text, g.space_before) for g in glyphs] == [("a", False), ("b", True)]
    assert _glyphs("ax", chars) is None
    assert _glyphs("a", chars) is None
    # A line whose positions do not match its text keeps its text, laid over the line box.
    kept = _words(np.full((40, 200), 255, np.uint8), (0, 0, 200, 20), "ab cd", chars, 0.7)
    assert [(w.text, w.bbox) for w in kept] == [("ab", (0, 0, 80, 20)), ("cd", (120, 0, 200, 20))]
    assert all(w.confidence == 0.7 for w in kept)
