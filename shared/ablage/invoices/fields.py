"""The invoice fields of a result, named after what they mean; each carries the EN 16931 business term it
comes from in its description. Amounts are decimals (strings in JSON), never floats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

XML_READER = "xml-invoice"
"""What a job records as its engine when it reads an XML e-invoice: its fields come from the XML, not from OCR."""


class FieldSource(StrEnum):
    xml = "xml"
    ocr = "ocr"


class XmlSyntax(StrEnum):
    cii = "CII"
    ubl = "UBL"


class Address(BaseModel):
    street: str | None = Field(None, description="BT-35 / BT-50")
    postcode: str | None = Field(None, description="BT-38 / BT-53")
    city: str | None = Field(None, description="BT-37 / BT-52")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2, BT-40 / BT-55")


class Party(BaseModel):
    name: str | None = Field(None, description="BT-27 / BT-44")
    address: Address = Field(default_factory=Address)
    vat_id: str | None = Field(None, description="BT-31 / BT-48")
    tax_number: str | None = Field(None, description="the seller's tax registration (Steuernummer), BT-32")


class Totals(BaseModel):
    lines: Decimal | None = Field(None, description="sum of line net amounts, BT-106")
    allowances: Decimal | None = Field(None, description="document-level allowances, BT-107")
    charges: Decimal | None = Field(None, description="document-level charges, BT-108")
    net: Decimal | None = Field(None, description="total without VAT, BT-109")
    tax: Decimal | None = Field(None, description="VAT total, BT-110")
    gross: Decimal | None = Field(None, description="total with VAT, BT-112")
    prepaid: Decimal | None = Field(None, description="paid in advance, BT-113")
    payable: Decimal | None = Field(None, description="amount due, BT-115")


class TaxLine(BaseModel):
    category: str | None = Field(None, description="VAT category code (S, Z, E, AE…), BT-118")
    rate: Decimal | None = Field(None, description="percent, BT-119")
    basis: Decimal | None = Field(None, description="taxable amount, BT-116")
    amount: Decimal | None = Field(None, description="VAT amount, BT-117")


class LineItem(BaseModel):
    id: str | None = Field(None, description="BT-126")
    name: str | None = Field(None, description="BT-153")
    quantity: Decimal | None = Field(None, description="BT-129")
    unit: str | None = Field(None, description="UN/ECE rec. 20 code, BT-130")
    unit_price: Decimal | None = Field(None, description="net price per unit, BT-146")
    net_amount: Decimal | None = Field(None, description="BT-131")
    vat_category: str | None = Field(None, description="BT-151")
    vat_rate: Decimal | None = Field(None, description="percent, BT-152")


class Invoice(BaseModel):
    source: FieldSource = FieldSource.xml
    syntax: XmlSyntax | None = Field(None, description="the XML's syntax, for fields read from XML")
    specification: str | None = Field(None, description="the specification it claims, e.g. XRechnung 3.0, BT-24")
    valid: bool = Field(description="whether the XML is valid against its schema (XSD)")
    problems: list[str] = Field(default_factory=list, description="why it is not, when it is not")
    number: str | None = Field(None, description="BT-1")
    type_code: str | None = Field(None, description="UNTDID 1001: 380 invoice, 381 credit note, …; BT-3")
    issue_date: date | None = Field(None, description="BT-2")
    due_date: date | None = Field(None, description="BT-9")
    currency: str | None = Field(None, description="ISO 4217, BT-5")
    buyer_reference: str | None = Field(None, description="Leitweg-ID for German public buyers, BT-10")
    payment_terms: str | None = Field(None, description="BT-20")
    seller: Party = Field(default_factory=Party)
    buyer: Party = Field(default_factory=Party)
    totals: Totals = Field(default_factory=Totals)
    tax_breakdown: list[TaxLine] = Field(default_factory=list)
    ibans: list[str] = Field(default_factory=list, description="payment accounts, BT-84")
    line_items: list[LineItem] = Field(default_factory=list)


class KeyField(BaseModel):
    """One key field as found on the page (source ``ocr``) or in the XML (``xml``)."""

    name: str = Field(description="number, issue_date, due_date, total, iban or vat_id")
    value: str = Field(description="normalised: ISO dates, amounts with a decimal point, IBAN and VAT id unspaced")
    printed: str | None = Field(None, description="as it stands on the page")
    source: FieldSource
    page: int | None = Field(None, description="the page it was found on")
    boxes: list[tuple[int, int, int, int]] = Field(default_factory=list, description="its words' boxes (pixels)")
    confidence: float = Field(ge=0, le=1)
    matches_xml: bool | None = Field(None, description="for a field found on the page: whether the XML says the same")
