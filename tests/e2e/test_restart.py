"""A job accepted by a process that stopped before running it is finished by the next process."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from ablage.db.models import DEFAULT_TENANT
from ablage.jobs.service import JobService, SubmitForm, Upload
from ablage.runtime import build_backends
from PIL import Image

from tests.apps import routes_with_fakes, running_app
from tests.conftest import DOCUMENTS, FAKE_OCR
from tests.fakes.engines import FAKE, expected_text
from tests.jobs import wait_for

pytestmark = pytest.mark.anyio


async def test_queued_job_survives_a_restart(make_settings, tmp_path: Path) -> None:
    settings = make_settings(ocr=FAKE_OCR)
    cpu_route = routes_with_fakes(settings)[1]
    # Workers are never started: the process "dies" after accepting the upload.
    backends = build_backends(settings)
    backends.engines.start(cpu_route.offered())
    assert backends.engines.wait_started(120)
    service = JobService(backends)
    source = DOCUMENTS / "mixed_tesseract_phototest.tif"
    upload_path = tmp_path / "upload"
    shutil.copy(source, upload_path)
    data = source.read_bytes()
    submission = service.submit(
        Upload(upload_path, hashlib.sha256(data).hexdigest(), len(data), "photo.tif"),
        SubmitForm(),
        cpu_route,
        DEFAULT_TENANT,
    )
    assert submission.job.status == "queued"
    backends.close()

    async with running_app(settings, [FAKE]) as app, app.client() as client:
        status = await wait_for(client, f"/api/v1/cpu/jobs/{submission.job.id}")
        assert status["status"] == "succeeded"
        text = (await client.get(status["links"]["result"], params={"format": "text"})).text
        assert text.strip() == expected_text(Image.open(source))
