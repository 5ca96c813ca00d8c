"""E-invoices read from their XML (CII and UBL, plain or embedded in a PDF): the fields equal what the XML
says, read here independently with XPath; an XML off its schema is read and flagged; hostile XML is refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from ablage.errors import InvalidDocument
from ablage.invoices.embedded import embedded_invoice
from ablage.invoices.fields import Invoice, XmlSyntax
from ablage.invoices.xml import read_invoice_xml, syntax_of
from lxml import etree

DATA = Path(__file__).parents[1] / "data"
EINVOICES = DATA / "einvoices"
PDFS = [
    EINVOICES / "EN16931_Einfach.pdf",
    EINVOICES / "EN16931_Rabatte.pdf",
    DATA / "robustness" / "zugferd_EN16931_Elektron.pdf",
]
XMLS = [
    EINVOICES / "XRECHNUNG_Einfach.cii.xml",
    EINVOICES / "EN16931_Einfach.ubl.xml",
    EINVOICES / "EN16931_Rabatte.ubl.xml",
]

_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_CII = {
    "number": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID",
    "type_code": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode",
    "issue_date": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
    "currency": "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode",
    "seller": "//ram:SellerTradeParty/ram:Name",
    "seller_vat": "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
    "buyer": "//ram:BuyerTradeParty/ram:Name",
    "net": "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxBasisTotalAmount",
    "gross": "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount",
    "payable": "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount",
    "lines": "//ram:IncludedSupplyChainTradeLineItem",
}
_UBL = {
    "number": "/ubl:Invoice/cbc:ID",
    "type_code": "/ubl:Invoice/cbc:InvoiceTypeCode",
    "issue_date": "/ubl:Invoice/cbc:IssueDate",
    "currency": "/ubl:Invoice/cbc:DocumentCurrencyCode",
    "seller": "//cac:AccountingSupplierParty//cac:PartyLegalEntity/cbc:RegistrationName",
    "seller_vat": "//cac:AccountingSupplierParty//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
    "buyer": "//cac:AccountingCustomerParty//cac:PartyLegalEntity/cbc:RegistrationName",
    "net": "//cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
    "gross": "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    "payable": "//cac:LegalMonetaryTotal/cbc:PayableAmount",
    "lines": "//cac:InvoiceLine",
}


def what_the_xml_says(xml: bytes) -> dict[str, object]:
    root = etree.fromstring(xml)
    paths = _CII if etree.QName(root).localname == "CrossIndustryInvoice" else _UBL

    def text(name: str) -> str:
        found = root.xpath(paths[name], namespaces=_NS)
        assert found, f"{name} not in the XML"
        return str(found[0].text).strip()

    issue = text("issue_date")
    return {
        "number": text("number"),
        "type_code": text("type_code"),
        "issue_date": issue if "-" in issue else f"{issue[:4]}-{issue[4:6]}-{issue[6:]}",
        "currency": text("currency"),
        "seller": text("seller"),
        "seller_vat": text("seller_vat"),
        "buyer": text("buyer"),
        "net": Decimal(text("net")),
        "gross": Decimal(text("gross")),
        "payable": Decimal(text("payable")),
        "lines": len(root.xpath(paths["lines"], namespaces=_NS)),
    }


def what_was_read(invoice: Invoice) -> dict[str, object]:
    return {
        "number": invoice.number,
        "type_code": invoice.type_code,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "currency": invoice.currency,
        "seller": invoice.seller.name,
        "seller_vat": invoice.seller.vat_id,
        "buyer": invoice.buyer.name,
        "net": invoice.totals.net,
        "gross": invoice.totals.gross,
        "payable": invoice.totals.payable,
        "lines": len(invoice.line_items),
    }


@pytest.mark.parametrize("path", XMLS, ids=lambda path: path.name)
def test_plain_xml_invoices(path: Path) -> None:
    xml = path.read_bytes()
    invoice = read_invoice_xml(xml)
    assert invoice.valid, invoice.problems
    assert invoice.syntax is (XmlSyntax.cii if ".cii." in path.name else XmlSyntax.ubl)
    assert what_was_read(invoice) == what_the_xml_says(xml)
    # The tax breakdown adds up to the VAT total, and each line has its amount.
    assert sum(line.amount or 0 for line in invoice.tax_breakdown) == invoice.totals.tax
    assert all(item.net_amount is not None and item.name for item in invoice.line_items)


@pytest.mark.parametrize("path", PDFS, ids=lambda path: path.name)
def test_invoices_embedded_in_pdfs(path: Path) -> None:
    found = embedded_invoice(path)
    assert found is not None
    assert found.filename.endswith(".xml") and found.invoice.valid, found.invoice.problems
    assert what_was_read(found.invoice) == what_the_xml_says(found.xml)


def test_a_pdf_without_an_invoice_has_none() -> None:
    assert embedded_invoice(DATA / "robustness" / "ocrmypdf_ccitt.pdf") is None


def test_an_invoice_off_its_schema_is_read_and_flagged() -> None:
    xml = XMLS[0].read_bytes().replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:Bogus>380</ram:Bogus>", 1)
    invoice = read_invoice_xml(xml)
    assert not invoice.valid and "schema" in invoice.problems[0]
    assert invoice.number == "471102"


@pytest.mark.parametrize(
    "xml",
    [
        b"<html><body>no invoice</body></html>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:'
        b'xsd:Invoice-2">&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;</Invoice>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&x;</ID></Invoice>',
    ],
    ids=["html", "not-xml", "entity-bomb", "external-entity"],
)
def test_other_and_hostile_xml_is_refused_or_unexpanded(xml: bytes) -> None:
    if syntax_of(xml) is None:
        with pytest.raises(InvalidDocument):
            read_invoice_xml(xml)
        return
    try:
        invoice = read_invoice_xml(xml)
    except InvalidDocument:
        return
    assert "root:" not in (invoice.number or "") and len(invoice.model_dump_json()) < 10_000
