"""Real OCR over HTTP: a real scan through the real engines of this install to every result format, on both
backends; and, embedded, a German letter through the synchronous endpoint and the document handling whose
correctness only real OCR shows (pages turned upright, EXIF orientation, OCR of a rendered PDF page against its
own text layer, engines by name at both prefixes)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import httpx
import pypdfium2 as pdfium
import pytest
from ablage.evaluation import word_f1
from PIL import Image

from tests.conftest import DOCUMENTS, ROBUSTNESS, ClientFactory, embedded_only
from tests.images import encode, load, multipage_tiff
from tests.jobs import run_job

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
INVOICE_TRUTH = (DOCUMENTS / "de_invoice_ferd_einfach.gt.txt").read_text(encoding="utf-8")
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
PHOTOTEST_TRUTH = (DOCUMENTS / "mixed_tesseract_phototest.gt.txt").read_text(encoding="utf-8")
BORN_DIGITAL = ROBUSTNESS / "zugferd_EN16931_Elektron.pdf"


async def result(client: httpx.AsyncClient, status: dict, fmt: str = "json") -> httpx.Response:
    response = await client.get(status["links"]["result"], params={"format": fmt})
    assert response.status_code == 200, response.text
    return response


@embedded_only  # each backend's real-OCR round trip is test_every_result_format
async def test_png_letter_sync_returns_german_text_words_and_markdown(
    ocr_client: httpx.AsyncClient, auto_engine: str
) -> None:
    response = await ocr_client.post("/api/v1/cpu", files={"file": ("letter.png", INVOICE.read_bytes())})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"]["name"] == auto_engine
    assert body["languages"] == ["de", "en"]
    assert word_f1(body["text"], INVOICE_TRUTH).f1 >= 0.95
    assert "Lieferantenstraße" in body["text"] and "München" in body["text"]
    page = body["pages"][0]
    assert (page["width"], page["height"], page["dpi"], page["source"]) == (2480, 3509, 300, "ocr")
    words = [w for block in page["blocks"] for line in block["lines"] for w in line["words"]]
    assert len(words) >= 0.9 * len(INVOICE_TRUTH.split())
    for word in words:
        x0, y0, x1, y1 = word["bbox"]
        assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
        assert 0 <= word["confidence"] <= 1
    assert "Handelsrechnung" in body["markdown"]


async def test_every_result_format(ocr_client: httpx.AsyncClient) -> None:
    status = await run_job(ocr_client, PHOTOTEST, filename="phototest.tif")
    assert status["status"] == "succeeded"
    data = (await result(ocr_client, status, "json")).json()
    text = (await result(ocr_client, status, "text")).text
    assert word_f1(text, PHOTOTEST_TRUTH).f1 >= 0.95
    assert "quick brown dog" in (await result(ocr_client, status, "markdown")).text
    words = [w["text"] for block in data["pages"][0]["blocks"] for line in block["lines"] for w in line["words"]]
    hocr = await result(ocr_client, status, "hocr")
    root = ET.fromstring(hocr.text.split("\n", 2)[2])
    assert [el.text for el in root.iter() if el.get("class") == "ocrx_word"] == words
    alto = ET.fromstring((await result(ocr_client, status, "alto")).content)
    strings = [el.get("CONTENT") for el in alto.iter("{http://www.loc.gov/standards/alto/ns-v4#}String")]
    assert " ".join(strings).split() == " ".join(data["text"].split()).split()
    document = pdfium.PdfDocument((await result(ocr_client, status, "pdf")).content)
    assert word_f1(document[0].get_textpage().get_text_range(), data["text"]).f1 >= 0.95
    document.close()
    thumbnail = await ocr_client.get(f"/api/v1/cpu/jobs/{status['id']}/thumbnail")
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 512


@embedded_only
async def test_multipage_tiff_with_a_rotated_page(ocr_client: httpx.AsyncClient) -> None:
    invoice = load(INVOICE)
    tiff = multipage_tiff([load(PHOTOTEST), invoice.rotate(90, expand=True), invoice])
    # Tesseract by name: the test is about turning pages upright, and it is the fastest real engine.
    status = await run_job(ocr_client, tiff, filename="scan.tiff", engine="tesseract")
    assert status["progress"] == {"pages_done": 3, "pages_total": 3}
    data = (await result(ocr_client, status)).json()
    assert [page["number"] for page in data["pages"]] == [1, 2, 3]
    rotated, upright = data["pages"][1], data["pages"][2]
    # The sideways page was turned upright before OCR: same geometry and the same text as the upright copy.
    assert (rotated["width"], rotated["height"]) == (upright["width"], upright["height"])
    page_texts = data["text"].split("\f")
    assert word_f1(page_texts[1], INVOICE_TRUTH).f1 >= 0.95
    assert word_f1(page_texts[0], PHOTOTEST_TRUTH).f1 >= 0.95


@embedded_only
async def test_exif_orientation_is_applied(client_for: ClientFactory) -> None:
    invoice = load(INVOICE)
    # Stored sideways with EXIF orientation 6 ("rotate 90° clockwise to display").
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = encode(invoice.rotate(90, expand=True), "JPEG", quality=90, exif=exif.tobytes())
    async with client_for(ocr={"detect_orientation": False, "enabled_engines": ["tesseract"]}) as client:
        status = await run_job(client, sideways, filename="photo.jpg")
        data = (await result(client, status)).json()
    assert data["pages"][0]["width"] == invoice.width
    assert word_f1(data["text"], INVOICE_TRUTH).f1 >= 0.9


@embedded_only
async def test_forced_ocr_of_a_pdf_page_matches_its_text_layer(ocr_client: httpx.AsyncClient) -> None:
    layer = await run_job(ocr_client, BORN_DIGITAL, filename="rechnung.pdf", pages="1")
    forced = await run_job(ocr_client, BORN_DIGITAL, filename="rechnung.pdf", force_ocr="true", pages="1")
    layer_data, forced_data = (await result(ocr_client, layer)).json(), (await result(ocr_client, forced)).json()
    assert [p["source"] for p in layer_data["pages"]] == ["text_layer"]
    assert [p["source"] for p in forced_data["pages"]] == ["ocr"]
    assert word_f1(forced_data["text"], layer_data["text"]).f1 >= 0.9


@embedded_only
async def test_both_prefixes_are_served_and_jobs_read_from_either(
    ocr_client: httpx.AsyncClient, auto_engine: str
) -> None:
    status = await run_job(ocr_client, PHOTOTEST, prefix="/api/v1/ocr", filename="a.tif")
    assert status["engine"] == auto_engine
    assert (await ocr_client.get(f"/api/v1/cpu/jobs/{status['id']}")).status_code == 200
    engines = {e["name"]: e for e in (await ocr_client.get("/api/v1/ocr/engines")).json()["engines"]}
    assert engines["tesseract"]["loaded"] and not engines["tesseract"]["preferred"]
    assert engines[auto_engine]["loaded"]
    # An engine asked for by name runs, whatever auto would pick.
    explicit = await run_job(ocr_client, PHOTOTEST, filename="a.tif", engine="tesseract")
    assert explicit["engine"] == "tesseract"
    found = (await ocr_client.get(explicit["links"]["result"])).json()
    assert found["engine"]["name"] == "tesseract" and found["pages"][0]["engine"] == "tesseract"
    assert word_f1(found["text"], PHOTOTEST_TRUTH).f1 >= 0.95
