"""Key invoice fields found in the recognised text of a scan: invoice number, issue and due date, the total,
IBAN (mod-97 checksum verified) and VAT id (format verified), each with its page, word boxes and a confidence.
Where the document also carries its XML, each is compared with what the XML says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ablage.amounts import parse_amount
from ablage.invoices.fields import FieldSource, Invoice, KeyField
from ablage.results.model import Page, Word

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "january", "jan"),
            ("februar", "february", "feb"),
            ("märz", "maerz", "march", "mar", "mär"),
            ("april", "apr"),
            ("mai", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("dezember", "december", "dez", "dec"),
        ),
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORD_DATE = re.compile(
    r"\b(\d{1,2})\.?\s+([A-Za-zäÄ]{3,9})\.?\s+(\d{4})\b|\b([A-Za-zäÄ]{3,9})\.?\s+(\d{1,2})\s*,\s*(\d{4})\b"
)
_AMOUNT = re.compile(r"(?<![\d.,])-?(\d{1,3}(?:[.\s]\d{3})*,\d{2}|\d{1,3}(?:,\d{3})*\.\d{2}|\d+[.,]\d{2})(?![\d.,])")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30})\b")
_VAT = re.compile(
    r"\b(DE\s?\d{3}\s?\d{3}\s?\d{3}|ATU\s?\d{8}|(?:FR|NL|BE|IT|ES|LU|PL|CZ|DK|SE|FI|IE|PT)[A-Z0-9]{8,12})\b"
)
_NUMBER_LABEL = re.compile(
    r"(rechnungs?[- ]?(?:nummer|nr\.?)|rechnung\s*(?:\(\d+\)\s*)?nr\.?|beleg[- ]?nr\.?"
    r"|invoice\s*(?:number|no\.?|#))\s*:?\s*",
    re.IGNORECASE,
)
_NUMBER_VALUE = re.compile(r"([A-Z0-9][A-Z0-9/_-]{2,}\d[A-Z0-9/_-]*|\d{3,}[A-Z0-9/_-]*)", re.IGNORECASE)
_ISSUE_LABEL = re.compile(r"rechnungsdatum|invoice date|datum|date|vom", re.IGNORECASE)
_DUE_LABEL = re.compile(r"fällig|faellig|zahlbar bis|due", re.IGNORECASE)
_TOTAL_LABEL = re.compile(
    r"gesamtbetrag|rechnungsbetrag|zahlbetrag|zu zahlen|endbetrag|summe|brutto|total|amount due", re.IGNORECASE
)
# How far a pattern alone can be trusted, before the words' own confidence: a checksum is near proof, a label
# next to a value good evidence, a value without one a guess.
_CHECKED, _LABELLED, _UNLABELLED = 1.0, 0.9, 0.6


@dataclass(frozen=True)
class _Line:
    page: int
    text: str
    words: list[Word]
    spans: list[tuple[int, int]]
    """Each word's character span in ``text``."""
    bbox: tuple[int, int, int, int]

    def beside(self, other: _Line) -> bool:
        """``other`` stands to the right on the same row: a label and its value read as two lines (receipts,
        tables, engines that split at wide gaps)."""
        if other.page != self.page or other is self or other.bbox[0] < self.bbox[2] - 5:
            return False
        overlap = min(self.bbox[3], other.bbox[3]) - max(self.bbox[1], other.bbox[1])
        return overlap >= 0.5 * min(self.bbox[3] - self.bbox[1], other.bbox[3] - other.bbox[1])

    def covering(self, start: int, end: int) -> list[Word]:
        return [word for word, (a, b) in zip(self.words, self.spans, strict=True) if a < end and b > start]


def _lines(pages: list[Page]) -> Iterator[_Line]:
    for page in pages:
        for line in page.lines():
            words = line.words or []
            text, spans = "", []
            for word in words:
                if text:
                    text += " "
                spans.append((len(text), len(text) + len(word.text)))
                text += word.text
            if text:
                yield _Line(page.number, text, list(words), spans, line.bbox)


def _field(name: str, value: str, line: _Line, start: int, end: int, trust: float) -> KeyField:
    words = line.covering(start, end)
    seen = sum(word.confidence for word in words) / len(words) if words else 0.0
    return KeyField(
        name=name,
        value=value,
        printed=line.text[start:end].strip(),
        source=FieldSource.ocr,
        page=line.page,
        boxes=[word.bbox for word in words],
        confidence=round(seen * trust, 3),
    )


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def _date_of(match: re.Match[str]) -> date | None:
    groups = match.groups()
    try:
        if match.re is _ISO_DATE:
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        if match.re is _NUMERIC_DATE:
            year = int(groups[2]) + (2000 if len(groups[2]) == 2 else 0)
            return date(year, int(groups[1]), int(groups[0]))
        if groups[0] is not None:
            month = _MONTHS.get(groups[1].lower())
            return date(int(groups[2]), month, int(groups[0])) if month else None
        month = _MONTHS.get(groups[3].lower())
        return date(int(groups[5]), month, int(groups[4])) if month else None
    except ValueError:
        return None


def _amount_of(printed: str) -> Decimal | None:
    return parse_amount(printed)


def _dates(lines: list[_Line]) -> list[KeyField]:
    found: list[KeyField] = []
    issue: KeyField | None = None
    for line in lines:
        for pattern in (_NUMERIC_DATE, _ISO_DATE, _WORD_DATE):
            for match in pattern.finditer(line.text):
                when = _date_of(match)
                if when is None:
                    continue
                before = line.text[: match.start()]
                if _DUE_LABEL.search(before):
                    found.append(_field("due_date", when.isoformat(), line, *match.span(), _LABELLED))
                elif _ISSUE_LABEL.search(before) and (issue is None or issue.confidence < _LABELLED * 0.5):
                    issue = _field("issue_date", when.isoformat(), line, *match.span(), _LABELLED)
                elif issue is None:
                    issue = _field("issue_date", when.isoformat(), line, *match.span(), _UNLABELLED)
    return ([issue] if issue is not None else []) + found[:1]


def _total(lines: list[_Line]) -> list[KeyField]:
    """The largest amount after a total's label, on its line or on the lines beside it."""
    best: tuple[Decimal, KeyField] | None = None
    for line in lines:
        label = _TOTAL_LABEL.search(line.text)
        if label is None:
            continue
        places = [(line, label.end())] + [(other, 0) for other in lines if line.beside(other)]
        for place, start in places:
            for match in _AMOUNT.finditer(place.text, start):
                amount = _amount_of(match.group(1))
                if amount is not None and (best is None or amount > best[0]):
                    best = (amount, _field("total", str(amount), place, *match.span(1), _LABELLED))
    return [best[1]] if best is not None else []


def _number(lines: list[_Line]) -> list[KeyField]:
    for line in lines:
        label = _NUMBER_LABEL.search(line.text)
        if label is None:
            continue
        places = [(line, label.end())] + [(other, 0) for other in lines if line.beside(other)]
        for place, start in places:
            value = _NUMBER_VALUE.match(place.text, start)
            if value is not None:
                return [_field("number", value.group(1), place, *value.span(1), _LABELLED)]
    return []


def _identifiers(lines: list[_Line]) -> list[KeyField]:
    found: list[KeyField] = []
    for line in lines:
        for match in _IBAN.finditer(line.text):
            compact = match.group(1).replace(" ", "")
            if iban_valid(compact) and not any(field.value == compact for field in found):
                found.append(_field("iban", compact, line, *match.span(1), _CHECKED))
        for match in _VAT.finditer(line.text):
            compact = match.group(1).replace(" ", "")
            if not any(field.value == compact for field in found):
                found.append(_field("vat_id", compact, line, *match.span(1), _LABELLED))
    return found


def _xml_value(invoice: Invoice, name: str) -> set[str]:
    totals = invoice.totals
    values: dict[str, set[str | None]] = {
        "number": {invoice.number},
        "issue_date": {invoice.issue_date.isoformat() if invoice.issue_date else None},
        "due_date": {invoice.due_date.isoformat() if invoice.due_date else None},
        "total": {str(amount.normalize()) for amount in (totals.gross, totals.payable) if amount is not None},
        "iban": set(invoice.ibans),
        "vat_id": {invoice.seller.vat_id, invoice.buyer.vat_id},
    }
    return {value for value in values.get(name, set()) if value}


def _from_xml(invoice: Invoice) -> list[KeyField]:
    named = {
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "total": str(invoice.totals.gross) if invoice.totals.gross is not None else None,
        "iban": invoice.ibans[0] if invoice.ibans else None,
        "vat_id": invoice.seller.vat_id,
    }
    return [
        KeyField(name=name, value=value, source=FieldSource.xml, confidence=1.0 if invoice.valid else 0.9)
        for name, value in named.items()
        if value
    ]


def find_key_fields(pages: list[Page], invoice: Invoice | None = None) -> list[KeyField]:
    """The key fields on the pages and, for a document that carries its XML, those of the XML; each field found
    on a page is then marked as matching the XML or not (a printed page that says otherwise than its XML)."""
    lines = list(_lines(pages))
    fields = [*_number(lines), *_dates(lines), *_total(lines), *_identifiers(lines)]
    if invoice is None:
        return fields
    for field in fields:
        expected = _xml_value(invoice, field.name)
        if expected:
            value = str(Decimal(field.value).normalize()) if field.name == "total" else field.value
            field.matches_xml = value in expected
    return fields + _from_xml(invoice)
