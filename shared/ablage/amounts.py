"""Money amounts as printed on German and English documents: ``1.234,56``, ``1,234.56``, ``8,83``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def parse_amount(printed: str) -> Decimal | None:
    """The amount, whichever decimal mark it uses: the mark is the last of comma and point; None if unreadable."""
    text = printed.replace(" ", "")
    if "," in text and text.rfind(",") > text.rfind("."):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None
