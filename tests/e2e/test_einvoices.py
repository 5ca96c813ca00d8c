"""What a PDF carries beyond its pages, on both backends: a ZUGFeRD / Factur-X invoice comes back in the result
JSON, read from its XML (a scan without XML has none); XRechnung XML is read without OCR; signatures and
permissions are reported, and the original stays byte-identical."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import httpx
import pikepdf
import pikepdf.pdfa
import pytest
from ablage.invoices.embedded import embedded_invoice
from ablage.storage.base import Area, Storage

from tests.conftest import DOCUMENTS
from tests.images import image_pdf, load
from tests.jobs import run_job, wait_for
from tests.pdf_variants import change_protected, signed

pytestmark = pytest.mark.anyio

EINVOICES = Path(__file__).parents[1] / "data" / "einvoices"


async def test_the_embedded_invoice_is_in_the_result(client: httpx.AsyncClient, tmp_path: Path) -> None:
    source = EINVOICES / "EN16931_Rabatte.pdf"
    job = await run_job(client, source, filename="rechnung.pdf")
    assert job["status"] == "succeeded", job
    invoice = (await client.get(job["links"]["result"])).json()["invoice"]
    expected = embedded_invoice(source)
    assert expected is not None
    assert invoice == expected.invoice.model_dump(mode="json")
    assert (invoice["number"], invoice["syntax"], invoice["source"], invoice["valid"]) == ("471102", "CII", "xml", True)
    assert Decimal(invoice["totals"]["payable"]) == Decimal("165.07")
    assert [line["rate"] for line in invoice["tax_breakdown"]] == ["7.00", "19.00"]

    # The archive copy keeps the XML that makes it an e-invoice: PDF/A-3b with the XML as associated file.
    archive = (await client.get(job["links"]["result"], params={"format": "pdf"})).content
    with pikepdf.open(io.BytesIO(archive)) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
        (spec,) = pdf.Root.AF
        assert spec.AFRelationship == "/Alternative" and str(spec.F) == expected.filename
        assert pdf.attachments[expected.filename].get_file().read_bytes() == expected.xml
    target = tmp_path / "archive.pdf"
    target.write_bytes(archive)
    report = pikepdf.pdfa.validate_written(target, "3b")
    assert report.passed, report.findings


async def test_a_scan_has_no_invoice(client: httpx.AsyncClient) -> None:
    job = await run_job(client, DOCUMENTS / "de_invoice_ferd_einfach.png")
    assert (await client.get(job["links"]["result"])).json()["invoice"] is None


@pytest.mark.parametrize("name", ["XRECHNUNG_Einfach.cii.xml", "EN16931_Einfach.ubl.xml"])
async def test_xrechnung_xml_uploads_are_read_without_ocr(client: httpx.AsyncClient, name: str) -> None:
    source = EINVOICES / name
    accepted = await client.post("/api/v1/cpu/jobs", files={"file": ("rechnung.xml", source.read_bytes())})
    assert accepted.status_code == 202, accepted.text
    job = await wait_for(client, accepted.headers["location"])
    assert (job["status"], job["engine"], job["document"]["content_type"]) == (
        "succeeded",
        "xml-invoice",
        "application/xml",
    )
    result = (await client.get(job["links"]["result"])).json()
    assert result["pages"] == [] and result["invoice"]["number"] == "471102"
    assert result["invoice"]["syntax"] == ("CII" if ".cii." in name else "UBL")
    assert Decimal(result["invoice"]["totals"]["payable"]) == Decimal("529.87")
    text = (await client.get(job["links"]["result"], params={"format": "text"})).text
    assert "471102" in text and "Lieferant GmbH" in text and "529.87 EUR" in text
    markdown = (await client.get(job["links"]["result"], params={"format": "markdown"})).text
    assert markdown.startswith("# Rechnung 471102") and "| Trennblätter A4 |" in markdown
    no_pdf = await client.get(job["links"]["result"], params={"format": "pdf"})
    assert no_pdf.status_code == 422
    engine = await client.post(
        "/api/v1/cpu/jobs", files={"file": ("r.xml", source.read_bytes())}, data={"engine": "tesseract"}
    )
    assert engine.status_code == 422


async def test_other_xml_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/cpu/jobs", files={"file": ("x.xml", b"<?xml version='1.0'?><note/>")})
    assert response.status_code == 415


async def test_signed_and_change_protected_pdfs(client: httpx.AsyncClient, storage: Storage) -> None:
    scan = image_pdf([load(DOCUMENTS / "de_invoice_ferd_einfach.png")])
    for upload, signatures, protected in ((signed(scan), 1, False), (change_protected(scan), 0, True)):
        job = await run_job(client, upload, filename="signiert.pdf")
        assert job["status"] == "succeeded", job
        original = (await client.get(job["links"]["result"])).json()["original"]
        assert (original["signed"], original["signatures"]) == (signatures > 0, signatures)
        assert (original["encrypted"], original["changes_allowed"]) == (protected, not protected)
        assert len(original["notes"]) == 1
        assert ("signature" in original["notes"][0]) is (signatures > 0)
        # The original is stored as uploaded; the archive copy is a new, unencrypted file of the OCR'd pages.
        assert storage.get_bytes(Area.originals, job["document"]["sha256"]) == upload
        archive = (await client.get(job["links"]["result"], params={"format": "pdf"})).content
        with pikepdf.open(io.BytesIO(archive)) as copy:
            assert not copy.is_encrypted and len(copy.pages) == 1
    plain = await run_job(client, scan)
    assert (await client.get(plain["links"]["result"])).json()["original"]["notes"] == []
