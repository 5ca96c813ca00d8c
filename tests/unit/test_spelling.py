"""Modern spelling of historical print: what changes, what is kept, and where a line-end "=" is a hyphen."""

from __future__ import annotations

from ablage.results.model import Block, Line, Page, PageSource, Word
from ablage.results.spelling import modern_word, modernise


def test_modern_word_maps_long_s_umlauts_hyphens_and_ligatures() -> None:
    assert modern_word("Verſtandes") == "Verstandes"
    assert modern_word("Aufklaͤrung") == "Aufklärung"
    assert modern_word("Unmuͤndigkeit") == "Unmündigkeit"
    assert modern_word("Oͤl") == "Öl"
    assert modern_word("Men⸗") == "Men-"
    assert modern_word("ﬁnden") == "finden"
    assert modern_word("ꝛc.") == "rc."
    # A word without historical letters is left as it is, an equals sign inside a word too.
    assert modern_word("Straße") == "Straße"
    assert modern_word("a=b") == "a=b"


def test_line_end_equals_is_a_hyphen_only_where_asked() -> None:
    assert modern_word("Unmün=", line_end=True) == "Unmün-"
    assert modern_word("Unmün=", line_end=False) == "Unmün="
    assert modern_word("=", line_end=True) == "="


def _page(*words: str) -> Page:
    boxes = [Word(bbox=(10 * i, 0, 10 * i + 8, 10), text=text, confidence=0.9) for i, text in enumerate(words)]
    line = Line(bbox=(0, 0, 10 * len(words), 10), text=" ".join(words), confidence=0.9, words=boxes)
    block = Block(bbox=line.bbox, lines=[line])
    return Page(
        number=1, width=100, height=20, dpi=300, source=PageSource.ocr, engine="t", confidence=0.9, blocks=[block]
    )


def test_modernise_keeps_the_printed_form_of_each_changed_word() -> None:
    page = modernise(_page("daß", "ſie", "Aufklaͤ="), fraktur=True)
    line = page.blocks[0].lines[0]
    assert line.text == "daß sie Aufklä-"
    assert [(w.text, w.printed) for w in line.words] == [("daß", None), ("sie", "ſie"), ("Aufklä-", "Aufklaͤ=")]
    assert [w.bbox for w in line.words] == [w.bbox for w in _page("a", "b", "c").blocks[0].lines[0].words]
    assert page.spelling == "modern"


def test_modernise_of_a_latin_page_keeps_line_end_equals() -> None:
    line = modernise(_page("Summe", "="), fraktur=False).blocks[0].lines[0]
    assert line.text == "Summe ="
