"""OCR quality against ground truth: character error rate, order-insensitive word F1, and the key fields
extracted from the text against those a ``.fields.json`` states."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from rapidfuzz.distance import Levenshtein

from ablage.amounts import parse_amount


def normalise(text: str) -> str:
    """NFC and single spaces: layout whitespace is not what OCR quality is about."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(hypothesis: str, reference: str) -> float:
    reference = normalise(reference)
    if not reference:
        return 0.0 if not normalise(hypothesis) else 1.0
    return Levenshtein.distance(normalise(hypothesis), reference) / len(reference)


@dataclass(frozen=True)
class WordScore:
    precision: float
    recall: float
    f1: float


def word_f1(hypothesis: str, reference: str) -> WordScore:
    """Multiset overlap of words, for ground truth whose order is not the reading order."""
    hyp = Counter(normalise(hypothesis).split())
    ref = Counter(normalise(reference).split())
    common = sum((hyp & ref).values())
    precision = common / max(1, sum(hyp.values()))
    recall = common / max(1, sum(ref.values()))
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return WordScore(round(precision, 4), round(recall, 4), round(f1, 4))


class FoundField(Protocol):
    """A key field as the extractor reports it (``ablage.invoices.fields.KeyField``), without importing it."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True)
class FieldOutcome:
    expected: str
    found: str | None
    correct: bool


@dataclass(frozen=True)
class DocumentScore:
    engine: str
    document: str
    group: str
    pages: int
    seconds: float
    cer: float | None
    word_f1: float | None
    fields_correct: int | None
    fields_total: int | None
    fields: dict[str, FieldOutcome] | None
    flagged: bool = False
    """Whether any of its pages got a review flag."""
    review_score: float | None = None
    """The highest review score of its pages (share of doubtful words)."""


def document_group(name: str) -> str:
    """Corpus file names say what a document is: de_invoice_…, de_receipt_…, de_fraktur_…."""
    for group in ("fraktur", "receipt", "invoice"):
        if f"_{group}" in name:
            return group
    return "other"


GroundTruth = dict[str, object] | list[dict[str, object]]

# Ground-truth keys as the corpora name them, first one present wins, mapped to the extractor's field names.
_TRUTH_KEYS: dict[str, tuple[str, ...]] = {
    "number": ("number", "invoice_number"),
    "issue_date": ("issue_date", "date"),
    "due_date": ("due_date",),
    "total": ("total", "amount"),
    "iban": ("iban",),
    "vat_id": ("vat_id",),
}


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))  # str first: the float's binary expansion is not what was printed
    if not isinstance(value, str):
        return None
    return parse_amount(value)


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    for layout in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value.strip(), layout).date()
        except ValueError:
            continue
    return None


def _identifier(value: object) -> str | None:
    return "".join(value.split()) if isinstance(value, str) and value.strip() else None


def _canonical(name: str, value: object) -> object:
    """What two values of a field are compared as: amounts as decimals, dates as dates, the rest unspaced."""
    if name == "total":
        return _amount(value)
    if name in ("issue_date", "due_date"):
        return _date(value)
    identifier = _identifier(value)
    return identifier.casefold() if identifier else None


def _shown(name: str, value: object) -> str | None:
    canonical = _canonical(name, value)
    if isinstance(canonical, Decimal):
        return format(canonical, "f")
    if isinstance(canonical, date):
        return canonical.isoformat()
    return _identifier(value) if canonical is not None else None


def expected_fields(truth: GroundTruth) -> dict[str, str]:
    """The key fields a ground truth states, normalised as the extractor writes them; other keys are ignored."""
    if isinstance(truth, list):  # one record per invoice; a scan shows the first
        truth = truth[0] if truth else {}
    expected: dict[str, str] = {}
    for name, keys in _TRUTH_KEYS.items():
        present = next((truth[key] for key in keys if key in truth), None)
        shown = _shown(name, present)
        if shown is not None:
            expected[name] = shown
    return expected


def best_values(found: Iterable[FoundField]) -> dict[str, str]:
    """Per name, the value a reader is shown: the most confident, the first one on a tie."""
    best: dict[str, FoundField] = {}
    for field in found:
        if field.name not in best or field.confidence > best[field.name].confidence:
            best[field.name] = field
    return {name: field.value for name, field in best.items()}


def score_key_fields(found: Iterable[FoundField], truth: GroundTruth) -> dict[str, FieldOutcome]:
    """For each key field the ground truth states: what it says, what the extractor found, and whether they agree."""
    values = best_values(found)
    outcomes: dict[str, FieldOutcome] = {}
    for name, expected in expected_fields(truth).items():
        value = values.get(name)
        correct = value is not None and _canonical(name, value) == _canonical(name, expected)
        outcomes[name] = FieldOutcome(expected=expected, found=value, correct=correct)
    return outcomes
