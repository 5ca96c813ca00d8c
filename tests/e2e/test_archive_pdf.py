"""The job's searchable PDF is its archive copy: PDF/A-2b, checked structurally with pikepdf (veraPDF cannot be
installed here), scanned pages as image and invisible text, born-digital pages with their own content."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pikepdf
import pikepdf.pdfa
import pytest
from ablage.evaluation import word_f1

from tests.backends import unavailable
from tests.conftest import DOCUMENTS, ROBUSTNESS
from tests.images import image_pdf, load
from tests.jobs import run_job

INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
BORN_DIGITAL = ROBUSTNESS / "zugferd_EN16931_Elektron.pdf"

pytestmark = pytest.mark.anyio


def assert_pdfa(path: Path, part: str = "2") -> None:
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == part and meta["pdfaid:conformance"] == "B"
        assert not pdf.is_encrypted
        assert pdf.Root.OutputIntents[0].DestOutputProfile.N == 3
    report = pikepdf.pdfa.validate_written(path, f"{part}b")
    assert report.passed, report.findings


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        unavailable("pdftotext is not installed (Debian's poppler-utils)")
    command = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


async def fetch_pdf(client: httpx.AsyncClient, job: dict[str, object], target: Path) -> Path:
    links = job["links"]
    assert isinstance(links, dict)
    response = await client.get(links["result"], params={"format": "pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    target.write_bytes(response.content)
    return target


async def test_a_scanned_invoice_becomes_a_searchable_pdfa(ocr_client: httpx.AsyncClient, tmp_path: Path) -> None:
    job = await run_job(ocr_client, image_pdf([load(INVOICE)]), filename="scan.pdf", engine="tesseract")
    assert job["status"] == "succeeded", job
    target = await fetch_pdf(ocr_client, job, tmp_path / "archive.pdf")

    assert_pdfa(target)
    with pikepdf.open(target) as pdf:
        (page,) = pdf.pages
        (font,) = page.Resources.Font.values()
        assert font.Subtype == "/Type0" and "/ToUnicode" in font
        assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor
        (picture,) = page.Resources.XObject.values()
        # Black text on white: G4, a few tens of kB for an A4 page at 300 dpi.
        assert picture.Filter == "/CCITTFaxDecode"
    text = pdf_text(target)
    for word in ("Verkäufer", "Käufer", "München", "Geschäftsführer", "Kundenstraße"):
        assert word in text, word


async def test_a_born_digital_pdf_keeps_its_pages(client: httpx.AsyncClient, tmp_path: Path) -> None:
    job = await run_job(client, BORN_DIGITAL, filename="invoice.pdf")
    assert job["status"] == "succeeded", job
    target = await fetch_pdf(client, job, tmp_path / "archive.pdf")

    # This ZUGFeRD PDF carries its e-invoice XML, which its archive copy keeps: PDF/A-3b.
    assert_pdfa(target, part="3")
    with pikepdf.open(target) as pdf, pikepdf.open(BORN_DIGITAL) as original:
        assert len(pdf.pages) == len(original.pages)
        # The page's own vector content and fonts, not an image of it.
        page, source = pdf.pages[0], original.pages[0]
        assert page.Contents.read_bytes() == source.Contents.read_bytes()
        assert sorted(page.Resources.Font.keys()) == sorted(source.Resources.Font.keys())


async def test_the_archive_format_and_optimisation_are_chosen_per_job(
    ocr_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    scan = image_pdf([load(INVOICE)])
    default = await run_job(ocr_client, scan, filename="scan.pdf", engine="tesseract")
    plain = await run_job(ocr_client, scan, filename="scan.pdf", engine="tesseract", pdf_output="pdf", pdf_optimize="0")
    for job in (default, plain):
        assert job["status"] == "succeeded", job
    # Other archive options are other work: the second upload is not answered with the first one's result.
    assert plain["reused_result_of"] is None
    assert (plain["pdf_output"], plain["pdf_optimize"]) == ("pdf", 0)
    assert (default["pdf_output"], default["pdf_optimize"]) == ("auto", 1)

    result = (await ocr_client.get(plain["links"]["result"])).json()
    assert result["archive"]["format"] == "pdf" and result["archive"]["optimize"] == 0
    assert (await ocr_client.get(default["links"]["result"])).json()["archive"]["format"] == "pdfa-2b"
    target = await fetch_pdf(ocr_client, plain, tmp_path / "plain.pdf")
    with pikepdf.open(target) as pdf:
        assert "pdfaid:part" not in pdf.open_metadata() and "/OutputIntents" not in pdf.Root
        (picture,) = pdf.pages[0].Resources.XObject.values()
        # Lossless: the rendered page's grey as it was, no thresholding to black and white.
        assert picture.Filter == "/FlateDecode" and picture.ColorSpace == "/DeviceGray"
    assert "Kundenstraße" in pdf_text(target)


async def test_pdfa_2b_leaves_the_invoice_xml_out_and_says_so(client: httpx.AsyncClient, tmp_path: Path) -> None:
    job = await run_job(client, BORN_DIGITAL, filename="invoice.pdf", pdf_output="pdfa-2b")
    assert job["status"] == "succeeded", job
    result = (await client.get(job["links"]["result"])).json()
    archive = result["archive"]
    assert archive["format"] == "pdfa-2b" and archive["attachments"] == []
    assert any("PDF/A-2b cannot carry it" in note for note in archive["notes"])
    # The invoice itself is still read from the original's XML.
    assert result["invoice"]["source"] == "xml"
    target = await fetch_pdf(client, job, tmp_path / "archive.pdf")
    assert_pdfa(target, part="2")
    with pikepdf.open(target) as pdf:
        assert len(pdf.attachments) == 0


@pytest.mark.parametrize(
    "name", ["de_invoice_hetzner_2016.png", "de_invoice_mustang_499.png", "de_fraktur_kant1784_p0017.tif"]
)
async def test_the_archive_copy_gives_back_the_engines_words(
    ocr_client: httpx.AsyncClient, tmp_path: Path, name: str
) -> None:
    """pdftotext of the archive copy scores against the ground truth as the engine's own text does: every word,
    umlauts and ß included, is in the text layer, and nothing else."""
    source = DOCUMENTS / name
    truth = source.with_name(name.split(".")[0] + ".gt.txt").read_text(encoding="utf-8")
    job = await run_job(ocr_client, image_pdf([load(source)]), filename="scan.pdf", engine="tesseract")
    assert job["status"] == "succeeded", job
    text = (await ocr_client.get(job["links"]["result"], params={"format": "text"})).text
    archived = pdf_text(await fetch_pdf(ocr_client, job, tmp_path / "archive.pdf"))
    assert word_f1(archived, text).f1 >= 0.995
    assert word_f1(archived, truth).f1 >= word_f1(text, truth).f1 - 0.005
    assert set("äöüß") & set(archived) == set("äöüß") & set(text)
