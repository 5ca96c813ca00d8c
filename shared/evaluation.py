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


def score_fields(text: str, fields: dict[str, object]) -> tuple[int, int]:
    """Key fields found verbatim: the total, and the date in any printed form."""
    found = total = 0
    amount = fields.get("total")
    if isinstance(amount, str):
        total += 1
        found += amount in text
    variants = fields.get("date_as_printed_variants")
    if isinstance(variants, list):
        total += 1
        found += any(variant in text for variant in variants)
    return found, total
