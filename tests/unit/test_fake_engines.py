"""The test engine the contract tests rely on: its text identifies the page it read, whatever way up."""

from __future__ import annotations

import pytest
from ablage.errors import ProcessingTimeout
from ablage.results.text import render_text
from ablage.settings import Settings
from PIL import Image

from tests.fakes.engines import (
    CrashingEngine,
    FakeEngine,
    HangingEngine,
    HeldEngine,
    HoggingEngine,
    SigkilledEngine,
    expected_text,
    held_pages,
)
from tests.images import text_image


def test_the_text_is_the_pages_fingerprint_whatever_way_up() -> None:
    page = text_image("Rechnung Nr. 10370")
    turned = [page.transpose(turn) for turn in Image.Transpose if turn.name.startswith("ROTATE")]
    assert {expected_text(image) for image in turned} == {expected_text(page)}
    # Same glyphs in another order: another page, another text.
    assert expected_text(text_image("Rechnung Nr. 10037")) != expected_text(page)
    assert expected_text(page, 2) != expected_text(page, 1)


def test_the_engine_returns_the_expected_text_with_word_boxes() -> None:
    page = text_image("Seite eins")
    result = FakeEngine(Settings()).recognize(page, page_number=3, dpi=300, languages=["de"])
    assert render_text([result]).strip() == expected_text(page, 3)
    words = [word for line in result.lines() for word in line.words]
    assert [word.text for word in words] == expected_text(page, 3).split()
    assert all(0 <= word.bbox[0] <= word.bbox[2] <= page.width for word in words)


def test_held_engine_gives_up_at_the_timeout_and_crash_raises() -> None:
    page = text_image("x")
    with held_pages() as gate, pytest.raises(ProcessingTimeout):
        HeldEngine(Settings()).recognize(page, page_number=1, dpi=300, languages=["de"], timeout=0.01)
    assert gate.entered.is_set() and gate.open.is_set()
    with pytest.raises(RuntimeError):
        CrashingEngine(Settings()).recognize(page, page_number=1, dpi=300, languages=["de"])


def test_the_fault_engines_refuse_to_run_outside_a_page_process() -> None:
    page = text_image("x")
    for engine in (HangingEngine(Settings()), HoggingEngine(Settings()), SigkilledEngine(Settings())):
        with pytest.raises(RuntimeError, match="only in a page process"):
            engine.recognize(page, page_number=1, dpi=300, languages=["de"])
