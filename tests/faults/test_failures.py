"""Production failures with real servers: a worker killed mid-job, PostgreSQL restarted, Redis stopped,
storage unreachable. Accepted jobs finish, once; refused uploads leave nothing behind."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import anyio
import pytest
from ablage.db.models import Document, Job
from PIL import Image
from sqlalchemy import create_engine, func, select, text

from tests.conftest import DOCUMENTS, ClientFactory
from tests.faults.processes import PrivateRedis, free_port, kill, start_worker
from tests.images import encode, image_pdf, load
from tests.jobs import submit, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.slow]

INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
FAST_RECOVERY = {"queue_visibility_timeout": 3, "sweep_interval": 1}
# Real OCR, with the fastest real engine: these tests are about the failures around it.
TESSERACT = {"enabled_engines": ["tesseract"]}


def half_size_invoice() -> Image.Image:
    """The invoice at 150 dpi: a real page for real OCR, read in a quarter of the A4 scan's time."""
    return load(INVOICE).reduce(2)


@pytest.fixture
def backend() -> str:
    return "production"


def _job_row(settings_url: str, job_id: str) -> dict:
    engine = create_engine(settings_url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, attempts, pages_done, worker FROM jobs WHERE id = :id"), {"id": job_id}
        ).one()
    engine.dispose()
    return dict(row._mapping)


async def test_worker_killed_mid_job_finishes_once_elsewhere(
    client_for: ClientFactory, make_settings, tmp_path: Path
) -> None:
    settings = make_settings(queue={**FAST_RECOVERY, "embedded_workers": False}, ocr=TESSERACT)
    pdf = image_pdf([half_size_invoice()] * 5)
    first = start_worker(settings, tmp_path / "worker-1.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        async with client_for(queue={**FAST_RECOVERY, "embedded_workers": False}, ocr=TESSERACT) as client:
            response = await submit(client, pdf, filename="five-pages.pdf")
            assert response.status_code == 202
            location = response.headers["location"]
            deadline = time.monotonic() + 120
            while (status := (await client.get(location)).json())["progress"]["pages_done"] < 1:
                assert time.monotonic() < deadline, status
                await asyncio.sleep(0.1)
            assert status["status"] == "running"
            kill(first)
            second = start_worker(settings, tmp_path / "worker-2.log")
            final = await wait_for(client, location, timeout=180)
            assert final["status"] == "succeeded", final
            assert final["progress"] == {"pages_done": 5, "pages_total": 5}
            result = (await client.get(final["links"]["result"])).json()
            assert [page["number"] for page in result["pages"]] == [1, 2, 3, 4, 5]
            url = settings.database.database_url.get_secret_value()
            row = _job_row(url, final["id"])
            # Claimed twice (the killed worker, then the survivor); finished once, by the survivor.
            assert row["attempts"] == 2
            assert row["status"] == "succeeded"
            engine = create_engine(url)
            with engine.connect() as connection:
                assert connection.scalar(select(func.count()).select_from(Job)) == 1
            engine.dispose()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)
    log = (tmp_path / "worker-2.log").read_text()
    assert "consuming cpu" in log


# Serial: the restart drops every connection to the server, so no other test may run meanwhile (scripts/test
# runs the serial tests in a pass of their own, after the parallel one).
@pytest.mark.serial
@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster to restart PostgreSQL")
async def test_postgres_restart_loses_no_accepted_job(client_for: ClientFactory) -> None:
    invoice = encode(half_size_invoice(), "PNG")
    async with client_for(queue=FAST_RECOVERY, ocr=TESSERACT) as client:
        accepted: list[str] = []
        refused = 0

        async def upload(index: int) -> None:
            nonlocal refused
            data = invoice + f"\n{index}\n".encode()  # distinct bytes: no dedupe
            response = await submit(client, data, filename=f"{index}.png")
            if response.status_code == 202:
                accepted.append(response.headers["location"])
            else:
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"]
                refused += 1

        for index in range(3):
            await upload(index)
        version = next(p.name for p in Path("/etc/postgresql").iterdir())
        restart = asyncio.create_task(
            anyio.run_process(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"])
        )
        for index in range(3, 9):
            await upload(index)
            await asyncio.sleep(0.3)
        assert (await restart).returncode == 0
        for index in range(9, 11):
            await upload(index)
        assert len(accepted) >= 5
        for location in accepted:
            status = await wait_for(client, location, timeout=240)
            assert status["status"] == "succeeded", status
        assert (await client.get("/ready")).status_code == 200


async def test_redis_down_upload_is_kept_and_processed_when_it_returns(client_for: ClientFactory) -> None:
    try:
        private = PrivateRedis()
    except FileNotFoundError:
        pytest.skip("redis-server is not installed")
    private.start()
    try:
        async with client_for(queue={**FAST_RECOVERY, "redis_url": private.url}, ocr=TESSERACT) as client:
            assert (await client.get("/ready")).status_code == 200
            private.stop()
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["queue"]["status"] == "unavailable"
            assert (await client.get("/health")).status_code == 200
            started = time.monotonic()
            response = await submit(client, PHOTOTEST, filename="while-down.tif")
            assert response.status_code == 202, response.text
            assert time.monotonic() - started < 30
            await asyncio.sleep(2)
            assert (await client.get(response.headers["location"])).json()["status"] == "queued"
            private.start()
            status = await wait_for(client, response.headers["location"], timeout=120)
            assert status["status"] == "succeeded"
            assert (await client.get("/ready")).status_code == 200
    finally:
        private.stop()


async def test_storage_unreachable_refuses_upload_and_writes_nothing(make_settings, client_for: ClientFactory) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with client_for(storage={"s3_endpoint_url": closed}, ocr=TESSERACT) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["storage"]["status"] == "unavailable"
        response = await submit(client, PHOTOTEST, filename="a.tif")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"]
        assert response.json()["type"] == "/problems/dependency-unavailable"
        assert (await client.get("/health")).status_code == 200
    url = make_settings().database.database_url.get_secret_value()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Document)) == 0
        assert connection.scalar(select(func.count()).select_from(Job)) == 0
    engine.dispose()
