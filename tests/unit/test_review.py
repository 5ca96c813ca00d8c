"""Review flags from what can be measured on a page: doubtful words (low confidence, or unknown to the word list),
misread-looking words named with the word they likely are, a total that differs from the e-invoice XML."""

from __future__ import annotations

import pytest
from ablage.invoices.fields import FieldSource, KeyField
from ablage.lexicon import Lexicon, lexicon
from ablage.results.model import Block, Line, Page, PageSource, Reading, Word
from ablage.results.review import review_page, review_pages

WORDS = Lexicon(frozenset({"Rechnung", "Summe", "netto", "zuzüglich", "Straße", "Betrag", "Rohr", "der", "die"}))


def _page(*words: tuple[str, float], source: PageSource = PageSource.ocr, number: int = 1) -> Page:
    boxes = [Word(bbox=(10 * i, 0, 10 * i + 8, 10), text=t, confidence=c) for i, (t, c) in enumerate(words)]
    line = Line(bbox=(0, 0, 100, 10), text=" ".join(t for t, _ in words), confidence=0.9, words=boxes)
    return Page(
        number=number,
        width=100,
        height=20,
        dpi=300,
        source=source,
        engine="t",
        confidence=0.9,
        blocks=[Block(bbox=line.bbox, lines=[line])],
    )


def test_a_clean_page_is_not_flagged() -> None:
    review = review_page(_page(("Rechnung", 0.97), ("Summe", 0.95), ("netto:", 0.96), ("559,84", 0.93)), [WORDS], 0.12)
    assert not review.flagged and review.score == 0.0 and review.reasons == []
    assert review.mean_confidence == pytest.approx(0.9525) and review.low_confidence == 0.93


def test_unknown_and_unsure_words_flag_a_page_and_say_why() -> None:
    page = _page(("Rechnung", 0.97), ("Rcchnvng", 0.95), ("Summe", 0.4), ("netto", 0.9), ("Betrag", 0.9))
    review = review_page(page, [WORDS], 0.12)
    assert review.flagged and review.score == pytest.approx(0.4)
    assert review.unknown_words == 1
    assert any("40% of its 5 words" in reason for reason in review.reasons)
    assert any("confidence below" in reason for reason in review.reasons)
    # A tenant with a higher threshold is not bothered by it.
    assert not review_page(page, [WORDS], 0.5).flagged


def test_words_one_confusable_letter_from_a_known_word_are_named() -> None:
    review = review_page(_page(("zuzuglich", 0.9), ("Strasse", 0.9), ("R0hr", 0.9), ("Rechnung", 0.9)), [WORDS], 0.9)
    assert review.suspicious == ["zuzuglich → zuzüglich", "Strasse → Straße", "R0hr → Rohr"]
    assert not review.flagged  # 3 of 4 doubtful is under a threshold of 0.9
    assert any("look misread" in reason for reason in review.reasons)


def test_codes_amounts_and_text_layer_pages_are_not_doubtful() -> None:
    assert review_page(_page(("RE-2014/499", 0.9), ("DE123456789", 0.9), ("12,50", 0.9)), [WORDS], 0.12).score == 0
    text_layer = _page(("Xyzzy", 0.1), ("Qwrt", 0.1), source=PageSource.text_layer)
    assert not review_page(text_layer, [WORDS], 0.12).flagged


def test_without_word_lists_only_confidence_counts() -> None:
    review = review_page(_page(("Xyzzy", 0.95), ("Qwrtz", 0.95)), [], 0.12)
    assert not review.flagged and review.unknown_words == 0


def test_a_total_that_differs_from_the_xml_flags_its_page() -> None:
    fields = [
        KeyField(
            name="total",
            value="559.84",
            printed="559,84",
            source=FieldSource.ocr,
            page=2,
            confidence=0.9,
            matches_xml=False,
        ),
        KeyField(name="total", value="599.84", source=FieldSource.xml, confidence=1.0),
    ]
    pages = review_pages([_page(("Rechnung", 0.97)), _page(("Summe", 0.97), number=2)], ["xx"], fields)
    assert [page.review.flagged for page in pages if page.review] == [False, True]
    assert (
        pages[1].review is not None and "the total on the page (559,84) differs from the XML" in pages[1].review.reasons
    )


@pytest.mark.skipif(lexicon("de") is None, reason="no German word list (Debian: wngerman)")
def test_the_system_word_lists_know_inflected_german_and_english() -> None:
    lists = [words for words in (lexicon("de"), lexicon("en")) if words is not None]
    page = _page(("Rechnungen", 0.95), ("Bestellung", 0.95), ("invoices", 0.95), ("zuzüglich", 0.95))
    assert review_page(page, lists, 0.12).score == 0.0


def test_printed_totals_that_do_not_add_up_flag_the_page() -> None:
    lines = [("Summe netto: 496,00 €", 0.95), ("Zuzügl. USt: 68,84 €", 0.95), ("Summe inkl. USt: 559,84 €", 0.95)]

    def page(*rows: tuple[str, float]) -> Page:
        built = [
            Line(
                bbox=(0, 12 * i, 100, 12 * i + 10),
                text=text,
                confidence=c,
                words=[Word(bbox=(0, 12 * i, 100, 12 * i + 10), text=part, confidence=c) for part in text.split()],
            )
            for i, (text, c) in enumerate(rows)
        ]
        return Page(
            number=1,
            width=100,
            height=50,
            dpi=300,
            source=PageSource.ocr,
            engine="t",
            confidence=0.95,
            blocks=[Block(bbox=(0, 0, 100, 40), lines=built)],
        )

    wrong = review_pages([page(*lines)], ["xx"])[0].review
    assert wrong is not None and wrong.flagged
    assert "net 496.00 + VAT 68.84 is 564.84, the page says 559.84" in wrong.reasons[0]
    right = [(text.replace("68,84", "63,84"), c) for text, c in lines]
    assert review_pages([page(*right)], ["xx"])[0].review.flagged is False  # type: ignore[union-attr]
    # A VAT id is no amount of tax, and a page that names no net amount is not checked.
    assert (
        review_pages([page(("USt-IdNr. DE123456789 12,00", 0.9), ("Gesamtbetrag 99,00", 0.9))], ["xx"])[
            0
        ].review.flagged
        is False
    )  # type: ignore[union-attr]


def test_two_engines_that_disagree_flag_the_page() -> None:
    page = _page(("Rechnung", 0.85), ("Summe", 0.85))
    disagreeing = page.model_copy(
        update={"reading": Reading(reason="the job's engine", second_engine="tesseract", agreement=0.5)}
    )
    review = review_page(disagreeing, [WORDS], 0.12)
    assert review.flagged and "the engines disagree: t and tesseract share only 50% of the words" in review.reasons
    agreeing = page.model_copy(update={"reading": Reading(reason="the job's engine", agreement=0.95)})
    assert not review_page(agreeing, [WORDS], 0.12).flagged
