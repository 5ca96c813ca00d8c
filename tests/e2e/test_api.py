"""The HTTP contract on the deterministic test engine: every result format, page selection, text layers,
dedupe, delete, 409 until finished, probes and metrics. Real OCR over HTTP is in test_ocr_smoke.py."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import anyio
import httpx
import pypdfium2 as pdfium
import pytest
from ablage.storage.base import Area, Storage
from PIL import Image

from tests.conftest import DOCUMENTS, ROBUSTNESS, embedded_only
from tests.fakes.engines import FAKE, FAKE_HELD, expected_text, held_pages
from tests.images import image_pdf, load, multipage_tiff, text_image
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
BORN_DIGITAL = ROBUSTNESS / "zugferd_EN16931_Elektron.pdf"


async def result(client: httpx.AsyncClient, status: dict, fmt: str = "json") -> httpx.Response:
    response = await client.get(status["links"]["result"], params={"format": fmt})
    assert response.status_code == 200, response.text
    return response


async def test_sync_upload_returns_the_engines_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/cpu", files={"file": ("letter.png", INVOICE.read_bytes())})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"]["name"] == FAKE
    assert body["languages"] == ["de", "en"]
    assert body["text"].strip() == expected_text(Image.open(INVOICE))
    page = body["pages"][0]
    assert (page["width"], page["height"], page["dpi"], page["source"], page["engine"]) == (
        2480,
        3509,
        300,
        "ocr",
        FAKE,
    )
    words = [w for block in page["blocks"] for line in block["lines"] for w in line["words"]]
    assert [w["text"] for w in words] == body["text"].split()
    for word in words:
        x0, y0, x1, y1 = word["bbox"]
        assert 0 <= x0 <= x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
    assert response.headers["location"].startswith("/api/v1/cpu/jobs/")


async def test_every_result_format(client: httpx.AsyncClient) -> None:
    status = await run_job(client, PHOTOTEST, filename="phototest.tif")
    assert status["status"] == "succeeded"
    assert status["progress"] == {"pages_done": 1, "pages_total": 1}
    assert status["document"]["content_type"] == "image/tiff"

    data = (await result(client, status, "json")).json()
    assert data["id"] == status["id"]
    words = [w["text"] for block in data["pages"][0]["blocks"] for line in block["lines"] for w in line["words"]]
    text = (await result(client, status, "text")).text
    assert text.strip() == expected_text(Image.open(PHOTOTEST)) == data["text"].strip()
    markdown = await result(client, status, "markdown")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.split() == words
    hocr = await result(client, status, "hocr")
    root = ET.fromstring(hocr.text.split("\n", 2)[2])
    assert [el.text for el in root.iter() if el.get("class") == "ocrx_word"] == words
    alto = ET.fromstring((await result(client, status, "alto")).content)
    assert [el.get("CONTENT") for el in alto.iter("{http://www.loc.gov/standards/alto/ns-v4#}String")] == words
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
    assert document[0].get_textpage().get_text_range().split() == words
    document.close()
    thumbnail = await client.get(f"/api/v1/cpu/jobs/{status['id']}/thumbnail")
    assert thumbnail.headers["content-type"] == "image/webp"
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 512


@embedded_only
async def test_jpeg_is_decoded_as_sent(client: httpx.AsyncClient) -> None:
    receipt = DOCUMENTS / "de_receipt_aldi_18042020_11_00883.jpg"
    status = await run_job(client, receipt, filename="receipt.jpg")
    assert status["document"]["content_type"] == "image/jpeg"
    assert (await result(client, status, "text")).text.strip() == expected_text(Image.open(receipt))


@embedded_only
async def test_multipage_tiff_pages_in_order(client: httpx.AsyncClient) -> None:
    pages = [load(PHOTOTEST), text_image("Seite zwei"), load(INVOICE).reduce(2)]
    status = await run_job(client, multipage_tiff(pages), filename="a.tiff")
    assert status["progress"] == {"pages_done": 3, "pages_total": 3}
    data = (await result(client, status)).json()
    assert [page["number"] for page in data["pages"]] == [1, 2, 3]
    assert data["text"] == "\f".join(expected_text(image, number) for number, image in enumerate(pages, 1)) + "\n"


@embedded_only
async def test_scanned_pdf_is_rendered_and_pages_are_honoured(client: httpx.AsyncClient) -> None:
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
    assert [(p["number"], p["source"], p["dpi"], p["engine"]) for p in data["pages"]] == [
        (2, "ocr", 300, FAKE),
        (3, "ocr", 300, FAKE),
    ]
    second, third = data["text"].split("\f")
    assert second.startswith("Seite 2 ") and third.startswith("Seite 3 ")
    assert second.split()[-1] != third.split()[-1]  # two different pages reached the engine


@embedded_only
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
    assert [(p["source"], p["engine"]) for p in forced_data["pages"]] == [("ocr", FAKE)]


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
    assert (await wait_for(client, other_options.headers["location"]))["status"] == "succeeded"


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
    assert (await result(client, second, "text")).text.strip() == expected_text(Image.open(PHOTOTEST))
    assert storage.exists(Area.originals, second["document"]["sha256"])


async def test_result_is_409_until_finished_and_404_for_unknown(client: httpx.AsyncClient) -> None:
    with held_pages() as gate:
        response = await submit(client, PHOTOTEST, filename="a.tif", engine=FAKE_HELD)
        assert response.status_code == 202, response.text
        assert await anyio.to_thread.run_sync(gate.entered.wait, 60), "no worker took the job"
        assert (await client.get(response.headers["location"])).json()["status"] == "running"
        early = await client.get(response.json()["links"]["result"])
        assert early.status_code == 409
        assert early.json()["type"] == "/problems/result-not-ready"
    status = await wait_for(client, response.headers["location"])
    assert status["status"] == "succeeded"
    assert (await client.get(status["links"]["result"])).status_code == 200
    unknown = await client.get("/api/v1/cpu/jobs/00000000-0000-0000-0000-000000000000/result")
    assert unknown.status_code == 404
    assert unknown.json()["status"] == 404


async def test_health_ready_metrics_docs(client: httpx.AsyncClient, backend: str) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == checks["storage"]["status"] == checks["queue"]["status"] == "ok"
    expected = {"embedded": ("sqlite", "local", "in-process"), "production": ("postgresql", "s3", "redis")}
    assert (checks["database"]["backend"], checks["storage"]["backend"], checks["queue"]["backend"]) == expected[
        backend
    ]
    assert "none implemented yet" in checks["services"]["ocr"]["detail"]
    await run_job(client, PHOTOTEST, filename="a.tif")
    metrics = (await client.get("/metrics")).text
    for name in (
        "ablage_http_requests_total",
        "ablage_http_request_duration_seconds_bucket",
        'ablage_jobs_total{status="succeeded"}',
        f'ablage_pages_total{{engine="{FAKE}",source="ocr"}}',
        "ablage_job_processing_seconds_bucket",
        "ablage_queue_depth",
    ):
        assert name in metrics, name
    assert 'route="/api/v1/cpu/jobs/{job_id}"' in metrics
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert {"/api/v1/cpu/jobs", "/api/v1/ocr/jobs/{job_id}/result", "/api/v1/cpu"} <= set(spec["paths"])
