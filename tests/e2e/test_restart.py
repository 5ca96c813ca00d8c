"""A job accepted by a process that stopped before running it is finished by the next process."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import httpx
import pytest
from ablage.jobs.service import JobService, SubmitForm, Upload
from ablage.runtime import build_backends
from ablage_services.cpu_backend.app import CPU_ROUTE
from ablage_services.embedded import create_app
from asgi_lifespan import LifespanManager

from tests.conftest import DOCUMENTS
from tests.jobs import wait_for

pytestmark = pytest.mark.anyio


async def test_queued_job_survives_a_restart(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    # Workers are never started: the process "dies" after accepting the upload.
    backends = build_backends(settings)
    backends.engines.start(CPU_ROUTE.offered())
    assert backends.engines.wait_started(120)
    service = JobService(backends)
    source = DOCUMENTS / "mixed_tesseract_phototest.tif"
    upload_path = tmp_path / "upload"
    shutil.copy(source, upload_path)
    data = source.read_bytes()
    submission = service.submit(
        Upload(upload_path, hashlib.sha256(data).hexdigest(), len(data), "photo.tif"), SubmitForm(), CPU_ROUTE
    )
    assert submission.job.status == "queued"
    backends.close()

    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ablage.test") as client:
            status = await wait_for(client, f"/api/v1/cpu/jobs/{submission.job.id}")
            assert status["status"] == "succeeded"
            text = (await client.get(status["links"]["result"], params={"format": "text"})).text
            assert "quick brown dog" in text
