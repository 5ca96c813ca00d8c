"""An XML e-invoice as text and Markdown, for the result's ``text`` and ``markdown``: what a person reads on
the printed invoice, in its order (parties, number and dates, lines, taxes, totals)."""

from __future__ import annotations

from decimal import Decimal

from ablage.invoices.fields import Invoice, LineItem, Party


def _money(value: Decimal | None, currency: str | None) -> str:
    return "" if value is None else f"{value} {currency or ''}".strip()


def _party_lines(party: Party) -> list[str]:
    address = party.address
    place = " ".join(part for part in (address.postcode, address.city) if part)
    lines = [part for part in (party.name, address.street, place, address.country) if part]
    if party.vat_id:
        lines.append(f"USt-IdNr. {party.vat_id}")
    return lines


def _quantity(item: LineItem) -> str:
    return f"{item.quantity} {item.unit or ''}".strip() if item.quantity is not None else ""


def _totals(invoice: Invoice) -> list[tuple[str, str]]:
    totals, currency = invoice.totals, invoice.currency
    named = (("Netto", totals.net), ("USt", totals.tax), ("Brutto", totals.gross), ("Zahlbetrag", totals.payable))
    return [(label, _money(value, currency)) for label, value in named if value is not None]


def invoice_text(invoice: Invoice) -> str:
    currency = invoice.currency
    lines = [*_party_lines(invoice.seller), "", *_party_lines(invoice.buyer), ""]
    heading = f"Rechnung {invoice.number or ''}".strip()
    if invoice.issue_date:
        heading += f" vom {invoice.issue_date.isoformat()}"
    lines.append(heading)
    if invoice.due_date:
        lines.append(f"Fällig am {invoice.due_date.isoformat()}")
    lines.append("")
    for item in invoice.line_items:
        cells = (item.id, item.name, _quantity(item), _money(item.net_amount, currency))
        lines.append("  ".join(cell for cell in cells if cell))
    lines.append("")
    for tax in invoice.tax_breakdown:
        lines.append(f"USt {tax.rate} % auf {_money(tax.basis, currency)}: {_money(tax.amount, currency)}")
    lines += [f"{label}: {amount}" for label, amount in _totals(invoice)]
    if invoice.ibans:
        lines.append(f"IBAN: {', '.join(invoice.ibans)}")
    if invoice.payment_terms:
        lines.append(invoice.payment_terms)
    return "\n".join(lines).strip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def invoice_markdown(invoice: Invoice) -> str:
    currency = invoice.currency
    title = f"# Rechnung {invoice.number or ''}".strip()
    parts = [title, ""]
    if invoice.issue_date:
        parts += [f"Datum: {invoice.issue_date.isoformat()}", ""]
    parts += ["**Verkäufer:** " + ", ".join(_party_lines(invoice.seller)), ""]
    parts += ["**Käufer:** " + ", ".join(_party_lines(invoice.buyer)), ""]
    if invoice.line_items:
        parts += ["| Pos. | Bezeichnung | Menge | Netto |", "|---|---|---|---|"]
        for item in invoice.line_items:
            cells = (item.id or "", item.name or "", _quantity(item), _money(item.net_amount, currency))
            parts.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        parts.append("")
    parts += [f"- {label}: {amount}" for label, amount in _totals(invoice)]
    return "\n".join(parts).strip() + "\n"
