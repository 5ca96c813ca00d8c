"""Idempotency-Key, presigned result links, and where GPU-service jobs run when there is no GPU engine."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import DOCUMENTS
from tests.fakes.engines import FAKE
from tests.jobs import wait_for

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
INVOICE = DOCUMENTS / "de_invoice_ferd_miete.png"


async def post(client: httpx.AsyncClient, data: bytes, key: str | None, **fields: str) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post("/api/v1/cpu/jobs", files={"file": ("a.tif", data)}, data=fields, headers=headers)


async def test_idempotency_key_returns_the_same_job(client: httpx.AsyncClient) -> None:
    data = PHOTOTEST.read_bytes()
    first = await post(client, data, "order-4711")
    again = await post(client, data, "order-4711")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # Concurrent retries of one request still make one job.
    burst = await asyncio.gather(*(post(client, data, "order-4712") for _ in range(5)))
    assert len({response.json()["id"] for response in burst}) == 1
    # The same key for another request is refused; another key makes another job.
    other = await post(client, INVOICE.read_bytes(), "order-4711")
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    assert (await post(client, data, "order-4711", languages="en")).status_code == 422
    fresh = await post(client, data, "order-4713")
    assert fresh.json()["id"] != first.json()["id"]
    for response in (first, fresh):
        assert (await wait_for(client, response.headers["location"]))["status"] == "succeeded"
    assert (await post(client, data, "x" * 256)).status_code == 400


async def test_result_redirect(client: httpx.AsyncClient, backend: str) -> None:
    response = await post(client, PHOTOTEST.read_bytes(), None)
    status = await wait_for(client, response.headers["location"])
    result = status["links"]["result"]
    proxied = await client.get(result, params={"format": "text"})
    redirected = await client.get(result, params={"format": "text", "redirect": "true"})
    if backend == "embedded":
        # Local storage has no URL of its own: the result is served directly.
        assert redirected.status_code == 200 and redirected.text == proxied.text
        return
    assert redirected.status_code == 307
    location = redirected.headers["location"]
    assert "X-Amz-Signature" in location and "X-Amz-Expires=300" in location
    async with httpx.AsyncClient() as direct:
        fetched = await direct.get(location)
    assert fetched.status_code == 200
    assert fetched.text == proxied.text
    assert fetched.headers["content-type"].startswith("text/plain")


async def test_gpu_service_jobs_run_on_the_cpu_queue_without_a_gpu_engine(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/ocr/jobs", files={"file": ("a.tif", PHOTOTEST.read_bytes())})
    status = await wait_for(client, response.headers["location"])
    assert status["status"] == "succeeded"
    # The first of the CPU engines (the test engine here), on the cpu queue.
    assert status["engine"] == FAKE
    assert status["queue"] == "cpu"
