"""XML invoices (CII as in ZUGFeRD / Factur-X / XRechnung, and UBL) parsed by the ``factur-x`` library into
EN 16931 business terms, then named as ``Invoice`` fields. Validation against the XSD is factur-x's too."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.metadata import version
from typing import Any

import facturx
from lxml import etree

from ablage.errors import InvalidDocument
from ablage.invoices.fields import Address, Invoice, LineItem, Party, TaxLine, Totals, XmlSyntax

log = logging.getLogger(__name__)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_UBL_ROOTS = ("Invoice", "CreditNote")
_CII_ROOT = "CrossIndustryInvoice"
INVOICE_ROOTS = frozenset({*_UBL_ROOTS, _CII_ROOT})
XML_READER_VERSION = f"factur-x {version('factur-x')}"


def _root(xml: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return None


def syntax_of(xml: bytes) -> XmlSyntax | None:
    """CII or UBL by the root element; None for any other XML (or none)."""
    root = _root(xml)
    if root is None:
        return None
    name = etree.QName(root).localname
    if name == _CII_ROOT:
        return XmlSyntax.cii
    if name in _UBL_ROOTS:
        return XmlSyntax.ubl
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _amount(value: Any) -> Decimal | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _party(terms: dict[str, Any] | None) -> Party:
    terms = terms or {}
    return Party(
        name=_text(terms.get("name")),
        address=Address(
            street=_text(terms.get("addr_l1")),
            postcode=_text(terms.get("postcode")),
            city=_text(terms.get("city")),
            country=_text(terms.get("country_code")),
        ),
        vat_id=_text(terms.get("vat_identifier")),
        tax_number=_text(terms.get("tax_identifier")),
    )


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def invoice_from_terms(terms: dict[str, Any], syntax: XmlSyntax, valid: bool, problems: list[str]) -> Invoice:
    return Invoice(
        syntax=syntax,
        specification=_text(terms.get("BT-24")),
        valid=valid,
        problems=problems,
        number=_text(terms.get("BT-1")),
        type_code=_text(terms.get("BT-3")),
        issue_date=_date(terms.get("BT-2")),
        due_date=_date(terms.get("BT-9")),
        currency=_text(terms.get("BT-5")),
        buyer_reference=_text(terms.get("BT-10")),
        payment_terms=_text(terms.get("BT-20")),
        seller=_party(terms.get("BG-4")),
        buyer=_party(terms.get("BG-7")),
        totals=Totals(
            lines=_amount(terms.get("BT-106")),
            allowances=_amount(terms.get("BT-107")),
            charges=_amount(terms.get("BT-108")),
            net=_amount(terms.get("BT-109")),
            tax=_amount(terms.get("BT-110")),
            gross=_amount(terms.get("BT-112")),
            prepaid=_amount(terms.get("BT-113")),
            payable=_amount(terms.get("BT-115")),
        ),
        tax_breakdown=[
            TaxLine(
                category=_text(row.get("BT-118")),
                rate=_amount(row.get("BT-119")),
                basis=_amount(row.get("BT-116")),
                amount=_amount(row.get("BT-117")),
            )
            for row in _listed(terms.get("BG-23"))
        ],
        ibans=[iban for iban in (_text(value) for value in _listed(terms.get("BT-84"))) if iban],
        line_items=[
            LineItem(
                id=_text(row.get("BT-126")),
                name=_text(row.get("BT-153")),
                quantity=_amount(row.get("BT-129")),
                unit=_text(row.get("BT-130")),
                unit_price=_amount(row.get("BT-146")),
                net_amount=_amount(row.get("BT-131")),
                vat_category=_text(row.get("BT-151")),
                vat_rate=_amount(row.get("BT-152")),
            )
            for row in _listed(terms.get("BG-25"))
        ],
    )


def read_invoice_xml(xml: bytes) -> Invoice:
    """The invoice in ``xml``. An XML that is CII or UBL but not valid against its schema is still read, with
    ``valid`` false and the reason; one that is neither, or cannot be read at all, is an InvalidDocument."""
    syntax = syntax_of(xml)
    root = _root(xml)
    if syntax is None or root is None:
        raise InvalidDocument("the XML is neither a CII (ZUGFeRD, Factur-X, XRechnung) nor a UBL invoice")
    # What factur-x parses is the tree as read here, without entities expanded or a DTD: no external fetches,
    # no entity bombs, whatever parser it uses itself.
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    problems: list[str] = []
    try:
        facturx.xml_check_xsd(xml)
    except Exception as exc:  # factur-x raises plain Exception with the validator's message
        problems.append(f"not valid against the {syntax.value} schema: {exc}"[:500])
    try:
        terms = facturx.parse_ubl_cii_xml(xml, float_as="string", date_as="date", check_xsd=False)
    except Exception as exc:
        log.info("invoice XML not parsed: %s", exc)
        raise InvalidDocument(f"the {syntax.value} invoice cannot be read: {exc}"[:500]) from None
    return invoice_from_terms(terms, syntax, not problems, problems)
