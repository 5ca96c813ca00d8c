"""Hostile and broken input: a result or a clear 4xx problem, in time, and the service stays healthy.

On the test engine (documents are decoded, rendered and turned upright for real); parsing and limits are the
same code on both backends, so these run embedded, except where a failed job is recorded."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import DOCUMENTS, FAKE_OCR, ROBUSTNESS, ClientFactory, embedded_only
from tests.fakes.engines import FAKE, FAKE_CRASH, FAKE_HANG, FAKE_HELD, held_pages
from tests.images import encode, huge_png, load
from tests.jobs import submit, wait_for

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
PROBLEM = "application/problem+json"

# What each robustness file must give: the upload's status, and for accepted ones the job's end state.
EXPECTED = {
    "docling_password_2206.01062_pg3.pdf": (422, "/problems/encrypted-document"),
    "docling_webp-test.webp": (415, "/problems/unsupported-media-type"),  # webp is not in the default list
    "ocrmypdf_baiona_cmyk.jpg": (202, "succeeded"),
    "ocrmypdf_ccitt.pdf": (202, "succeeded"),
    "ocrmypdf_enormous.pdf": (202, "succeeded"),
    "ocrmypdf_graph_ocred.pdf": (202, "succeeded"),
    "ocrmypdf_invalid.pdf": (422, "/problems/invalid-document"),
    "ocrmypdf_masks.pdf": (202, "succeeded"),
    "ocrmypdf_no_contents.pdf": (202, "succeeded"),
    "ocrmypdf_rotated_skew.pdf": (202, "succeeded"),
    "pdf.js_xref_command_missing.pdf": (202, "succeeded"),
    "zugferd_EN16931_Elektron.pdf": (202, "succeeded"),
}


def assert_problem(response: httpx.Response, status: int, type_: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if type_:
        assert problem["type"] == type_
    return problem


async def assert_healthy(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/ready")).status_code == 200
    response = await submit(client, PHOTOTEST, filename="after.tif", languages="en")
    status = await wait_for(client, response.headers["location"])
    assert status["status"] == "succeeded"


@embedded_only
async def test_every_robustness_file(client: httpx.AsyncClient) -> None:
    assert {p.name for p in ROBUSTNESS.iterdir()} == set(EXPECTED)
    results: dict[str, httpx.Response] = {}
    for name, (code, outcome) in EXPECTED.items():
        response = await submit(client, ROBUSTNESS / name, filename=name)
        if code == 202:
            assert response.status_code == 202, f"{name}: {response.text}"
            status = await wait_for(client, response.headers["location"], timeout=300)
            assert status["status"] == outcome, f"{name}: {status}"
            results[name] = await client.get(status["links"]["result"])
        else:
            problem = assert_problem(response, code, outcome)
            if code == 422 and "password" in name:
                assert "encrypted" in problem["detail"]
    page = results["ocrmypdf_enormous.pdf"].json()["pages"][0]
    # A 30-inch page renders below 300 dpi so that it stays within MAX_RENDER_PIXELS.
    assert page["dpi"] < 300 and page["width"] * page["height"] <= 60_000_000
    assert results["ocrmypdf_graph_ocred.pdf"].json()["pages"][0]["source"] == "text_layer"
    await assert_healthy(client)


@embedded_only
async def test_webp_is_accepted_when_allowed(client_for: ClientFactory) -> None:
    async with client_for(upload={"allowed_extensions": ["png", "webp"]}, ocr=FAKE_OCR) as client:
        response = await submit(client, ROBUSTNESS / "docling_webp-test.webp", filename="x.webp")
        assert response.status_code == 202
        status = await wait_for(client, response.headers["location"])
        assert status["status"] == "succeeded" and status["document"]["content_type"] == "image/webp"


@embedded_only
async def test_empty_file_and_missing_file_field(client: httpx.AsyncClient) -> None:
    assert_problem(await submit(client, b"", filename="empty.pdf"), 400)
    assert_problem(await client.post("/api/v1/cpu/jobs", data={"languages": "de"}), 400)
    assert_problem(await client.post("/api/v1/cpu/jobs", content=b"{}"), 400)


@embedded_only
async def test_png_named_pdf_is_sniffed_as_png(client: httpx.AsyncClient) -> None:
    response = await submit(client, encode(load(PHOTOTEST), "PNG"), filename="invoice.pdf")
    assert response.status_code == 202
    status = await wait_for(client, response.headers["location"])
    assert status["document"]["content_type"] == "image/png" and status["status"] == "succeeded"


@embedded_only
async def test_type_not_allowed(client_for: ClientFactory) -> None:
    async with client_for(upload={"allowed_extensions": ["pdf"]}, ocr=FAKE_OCR) as client:
        problem = assert_problem(
            await submit(client, PHOTOTEST, filename="scan.pdf"), 415, "/problems/unsupported-media-type"
        )
        assert "image/tiff" in problem["detail"]


@embedded_only
async def test_type_is_sniffed_not_taken_from_the_name(client: httpx.AsyncClient) -> None:
    assert_problem(await submit(client, b"PK\x03\x04" + b"\0" * 100, filename="x.docx"), 415)
    assert_problem(await submit(client, b"hello, world\n" * 10, filename="x.png"), 415)


@embedded_only
async def test_over_size_upload_is_refused(client_for: ClientFactory) -> None:
    limit = 50_000
    big = DOCUMENTS / "de_invoice_ferd_einfach.png"
    async with client_for(upload={"max_upload_size": limit}, ocr=FAKE_OCR) as client:
        assert_problem(await submit(client, big, filename="big.png"), 413, "/problems/document-too-large")

        # Without a Content-Length the server must still stop reading at the limit.
        boundary = "ablage-test-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()

        async def chunked() -> AsyncIterator[bytes]:
            yield head
            stream = io.BytesIO(big.read_bytes())
            while chunk := stream.read(8192):
                yield chunk
            yield f"\r\n--{boundary}--\r\n".encode()

        response = await client.post(
            "/api/v1/cpu/jobs",
            content=chunked(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_problem(response, 413)
        small = await submit(client, encode(load(PHOTOTEST).reduce(2), "PNG", optimize=True), filename="ok.png")
        assert small.status_code == 202, small.text
        await wait_for(client, small.headers["location"])


@embedded_only
async def test_decompression_bomb(client: httpx.AsyncClient) -> None:
    problem = assert_problem(
        await submit(client, huge_png(30000, 30000), filename="bomb.png"), 422, "/problems/too-many-pixels"
    )
    assert "30000" in problem["detail"]
    await assert_healthy(client)


@embedded_only
async def test_too_many_pages(client_for: ClientFactory) -> None:
    async with client_for(upload={"max_pages": 2}, ocr=FAKE_OCR) as client:
        problem = assert_problem(
            await submit(client, ROBUSTNESS / "zugferd_EN16931_Elektron.pdf", filename="x.pdf"),
            422,
            "/problems/too-many-pages",
        )
        assert "3 pages" in problem["detail"]


@embedded_only
async def test_bad_options(client: httpx.AsyncClient) -> None:
    malformed = [{"pages": "3-1"}, {"pages": "abc"}, {"languages": "de;en"}, {"force_ocr": "maybe"}]
    malformed += [{"pdf_output": "pdfa-1b"}, {"pdf_optimize": "3"}, {"pdf_optimize": "x"}]
    malformed += [{"script": "gothic"}, {"spelling": "old"}]
    for fields in malformed:
        assert_problem(await submit(client, PHOTOTEST, filename="a.tif", **fields), 400)
    # Well-formed, but naming what this service cannot do.
    impossible = [{"pages": "7"}, {"languages": "xx"}, {"engine": "nonexistent"}]
    # Fraktur is read by Tesseract's Fraktur models, not by the test engine (nor, here, at all: it has none).
    impossible += [{"script": "fraktur", "engine": FAKE}]
    for fields in impossible:
        assert_problem(await submit(client, PHOTOTEST, filename="a.tif", **fields), 422, "/problems/invalid-option")


@embedded_only
async def test_truncated_image_fails_the_job_not_the_service(client: httpx.AsyncClient) -> None:
    data = encode(load(DOCUMENTS / "de_invoice_ferd_miete.png"), "PNG")
    response = await submit(client, data[: len(data) // 2], filename="cut.png")
    assert response.status_code == 202
    status = await wait_for(client, response.headers["location"])
    assert status["status"] == "failed"
    assert status["error"]["status"] == 422 and "truncated" in status["error"]["detail"]
    assert_problem(await client.get(status["links"]["result"]), 409)
    sync = await client.post("/api/v1/cpu", files={"file": ("cut.png", data[: len(data) // 3])})
    assert_problem(sync, 422)
    await assert_healthy(client)


async def test_processing_timeout_fails_the_job_and_records_why(client_for: ClientFactory) -> None:
    async with client_for(ocr={**FAKE_OCR, "processing_timeout": 1}) as client:
        response = await submit(client, PHOTOTEST, filename="slow.tif", engine=FAKE_HANG)
        status = await wait_for(client, response.headers["location"])
        assert status["status"] == "failed"
        assert status["error"]["type"] == "/problems/processing-timeout"
        assert_problem(await client.get(status["links"]["result"]), 409)
        assert_problem(await client.get("/api/v1/cpu/jobs/unknown"), 404)


async def test_sync_upload_answers_202_when_the_job_outlasts_sync_timeout(client_for: ClientFactory) -> None:
    async with client_for(ocr={**FAKE_OCR, "sync_timeout": 1}) as client:
        with held_pages():
            response = await client.post(
                "/api/v1/cpu", files={"file": ("a.tif", PHOTOTEST.read_bytes())}, data={"engine": FAKE_HELD}
            )
            assert response.status_code == 202, response.text
            assert response.json()["status"] in ("queued", "running")
        status = await wait_for(client, response.headers["location"])
        assert status["status"] == "succeeded"


async def test_an_engine_that_crashes_fails_the_job_without_leaking_why(client: httpx.AsyncClient) -> None:
    response = await submit(client, PHOTOTEST, filename="a.tif", engine=FAKE_CRASH)
    status = await wait_for(client, response.headers["location"])
    assert status["status"] == "failed"
    assert status["error"]["status"] == 500 and "unexpectedly" in status["error"]["detail"]
    assert "internal detail" not in str(status["error"]) and "RuntimeError" not in str(status["error"])
    sync = await client.post(
        "/api/v1/cpu", files={"file": ("a.tif", PHOTOTEST.read_bytes())}, data={"engine": FAKE_CRASH}
    )
    problem = assert_problem(sync, 500)
    assert "internal detail" not in problem["detail"]
    await assert_healthy(client)


@embedded_only
async def test_unknown_routes_and_methods_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nowhere"), 404)
    assert_problem(await client.put("/api/v1/cpu/jobs"), 405)
    assert_problem(await client.get("/api/v1/cpu/jobs/x/result", params={"format": "docx"}), 400)
