"""`ablage storage prune` keeps storage and database consistent under the retention periods."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ablage.db.models import Job
from ablage.jobs.retention import apply_retention
from ablage.runtime import build_database
from ablage.storage.base import Area
from ablage.storage.local import LocalStorage
from sqlalchemy import update

from tests.conftest import DOCUMENTS, FAKE_OCR
from tests.jobs import run_job

pytestmark = pytest.mark.anyio


@pytest.fixture
def backend() -> str:
    return "embedded"


def _age(path: os.PathLike[str], days: float) -> None:
    stamp = time.time() - days * 86400
    for root, _, files in os.walk(path):
        for name in files:
            os.utime(os.path.join(root, name), (stamp, stamp))


async def test_prune_expires_results_and_jobs_but_keeps_originals_in_use(client_for, make_settings) -> None:
    settings = make_settings(ocr=FAKE_OCR)
    async with client_for(ocr=FAKE_OCR) as client:
        old = await run_job(client, DOCUMENTS / "mixed_tesseract_phototest.tif", filename="old.tif")
        recent = await run_job(client, DOCUMENTS / "mixed_tesseract_phototest.tif", filename="new.tif", languages="en")
        other = await run_job(client, DOCUMENTS / "de_invoice_ferd_miete.png", filename="other.png")

        engine, sessions = build_database(settings)
        long_ago = datetime.now(UTC) - timedelta(days=100)
        with sessions.begin() as session:
            for job_id in (old["id"], other["id"]):
                session.execute(update(Job).where(Job.id == job_id).values(created_at=long_ago, finished_at=long_ago))
        storage = LocalStorage(settings.storage_dir)
        _age(storage.root, days=100)

        dry = apply_retention(storage, sessions, dry_run=True)
        assert dry["originals"] == 1  # the phototest original is spared: a recent job uses it
        assert (await client.get(old["links"]["self"])).status_code == 200

        counts = apply_retention(storage, sessions)
        engine.dispose()
        assert counts["jobs"] == 2 and counts["documents"] == 1
        assert (await client.get(old["links"]["self"])).status_code == 404
        assert (await client.get(other["links"]["self"])).status_code == 404
        assert storage.exists(Area.originals, recent["document"]["sha256"])
        assert not storage.exists(Area.originals, other["document"]["sha256"])
        # The recent job's files were aged too: its result expired, and says so.
        expired = await client.get(recent["links"]["result"])
        assert expired.status_code == 410
        assert expired.json()["type"] == "/problems/result-expired"
        assert isinstance(expired, httpx.Response)


def test_prune_command(tmp_path) -> None:
    env = os.environ | {"DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "ablage.cli.main", "storage", "prune", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "would remove: 0 originals, 0 processed, 0 thumbnails" in result.stdout
