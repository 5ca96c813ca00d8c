"""The key-field score of ``ablage eval``: the extractor's fields against each shape of ``.fields.json``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from ablage.evaluation import FieldOutcome, best_values, expected_fields, score_key_fields
from ablage.invoices.fields import FieldSource, KeyField

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"


def field(name: str, value: str, confidence: float = 0.8) -> KeyField:
    return KeyField(name=name, value=value, source=FieldSource.ocr, page=1, confidence=confidence)


def truth_of(name: str) -> dict[str, object] | list[dict[str, object]]:
    loaded: dict[str, object] | list[dict[str, object]] = json.loads((DOCUMENTS / name).read_text(encoding="utf-8"))
    return loaded


def test_a_receipt_compares_its_total_as_a_decimal_and_its_printed_date_as_a_date() -> None:
    truth = truth_of("de_receipt_aldi_18042020_11_00883.fields.json")
    assert isinstance(truth, dict)
    day, month, year = str(truth["date"]).split(".")
    total = str(truth["total"]).replace(",", ".")
    outcomes = score_key_fields([field("total", total + "0"), field("issue_date", f"{year}-{month}-{day}")], truth)
    assert outcomes == {
        "total": FieldOutcome(expected=total, found=total + "0", correct=True),
        "issue_date": FieldOutcome(expected=f"{year}-{month}-{day}", found=f"{year}-{month}-{day}", correct=True),
    }


def test_an_invoice_record_list_scores_its_first_record() -> None:
    truth = truth_of("en_invoice_amazonwebservices.fields.json")
    assert isinstance(truth, list)
    first = truth[0]
    amount = Decimal(str(first["amount"]))
    found = [field("number", f" {first['invoice_number']} "), field("total", str(amount + 1))]
    outcomes = score_key_fields(found, [first, {"amount": float(amount + 1), "invoice_number": "other"}])
    assert set(outcomes) == {"number", "issue_date", "total"}
    assert outcomes["number"].correct and outcomes["number"].expected == first["invoice_number"]
    assert not outcomes["total"].correct and outcomes["total"].expected == str(amount)
    assert outcomes["issue_date"] == FieldOutcome(expected=str(first["date"]), found=None, correct=False)


@pytest.mark.parametrize(
    ("truth", "expected"),
    [
        ({"date": "18.04.2020", "total": "1.234,50"}, {"issue_date": "2020-04-18", "total": "1234.50"}),
        ({"date": "2014-08-03", "amount": 4.11}, {"issue_date": "2014-08-03", "total": "4.11"}),
        ({"total": "12.00", "amount": 3}, {"total": "12.00"}),
        (
            {"invoice_number": "RE 2024-17", "iban": "DE02 1203 0000 0000 2020 51"},
            {"number": "RE2024-17", "iban": "DE02120300000000202051"},
        ),
        ({"merchant": "aldi", "num_items": 11, "date": "not a date", "lines": []}, {}),
        ([], {}),
    ],
)
def test_ground_truth_shapes(truth: dict[str, object] | list[dict[str, object]], expected: dict[str, str]) -> None:
    assert expected_fields(truth) == expected


def test_numbers_compare_without_case_and_spaces() -> None:
    outcomes = score_key_fields([field("number", "re-2024 17")], {"invoice_number": "RE-2024-17"})
    assert not outcomes["number"].correct
    assert score_key_fields([field("number", "re -2024-17")], {"invoice_number": "RE-2024-17"})["number"].correct


def test_the_value_shown_is_the_most_confident_and_the_first_on_a_tie() -> None:
    found = [field("total", "5.00", 0.5), field("total", "8.83", 0.9), field("total", "9.99", 0.9)]
    assert best_values(found) == {"total": "8.83"}
    assert score_key_fields(found, {"total": "8,83"})["total"].correct


def test_an_unreadable_found_value_is_wrong_not_an_error() -> None:
    outcomes = score_key_fields(
        [field("issue_date", "18.04."), field("total", "n/a")], {"date": "18.04.2020", "total": "8,83"}
    )
    assert not any(outcome.correct for outcome in outcomes.values())


def test_the_table_sums_the_fields_per_group_and_engine() -> None:
    from ablage.cli.evaluate import _table
    from ablage.evaluation import DocumentScore

    def score(engine: str, document: str, correct: int | None, total: int | None) -> DocumentScore:
        return DocumentScore(engine, document, "receipt", 1, 1.0, None, None, correct, total, None)

    scores = [score("a", "x_receipt_1", 1, 2), score("a", "x_receipt_2", 2, 2), score("b", "x_receipt_1", None, None)]
    summary = next(chunk for chunk in _table(scores).split("\n\n") if chunk.startswith("group")).splitlines()
    assert summary[1].split()[:2] == ["receipt", "a"] and "3/4" in summary[1].split()
    assert summary[2].split()[:2] == ["receipt", "b"] and "–" in summary[2].split()
