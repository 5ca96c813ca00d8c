"""Pages run in killable page processes: a page past its time or memory limit, or whose process dies, fails its
job with its problem within the limit plus 5 s, and the same worker's next job succeeds; a cancelled or deleted
job's pages stop within 2 s. On both backends, with the test engines that hang, hog memory or get SIGKILLed."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.conftest import DOCUMENTS, FAKE_OCR, ClientFactory
from tests.fakes.engines import FAKE, FAKE_HANG, FAKE_HELD, FAKE_HOG, FAKE_SIGKILL, held_pages
from tests.faults.hostile_pdf import slow_render_pdf
from tests.faults.processes import free_port, start_worker
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
PAGE_TIMEOUT = 3.0
LIMITS: dict[str, Any] = {
    **FAKE_OCR,
    # The limits are what is tested: a page's own work is kept to the fake engine's.
    "deskew": False,
    "page_timeout": PAGE_TIMEOUT,
    "page_processes": 2,
    "page_memory_limit": 1024**3,
}
GRACE = 5.0
CANCEL_WITHIN = 2.0


def _ran_for(status: dict[str, Any]) -> float:
    started = datetime.fromisoformat(status["started_at"])
    finished = datetime.fromisoformat(status["finished_at"])
    return (finished - started).total_seconds()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _all_gone(pids: list[int], within: float) -> float:
    """Seconds until none of ``pids`` runs; fails after ``within``."""
    started = time.monotonic()
    while any(_alive(pid) for pid in pids):
        elapsed = time.monotonic() - started
        assert elapsed < within, (
            f"page processes {[pid for pid in pids if _alive(pid)]} still run after {elapsed:.1f} s"
        )
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _next_job_succeeds(client: httpx.AsyncClient) -> None:
    status = await run_job(client, PHOTOTEST, filename="next.tif", engine=FAKE)
    assert status["status"] == "succeeded", status["error"]
    result = (await client.get(status["links"]["result"], params={"format": "text"})).text
    assert result.startswith("Seite 1 Prüfsumme")


def _stopped(metrics: str, reason: str) -> float:
    line = next(
        (line for line in metrics.splitlines() if line.startswith(f'ablage_pages_stopped_total{{reason="{reason}"}}')),
        None,
    )
    return float(line.split()[-1]) if line else 0.0


@pytest.mark.parametrize(
    ("engine", "slug", "reason"),
    [
        pytest.param(FAKE_HANG, "processing-timeout", "timeout", id="hangs"),
        pytest.param(FAKE_HOG, "document-too-large", "memory", id="allocates-without-bound"),
        pytest.param(FAKE_SIGKILL, "page-process-died", "died", id="sigkilled"),
    ],
)
async def test_a_page_past_its_limits_fails_only_its_job(
    client_for: ClientFactory, engine: str, slug: str, reason: str
) -> None:
    async with client_for(ocr=LIMITS) as client:
        before = _stopped((await client.get("/metrics")).text, reason)
        status = await run_job(client, PHOTOTEST, filename="bad.tif", engine=engine)
        assert status["status"] == "failed", status
        assert status["error"]["type"] == f"/problems/{slug}", status["error"]
        assert "page 1" in status["error"]["detail"]
        assert _ran_for(status) <= PAGE_TIMEOUT + GRACE, status
        # Caused by the document: not retried as if the service had failed.
        assert status["attempts"] == 1
        assert _stopped((await client.get("/metrics")).text, reason) == before + 1
        await _next_job_succeeds(client)


async def test_the_processing_timeout_stops_a_page_that_never_ends(client_for: ClientFactory) -> None:
    async with client_for(ocr={**LIMITS, "page_timeout": 120, "processing_timeout": 3}) as client:
        status = await run_job(client, PHOTOTEST, filename="slow.tif", engine=FAKE_HANG)
        assert status["status"] == "failed"
        assert status["error"]["type"] == "/problems/processing-timeout"
        assert _ran_for(status) <= 3 + GRACE, status
        await _next_job_succeeds(client)


async def test_a_pdf_whose_render_hangs_does_not_hold_up_other_jobs(client_for: ClientFactory) -> None:
    async with client_for(ocr=LIMITS) as client:
        hanging = await submit(client, slow_render_pdf(), filename="shading.pdf", engine=FAKE)
        assert hanging.status_code == 202, hanging.text
        other = await run_job(client, PHOTOTEST, filename="other.tif", engine=FAKE)
        assert other["status"] == "succeeded", other
        stopped = await wait_for(client, hanging.headers["location"], timeout=60)
        assert stopped["status"] == "failed"
        assert stopped["error"]["type"] == "/problems/processing-timeout"
        assert "PAGE_TIMEOUT" in stopped["error"]["detail"]
        assert _ran_for(stopped) <= PAGE_TIMEOUT + GRACE
        await _next_job_succeeds(client)


async def _cancel_while_held(client: httpx.AsyncClient, how: str) -> tuple[httpx.Response, str, float]:
    with held_pages() as gate:
        response = await submit(client, PHOTOTEST, filename="held.tif", engine=FAKE_HELD)
        assert response.status_code == 202
        location = response.headers["location"]
        assert await anyio.to_thread.run_sync(gate.entered.wait, 60), "no page process took the page"
        pids = gate.pids()
        answer = await (client.post(f"{location}/cancel") if how == "cancel" else client.delete(location))
        gone = await _all_gone(pids, CANCEL_WITHIN)
    return answer, location, gone


async def test_cancel_stops_the_running_pages_and_ends_the_job_cancelled(client_for: ClientFactory) -> None:
    async with client_for(ocr=LIMITS) as client:
        answer, location, _ = await _cancel_while_held(client, "cancel")
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "cancelled"
        status = await wait_for(client, location, timeout=10)
        assert status["status"] == "cancelled"
        assert status["error"]["type"] == "/problems/job-cancelled"
        assert "0 of 1 pages" in status["error"]["detail"]
        again = await client.post(f"{location}/cancel")
        assert again.status_code == 409
        assert again.json()["type"] == "/problems/job-finished"
        result = await client.get(f"{location}/result")
        assert result.status_code == 409
        assert result.json()["job_error"]["type"] == "/problems/job-cancelled"
        # The worker's stopped run left nothing behind, and it runs the next job.
        await asyncio.sleep(0.5)
        assert (await client.get(location)).json()["status"] == "cancelled"
        await _next_job_succeeds(client)


async def test_cancel_of_a_finished_job_is_a_conflict(client_for: ClientFactory) -> None:
    async with client_for(ocr=LIMITS) as client:
        done = await run_job(client, PHOTOTEST, filename="done.tif", engine=FAKE)
        answer = await client.post(f"{done['links']['self']}/cancel")
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "succeeded" in answer.json()["detail"]
        assert (await client.get(done["links"]["result"])).status_code == 200
        missing = await client.post("/api/v1/cpu/jobs/00000000-0000-4000-8000-000000000000/cancel")
        assert missing.status_code == 404


async def test_a_queued_job_cancelled_never_runs(client_for: ClientFactory) -> None:
    async with client_for(ocr={**LIMITS, "workers": 1}) as client:
        with held_pages() as gate:
            first = await submit(client, PHOTOTEST, filename="first.tif", engine=FAKE_HELD)
            assert await anyio.to_thread.run_sync(gate.entered.wait, 60)
            second = await submit(client, PHOTOTEST, filename="second.tif", engine=FAKE)
            location = second.headers["location"]
            assert (await client.get(location)).json()["status"] == "queued"
            answer = await client.post(f"{location}/cancel")
            assert answer.status_code == 200
            assert answer.json()["status"] == "cancelled"
        assert (await wait_for(client, first.headers["location"], timeout=30))["status"] == "succeeded"
        await asyncio.sleep(0.5)
        status = (await client.get(location)).json()
        assert status["status"] == "cancelled"
        assert status["started_at"] is None


async def test_delete_of_a_running_job_stops_its_pages(client_for: ClientFactory) -> None:
    async with client_for(ocr=LIMITS) as client:
        answer, location, _ = await _cancel_while_held(client, "delete")
        assert answer.status_code == 204
        assert (await client.get(location)).status_code == 404
        await _next_job_succeeds(client)


@pytest.mark.integration
async def test_cancel_reaches_a_worker_in_another_process(
    backend: str, make_settings: Any, client_for: ClientFactory, tmp_path: Path
) -> None:
    if backend != "production":
        pytest.skip("another worker process needs the Redis queue")
    health_port = free_port()
    settings = make_settings(ocr=LIMITS, queue={"embedded_workers": False, "worker_health_port": health_port})
    worker = start_worker(settings, tmp_path / "worker.log", threads=2, test_engines=True)
    try:
        async with (
            client_for(ocr=LIMITS, queue={"embedded_workers": False}) as client,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{health_port}") as health,
        ):
            deadline = time.monotonic() + 120
            while True:
                try:
                    live = await health.get("/live")
                    break
                except httpx.TransportError:
                    assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                    assert time.monotonic() < deadline, "the worker's /live never answered"
                    await asyncio.sleep(0.2)
            assert live.status_code == 200 and live.json()["status"] == "alive"
            metrics = await health.get("/metrics")
            assert metrics.status_code == 200 and "ablage_jobs_total" in metrics.text
            answer, location, gone = await _cancel_while_held(client, "cancel")
            assert answer.status_code == 200
            assert gone < CANCEL_WITHIN
            assert (await wait_for(client, location, timeout=10))["status"] == "cancelled"
            await _next_job_succeeds(client)
    finally:
        worker.terminate()
        worker.wait(30)
    assert "consuming cpu" in (tmp_path / "worker.log").read_text()
