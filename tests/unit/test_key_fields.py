"""Key invoice fields from recognised pages: what the corpus's ground truth lists is found, IBANs only with a
valid checksum, and a page that says otherwise than its XML is flagged."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ablage.engines.base import PageEngine
from ablage.engines.tesseract import TesseractEngine
from ablage.evaluation import score_key_fields
from ablage.invoices.fields import FieldSource, Invoice, Totals
from ablage.results.key_fields import find_key_fields, iban_valid
from ablage.results.layout import ocr_page, split_line
from ablage.results.model import Block, Page
from ablage.settings import Settings
from PIL import Image

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"


@pytest.fixture(scope="module")
def tesseract() -> TesseractEngine:
    engine = TesseractEngine(Settings())
    engine.warm_up(["de", "en"])
    return engine


@pytest.fixture(scope="module")
def rapidocr() -> PageEngine:
    pytest.importorskip("rapidocr", reason="RapidOCR (the rapidocr extra) is not installed")
    from ablage.engines.rapidocr import RapidOcrEngine

    engine = RapidOcrEngine(Settings())
    engine.warm_up(["de", "en"])
    return engine


def read(engine: PageEngine, name: str) -> Page:
    return engine.recognize(Image.open(DOCUMENTS / name), page_number=1, dpi=300, languages=["de", "en"])


def found(page: Page) -> dict[str, str]:
    return {field.name: field.value for field in find_key_fields([page])}


@pytest.mark.parametrize("name", ["de_receipt_aldi_18042020_11_00883.jpg", "de_receipt_lidl_02032020_02_00716.jpg"])
def test_receipts_total_and_date(rapidocr: PageEngine, name: str) -> None:
    """RapidOCR reads each label and its amount as lines of their own; they are paired by their row."""
    truth = json.loads((DOCUMENTS / name).with_suffix(".fields.json").read_text())
    fields = found(read(rapidocr, name))
    day, month, year = truth["date"].split(".")
    assert fields.get("issue_date") == f"{year}-{month}-{day}"
    assert fields.get("total") == truth["total"].replace(",", ".")


def test_an_english_invoice(tesseract: TesseractEngine) -> None:
    (truth,) = json.loads((DOCUMENTS / "en_invoice_amazonwebservices.fields.json").read_text())
    page = read(tesseract, "en_invoice_amazonwebservices.png")
    fields = found(page)
    assert fields["number"] == truth["invoice_number"]
    assert fields["issue_date"] == truth["date"]
    assert Decimal(fields["total"]) == Decimal(str(truth["amount"]))
    for field in find_key_fields([page]):
        assert field.source is FieldSource.ocr and field.page == 1 and field.boxes and 0 < field.confidence <= 1


def test_a_page_that_disagrees_with_its_xml_is_flagged(tesseract: TesseractEngine) -> None:
    page = read(tesseract, "de_invoice_ferd_einfach.png")
    xml = Invoice(valid=True, number="471102", issue_date=date(2018, 3, 5), totals=Totals(gross=Decimal("529.87")))
    by_name = {field.name: field for field in find_key_fields([page], xml) if field.source is FieldSource.ocr}
    assert by_name["number"].matches_xml is True and by_name["issue_date"].matches_xml is True
    other = xml.model_copy(update={"number": "471103"})
    flagged = {f.name: f for f in find_key_fields([page], other) if f.source is FieldSource.ocr}
    assert flagged["number"].matches_xml is False
    assert {f.name for f in find_key_fields([page], other) if f.source is FieldSource.xml} >= {"number", "total"}


def test_ibans_need_their_checksum() -> None:
    assert iban_valid("DE02120300000000202051") and iban_valid("DE91100000000123456789")
    assert not iban_valid("DE02120300000000202052")
    lines = ["IBAN: DE02 1203 0000 0000 2020 51", "Konto DE02 1203 0000 0000 2020 52", "USt-IdNr. DE123456789"]
    block = Block(
        bbox=(100, 100, 2000, 300),
        lines=[split_line(text, (100, 100 + 60 * n, 2000, 140 + 60 * n), 0.95) for n, text in enumerate(lines)],
    )
    page = ocr_page("test", 1, (2480, 3508), 300, [block])
    fields = [(field.name, field.value) for field in find_key_fields([page])]
    assert ("iban", "DE02120300000000202051") in fields and ("iban", "DE02120300000000202052") not in fields
    assert ("vat_id", "DE123456789") in fields


def test_the_eval_scores_the_fields_found_on_a_scan(tesseract: TesseractEngine) -> None:
    truth = json.loads((DOCUMENTS / "en_invoice_amazonwebservices.fields.json").read_text())
    outcomes = score_key_fields(find_key_fields([read(tesseract, "en_invoice_amazonwebservices.png")]), truth)
    assert set(outcomes) == {"number", "issue_date", "total"}
    assert all(outcome.correct for outcome in outcomes.values()), outcomes
