"""Whether a page's printed totals add up: the net amount and the VAT amounts against the gross total, as an
invoice states them. A sum that does not add up means an amount was misread (or the invoice is wrong): either way
a person should look."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from ablage.amounts import parse_amount

_AMOUNT = re.compile(r"(?<![\d.,])-?(\d{1,3}(?:[.\s]\d{3})*,\d{2}|\d{1,3}(?:,\d{3})*\.\d{2}|\d+[.,]\d{2})(?![\d.,%])")
_NET = re.compile(r"\b(netto|nettobetrag|nettosumme|zwischensumme|subtotal|net amount|total net)\b", re.IGNORECASE)
_TAX = re.compile(r"\b(ust|mwst|mehrwertsteuer|umsatzsteuer|vat|tax)\b", re.IGNORECASE)
# A tax number or VAT id is a label too, not an amount of tax.
_NOT_TAX = re.compile(r"ust[.-]*id|steuer-?nr|steuernummer|vat\s*(id|reg|no)|tax\s*(id|no)", re.IGNORECASE)
_GROSS = re.compile(
    r"\b(gesamtbetrag|rechnungsbetrag|bruttobetrag|brutto|zu zahlen|zahlbetrag|endbetrag|inkl\.?|total due|"
    r"amount due|grand total)\b",
    re.IGNORECASE,
)
_TOLERANCE = Decimal("0.011")


def _last_amount(text: str) -> Decimal | None:
    amounts = [parse_amount(match.group(1)) for match in _AMOUNT.finditer(text)]
    found = [amount for amount in amounts if amount is not None]
    return found[-1] if found else None


def totals_mismatch(lines: Sequence[str]) -> str | None:
    """The reason, where the page names one net amount, its VAT and a gross total that do not add up; None where
    they add up or the page does not name all three."""
    nets: set[Decimal] = set()
    taxes: set[Decimal] = set()
    grosses: set[Decimal] = set()
    for text in lines:
        amount = _last_amount(text)
        if amount is None:
            continue
        if _NET.search(text) and not _GROSS.search(text):
            nets.add(amount)
        elif _GROSS.search(text):
            grosses.add(amount)
        elif _TAX.search(text) and not _NOT_TAX.search(text):
            taxes.add(amount)
    if len(nets) != 1 or not taxes or len(grosses) != 1:
        return None
    net, gross = next(iter(nets)), next(iter(grosses))
    tax = sum(taxes, Decimal(0))
    if gross <= net or abs(net + tax - gross) <= _TOLERANCE:
        return None
    return f"the totals do not add up: net {net} + VAT {tax} is {net + tax}, the page says {gross}"
