"""The HTTP contract end to end: every input type, every result format, dedupe, delete."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pypdfium2 as pdfium
import pytest
from ablage.evaluation import word_f1
from ablage.storage.base import Area, Storage
from PIL import Image

from tests.conftest import DOCUMENTS, ROBUSTNESS
from tests.images import encode, image_pdf, load, multipage_tiff
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
INVOICE_TRUTH = (DOCUMENTS / "de_invoice_ferd_einfach.gt.txt").read_text(encoding="utf-8")
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
PHOTOTEST_TRUTH = (DOCUMENTS / "mixed_tesseract_phototest.gt.txt").read_text(encoding="utf-8")
BORN_DIGITAL = ROBUSTNESS / "zugferd_EN16931_Elektron.pdf"


async def result(client: httpx.AsyncClient, status: dict, fmt: str = "json") -> httpx.Response:
    response = await client.get(status["links"]["result"], params={"format": fmt})
    assert response.status_code == 200, response.text
    return response


async def test_png_letter_sync_returns_german_text_words_and_markdown(
    client: httpx.AsyncClient, auto_engine: str
) -> None:
    response = await client.post("/api/v1/cpu", files={"file": ("letter.png", INVOICE.read_bytes())})
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


async def test_every_result_format(client: httpx.AsyncClient) -> None:
    status = await run_job(client, PHOTOTEST, filename="phototest.tif")
    assert status["status"] == "succeeded"
    assert status["progress"] == {"pages_done": 1, "pages_total": 1}
    assert status["document"]["content_type"] == "image/tiff"

    data = (await result(client, status, "json")).json()
    assert data["id"] == status["id"]
    text = (await result(client, status, "text")).text
    assert word_f1(text, PHOTOTEST_TRUTH).f1 >= 0.95
    markdown = await result(client, status, "markdown")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "quick brown dog" in markdown.text
    hocr = await result(client, status, "hocr")
    root = ET.fromstring(hocr.text.split("\n", 2)[2])
    words = [el for el in root.iter() if el.get("class") == "ocrx_word"]
    assert len(words) == len(data["pages"][0]["blocks"][0]["lines"][0]["words"]) + sum(
        len(line["words"]) for block in data["pages"][0]["blocks"] for line in block["lines"][1:]
    ) + sum(len(line["words"]) for block in data["pages"][0]["blocks"][1:] for line in block["lines"][:1])
    alto = ET.fromstring((await result(client, status, "alto")).content)
    strings = [el.get("CONTENT") for el in alto.iter("{http://www.loc.gov/standards/alto/ns-v4#}String")]
    assert " ".join(strings).split() == " ".join(data["text"].split()).split()
    pdf = await result(client, status, "pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(pdf.content)
    assert len(document) == 1
    width, height = document[0].get_size()
    page = data["pages"][0]
    assert (round(width), round(height)) == (
        round(page["width"] * 72 / page["dpi"]),
        round(page["height"] * 72 / page["dpi"]),
    )
    searchable_text = document[0].get_textpage().get_text_range()
    assert word_f1(searchable_text, data["text"]).f1 >= 0.95
    document.close()
    thumbnail = await client.get(f"/api/v1/cpu/jobs/{status['id']}/thumbnail")
    assert thumbnail.headers["content-type"] == "image/webp"
    assert max(Image.open(__import__("io").BytesIO(thumbnail.content)).size) <= 512


async def test_jpeg_receipt(client: httpx.AsyncClient) -> None:
    receipt = DOCUMENTS / "de_receipt_aldi_18042020_11_00883.jpg"
    fields = json.loads(receipt.with_name(receipt.stem + ".fields.json").read_text())
    status = await run_job(client, receipt, filename="receipt.jpg")
    assert status["document"]["content_type"] == "image/jpeg"
    text = (await result(client, status, "text")).text
    assert "Paderborn" in text and "Vielen Dank für Ihren Einkauf" in text
    assert any(variant in text for variant in fields["date_as_printed_variants"])


async def test_multipage_tiff_with_a_rotated_page(client: httpx.AsyncClient) -> None:
    invoice = load(INVOICE)
    tiff = multipage_tiff([load(PHOTOTEST), invoice.rotate(90, expand=True), invoice])
    status = await run_job(client, tiff, filename="scan.tiff")
    assert status["progress"] == {"pages_done": 3, "pages_total": 3}
    data = (await result(client, status)).json()
    assert [page["number"] for page in data["pages"]] == [1, 2, 3]
    rotated, upright = data["pages"][1], data["pages"][2]
    # The sideways page was turned upright before OCR: same geometry and the same text as the upright copy.
    assert (rotated["width"], rotated["height"]) == (upright["width"], upright["height"])
    page_texts = data["text"].split("\f")
    assert word_f1(page_texts[1], INVOICE_TRUTH).f1 >= 0.95
    assert word_f1(page_texts[0], PHOTOTEST_TRUTH).f1 >= 0.95


async def test_exif_orientation_is_applied(client_for) -> None:
    invoice = load(INVOICE)
    # Stored sideways with EXIF orientation 6 ("rotate 90° clockwise to display").
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = encode(invoice.rotate(90, expand=True), "JPEG", quality=90, exif=exif.tobytes())
    async with client_for(ocr={"detect_orientation": False}) as client:
        status = await run_job(client, sideways, filename="photo.jpg")
        data = (await result(client, status)).json()
    assert data["pages"][0]["width"] == invoice.width
    assert word_f1(data["text"], INVOICE_TRUTH).f1 >= 0.9


async def test_scanned_pdf_is_ocrd_and_pages_are_honoured(client: httpx.AsyncClient) -> None:
    pdf = image_pdf([load(PHOTOTEST), load(INVOICE), load(PHOTOTEST)])
    status = await run_job(client, pdf, filename="scan.pdf", pages="2-3")
    assert status["document"] | {"sha256": None} == {
        "sha256": None,
        "filename": "scan.pdf",
        "content_type": "application/pdf",
        "size": len(pdf),
        "pages": 3,
    }
    data = (await result(client, status)).json()
    assert [(p["number"], p["source"], p["dpi"]) for p in data["pages"]] == [(2, "ocr", 300), (3, "ocr", 300)]
    texts = data["text"].split("\f")
    assert word_f1(texts[0], INVOICE_TRUTH).f1 >= 0.95
    assert word_f1(texts[1], PHOTOTEST_TRUTH).f1 >= 0.95


async def test_born_digital_pdf_reads_the_text_layer_unless_forced(client: httpx.AsyncClient) -> None:
    status = await run_job(client, BORN_DIGITAL, filename="rechnung.pdf")
    data = (await result(client, status)).json()
    assert [p["source"] for p in data["pages"]] == ["text_layer"] * 3
    assert all(p["engine"] == "pdf-text-layer" for p in data["pages"])
    assert "ELEKTRON Industrieservice GmbH" in data["text"]
    assert "## Baurechnung (204) Nr. 181301674 vom 25.04.2018" in data["markdown"]

    searchable = pdfium.PdfDocument((await result(client, status, "pdf")).content)
    original = pdfium.PdfDocument(BORN_DIGITAL)
    # Text-layer pages are the original pages, copied unchanged.
    assert len(searchable) == 3
    assert searchable[1].get_textpage().get_text_range() == original[1].get_textpage().get_text_range()
    searchable.close()
    original.close()

    forced = await run_job(client, BORN_DIGITAL, filename="rechnung.pdf", force_ocr="true", pages="1")
    forced_data = (await result(client, forced)).json()
    assert [p["source"] for p in forced_data["pages"]] == ["ocr"]
    layer_page_1 = data["text"].split("\f")[0]
    assert word_f1(forced_data["text"], layer_page_1).f1 >= 0.9


async def test_same_upload_reuses_original_and_result(client: httpx.AsyncClient) -> None:
    first = await submit(client, PHOTOTEST, filename="a.tif")
    assert first.json()["deduplicated"] == {"original": False, "result": False}
    first_status = await wait_for(client, first.headers["location"])
    again = await submit(client, PHOTOTEST, filename="b.tif")
    assert again.status_code == 202
    assert again.json()["deduplicated"] == {"original": True, "result": True}
    assert again.json()["status"] == "succeeded"
    second_status = (await client.get(again.headers["location"])).json()
    assert second_status["reused_result_of"] == first_status["id"]
    assert (await result(client, second_status, "text")).text == (await result(client, first_status, "text")).text
    assert (await result(client, second_status)).json()["id"] == second_status["id"]
    other_options = await submit(client, PHOTOTEST, filename="c.tif", languages="en")
    assert other_options.json()["deduplicated"] == {"original": True, "result": False}
    await wait_for(client, other_options.headers["location"])


async def test_delete_removes_job_and_artifacts(client: httpx.AsyncClient, storage: Storage) -> None:
    status = await run_job(client, PHOTOTEST, filename="a.tif")
    sha = status["document"]["sha256"]
    assert storage.exists(Area.originals, sha) and storage.exists(Area.processed, f"{status['id']}/result.json")
    assert storage.exists(Area.thumbnails, f"{sha}/page-1.webp")
    deleted = await client.delete(status["links"]["self"])
    assert deleted.status_code == 204
    gone = await client.get(status["links"]["self"])
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert not storage.exists(Area.originals, sha)
    assert not storage.exists(Area.processed, f"{status['id']}/result.json")
    assert not storage.exists(Area.thumbnails, f"{sha}/page-1.webp")
    assert (await client.delete(status["links"]["self"])).status_code == 404


async def test_delete_keeps_an_original_other_jobs_use(client: httpx.AsyncClient, storage: Storage) -> None:
    first = await run_job(client, PHOTOTEST, filename="a.tif")
    second = await run_job(client, PHOTOTEST, filename="a.tif", languages="en")
    assert (await client.delete(first["links"]["self"])).status_code == 204
    assert (await result(client, second, "text")).text.strip()
    assert storage.exists(Area.originals, second["document"]["sha256"])


async def test_result_is_409_until_finished_and_404_for_unknown(client: httpx.AsyncClient) -> None:
    response = await submit(client, INVOICE, filename="a.png")
    early = await client.get(response.json()["links"]["result"])
    if early.status_code != 200:  # the worker may already be done on a fast machine
        assert early.status_code == 409
        assert early.json()["type"] == "/problems/result-not-ready"
    await wait_for(client, response.headers["location"])
    unknown = await client.get("/api/v1/cpu/jobs/00000000-0000-0000-0000-000000000000/result")
    assert unknown.status_code == 404
    assert unknown.json()["status"] == 404


async def test_both_prefixes_are_served_and_jobs_read_from_either(client: httpx.AsyncClient, auto_engine: str) -> None:
    status = await run_job(client, PHOTOTEST, prefix="/api/v1/ocr", filename="a.tif")
    assert status["engine"] == auto_engine
    assert (await client.get(f"/api/v1/cpu/jobs/{status['id']}")).status_code == 200
    engines = {e["name"]: e for e in (await client.get("/api/v1/ocr/engines")).json()["engines"]}
    assert engines["tesseract"]["loaded"] and not engines["tesseract"]["preferred"]
    assert engines[auto_engine]["loaded"]
    # An engine asked for by name runs, whatever auto would pick.
    explicit = await run_job(client, PHOTOTEST, filename="a.tif", engine="tesseract")
    assert explicit["engine"] == "tesseract"
    result = (await client.get(explicit["links"]["result"])).json()
    assert result["engine"]["name"] == "tesseract" and result["pages"][0]["engine"] == "tesseract"


async def test_health_ready_metrics_docs(client: httpx.AsyncClient, auto_engine: str) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == checks["storage"]["status"] == "ok"
    assert "none implemented yet" in checks["services"]["ocr"]["detail"]
    await run_job(client, PHOTOTEST, filename="a.tif")
    metrics = (await client.get("/metrics")).text
    for name in (
        "ablage_http_requests_total",
        "ablage_http_request_duration_seconds_bucket",
        'ablage_jobs_total{status="succeeded"}',
        f'ablage_pages_total{{engine="{auto_engine}",source="ocr"}}',
        "ablage_job_processing_seconds_bucket",
        "ablage_queue_depth",
    ):
        assert name in metrics, name
    assert 'route="/api/v1/cpu/jobs/{job_id}"' in metrics
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert {"/api/v1/cpu/jobs", "/api/v1/ocr/jobs/{job_id}/result", "/api/v1/cpu"} <= set(spec["paths"])
