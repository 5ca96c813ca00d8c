"""Review flags over HTTP with real OCR on both backends: a page read badly (Fraktur read with the modern models)
is flagged with its reasons, a clean page is not; the job and the search hits say which pages are flagged; a
tenant's own threshold decides."""

from __future__ import annotations

import httpx
import pytest
from ablage.db.models import Tenant
from ablage.tenancy.tenants import ensure_tenant

from tests.apps import RunningApp
from tests.conftest import DOCUMENTS
from tests.jobs import run_job

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

KANT = DOCUMENTS / "de_fraktur_kant1784_p0017.tif"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"


async def _page(client: httpx.AsyncClient, job: dict) -> dict:
    return (await client.get(job["links"]["result"])).json()["pages"][0]


async def test_a_badly_read_page_is_flagged_and_a_clean_one_is_not(ocr_client: httpx.AsyncClient) -> None:
    bad = await run_job(ocr_client, KANT, filename="kant.tif", engine="tesseract", script="latin", languages="de")
    good = await run_job(ocr_client, PHOTOTEST, filename="phototest.tif", languages="en")
    assert (bad["status"], good["status"]) == ("succeeded", "succeeded")
    assert (bad["flagged_pages"], good["flagged_pages"]) == ([1], [])

    review = (await _page(ocr_client, bad))["review"]
    assert review["flagged"] and review["score"] >= 0.12 and review["unknown_words"] > 10
    assert any("doubtful" in reason for reason in review["reasons"])
    clean = (await _page(ocr_client, good))["review"]
    assert not clean["flagged"] and clean["reasons"] == [] and clean["mean_confidence"] > 0.8

    hits = (await ocr_client.get("/api/v1/documents/search", params={"q": "Aufklärung"})).json()["hits"]
    assert [(hit["job_id"], hit["flagged"]) for hit in hits] == [(bad["id"], True)]
    assert hits[0]["review_reasons"] == review["reasons"]


async def test_a_tenants_threshold_decides(ocr_app: RunningApp) -> None:
    with ocr_app.state.backends.sessions.begin() as session:
        ensure_tenant(session, "lenient")
        session.flush()
        tenant = session.get_one(Tenant, "lenient")
        tenant.review_threshold = 0.95
    _, token = ocr_app.state.auth.keys.create("lenient")
    async with ocr_app.client(token) as client:
        job = await run_job(client, KANT, filename="kant.tif", engine="tesseract", script="latin", languages="de")
        assert job["status"] == "succeeded" and job["flagged_pages"] == []
        review = (await _page(client, job))["review"]
        assert not review["flagged"] and review["score"] < 0.95
