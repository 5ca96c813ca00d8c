"""OCR quality against ground truth: character error rate and order-insensitive word F1."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


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


@dataclass(frozen=True)
class DocumentScore:
    engine: str
    document: str
    group: str
    pages: int
    seconds: float
    cer: float | None
    word_f1: float | None
    fields_found: int | None
    fields_total: int | None


def document_group(name: str) -> str:
    """Corpus file names say what a document is: de_invoice_…, de_receipt_…, de_fraktur_…."""
    for group in ("fraktur", "receipt", "invoice"):
        if f"_{group}" in name:
            return group
    return "other"


def score_fields(text: str, fields: dict[str, object] | list[dict[str, object]]) -> tuple[int, int]:
    """Key fields found verbatim: totals and amounts (either decimal mark), invoice numbers, printed dates."""
    if isinstance(fields, list):  # some ground truth lists one record per invoice; a page holds the first
        fields = fields[0] if fields else {}
    checks: list[bool] = []
    for key in ("total", "invoice_number"):
        value = fields.get(key)
        if isinstance(value, str):
            checks.append(value in text)
    amount = fields.get("amount")
    if isinstance(amount, int | float):
        checks.append(f"{amount:.2f}" in text or f"{amount:.2f}".replace(".", ",") in text)
    variants = fields.get("date_as_printed_variants")
    if isinstance(variants, list):
        checks.append(any(variant in text for variant in variants))
    return sum(checks), len(checks)
