"""Fraktur misreadings corrected by a word list: only words the list does not know, only into words it knows,
fewest changes first; the parts of a word broken at a line's end are left alone."""

from __future__ import annotations

import pytest
from ablage.lexicon import Lexicon, lexicon
from ablage.results.fraktur_words import correct_fraktur, correct_word
from ablage.results.model import Block, Line, Page, PageSource, Word

WORDS = Lexicon(
    frozenset({"ist", "sich", "durch", "Nutzens", "Gesetz", "Unmündigkeit", "auf", "aus", "Monatsschrift", "Haft"})
)


def test_misread_letters_are_put_back_where_that_makes_a_known_word() -> None:
    assert correct_word("ift", WORDS) == "iſt"
    assert correct_word("Ift", WORDS) == "Iſt"  # a sentence's first word
    assert correct_word("fich,", WORDS) == "ſich,"  # punctuation stays where it was
    assert correct_word("jich", WORDS) == "ſich"
    assert correct_word("dur<", WORDS) == "durch"
    assert correct_word("Monatsſ<rift.", WORDS) == "Monatsſchrift."
    assert correct_word("Nußens", WORDS) == "Nutzens"
    assert correct_word("Gesey", WORDS) == "Gesetz"


def test_known_words_unknown_results_and_numbers_are_left_as_read() -> None:
    assert correct_word("auf", WORDS) == "auf"  # known, though "aus" may have been printed
    assert correct_word("haft", WORDS) == "haft"  # the list knows the noun, so no f is swapped for it
    assert correct_word("Gefühl", WORDS) == "Gefühl"  # unknown, and no swap makes it known
    assert correct_word("1f84", WORDS) == "1f84"
    assert correct_word("—", WORDS) == "—"
    assert correct_word("fffffffff", WORDS) == "fffffffff"  # too many places to be a misread word


def _page(*lines: tuple[str, ...]) -> Page:
    built = []
    for row, texts in enumerate(lines):
        words = [
            Word(bbox=(10 * i, 12 * row, 10 * i + 8, 12 * row + 10), text=t, confidence=0.8)
            for i, t in enumerate(texts)
        ]
        built.append(Line(bbox=(0, 12 * row, 100, 12 * row + 10), text=" ".join(texts), confidence=0.8, words=words))
    block = Block(bbox=(0, 0, 100, 12 * len(lines)), lines=built)
    return Page(
        number=1,
        width=100,
        height=100,
        dpi=300,
        source=PageSource.ocr,
        engine="tesseract",
        confidence=0.8,
        blocks=[block],
    )


def _lines(page: Page) -> list[str]:
    return [line.text for line in page.lines()]


def test_a_page_is_corrected_word_by_word_and_counts_what_it_changed() -> None:
    page, corrected = correct_fraktur(_page(("Das", "ift", "dur<"), ("fich", "auf")), WORDS)
    assert _lines(page) == ["Das iſt durch", "ſich auf"]
    assert corrected == 3
    # Boxes and confidences are the engine's.
    assert [w.bbox for w in next(page.lines()).words] == [w.bbox for w in next(_page(("a", "b", "c")).lines()).words]


def test_a_line_end_s_that_breaks_a_known_word_is_the_double_hyphen() -> None:
    page, corrected = correct_fraktur(_page(("der", "Unmüns"), ("digkeit", "ift")), WORDS)
    assert _lines(page) == ["der Unmün⸗", "digkeit iſt"]
    assert corrected == 2


def test_the_parts_of_a_broken_word_are_not_corrected_as_words() -> None:
    # The list would mistake a part for a word of its own (or for no word), so neither part is changed.
    page, corrected = correct_fraktur(_page(("die", "fich="), ("ift", "auf")), WORDS)
    assert _lines(page) == ["die fich=", "ift auf"]
    assert corrected == 0


@pytest.mark.skipif(lexicon("de") is None, reason="no German word list (Debian: wngerman)")
def test_the_system_german_list_knows_inflected_forms() -> None:
    german = lexicon("de")
    assert german is not None
    assert german.knows("Rechnungen") and german.knows("Straße") and german.knows("ist")
    assert not german.knows("ift") and not german.knows("fich")
    assert correct_word("Verftandes", german) == "Verſtandes"
