"""The XML invoice a ZUGFeRD / Factur-X / XRechnung PDF carries as an attachment, found by ``factur-x``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import facturx

from ablage.invoices.fields import Invoice
from ablage.invoices.xml import read_invoice_xml, syntax_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedInvoice:
    filename: str
    xml: bytes
    invoice: Invoice


def embedded_invoice(pdf_path: Path) -> EmbeddedInvoice | None:
    """The PDF's invoice XML and its fields, or None when it carries none (or none that is an invoice)."""
    try:
        with pdf_path.open("rb") as stream:
            filename, xml = facturx.get_xml_from_pdf(stream, check_xsd=False)
    except Exception as exc:
        # factur-x reads the PDF with pypdf: an unusual PDF that pypdf refuses simply has no invoice here.
        log.info("%s: no embedded invoice read: %s", pdf_path.name, exc)
        return None
    if not xml or syntax_of(xml) is None:
        return None
    return EmbeddedInvoice(filename or "factur-x.xml", xml, read_invoice_xml(xml))
