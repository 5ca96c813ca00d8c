"""A second opinion on unsure pages, with the real engines: a page RapidOCR reads confidently but wrongly (Fraktur
read as Latin, most of its words unknown) is read by Tesseract too, the two disagree and the page is flagged; a
clean invoice is read once."""

from __future__ import annotations

from pathlib import Path

import pytest
from ablage.engines.supervisor import EngineSupervisor
from ablage.errors import EngineUnavailable
from ablage.executor.page import ReadingOptions
from ablage.jobs.pipeline import ocr_file
from ablage.lexicon import lexicon
from ablage.results.model import Page
from ablage.results.review import review_pages
from ablage.settings import Settings

from tests.conftest import DOCUMENTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def read():
    settings = Settings()
    engines = EngineSupervisor(settings)
    engines.start(["rapidocr", "tesseract"])
    try:
        engines.wait("rapidocr", 120)
        engines.wait("tesseract", 120)
        primary, second = engines.pages("rapidocr"), engines.pages("tesseract")
    except EngineUnavailable as exc:
        engines.close()
        pytest.skip(f"RapidOCR and Tesseract are both needed: {exc.detail}")
    if lexicon("de") is None:
        engines.close()
        pytest.skip("no German word list (Debian: wngerman)")

    def run(path: Path) -> Page:
        reading = ReadingOptions(second_engine="tesseract")
        pages = ocr_file(path, primary, settings.upload, languages=["de", "en"], reading=reading, second=second)
        return review_pages(pages, ["de", "en"])[0]

    yield run
    engines.close()


@pytest.mark.parametrize(
    "name",
    [
        "de_fraktur_line_fontane_irrungen_1888_0033_025.tif",
        "de_fraktur_line_poersch_gewerkschaftsbewegung_1897_0028_024.tif",
    ],
)
def test_a_confident_misreading_gets_a_second_opinion_that_disagrees(read, name: str) -> None:
    page = read(DOCUMENTS / name)
    assert page.confidence > 0.9  # RapidOCR is sure of itself
    assert page.reading is not None and page.reading.second_engine == "tesseract"
    assert page.reading.agreement is not None and page.reading.agreement < 0.6  # measured 0.44-0.46
    assert page.review is not None and page.review.flagged
    assert any("the engines disagree" in reason for reason in page.review.reasons)


def test_a_clean_invoice_is_read_once(read) -> None:
    page = read(DOCUMENTS / "de_invoice_mustang_499.png")
    assert page.reading is not None and page.reading.agreement is None and page.reading.second_engine is None
    assert page.review is not None and not page.review.flagged
