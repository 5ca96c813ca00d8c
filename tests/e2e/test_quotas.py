"""Rate limits and quotas per tenant, on both backends (limits' counters in Redis, or in the process): over a
limit is a 429 problem with Retry-After and the RateLimit headers, and the other tenant goes on unaffected."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from ablage.db.models import Job, JobStatus, Tenant
from ablage.tenancy.quotas import seconds_to_next_month
from sqlalchemy import select

from tests.apps import RunningApp
from tests.conftest import DOCUMENTS
from tests.fakes.engines import FAKE_HELD, held_pages
from tests.images import encode, text_image
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"


def limit_tenant(app: RunningApp, tenant: str, **limits: object) -> None:
    with app.state.backends.sessions.begin() as session:
        row = session.get(Tenant, tenant)
        assert row is not None
        for name, value in limits.items():
            setattr(row, name, value)
    app.state.backends.tenants.forget()


def assert_too_many(response: httpx.Response, slug: str) -> dict:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == f"/problems/{slug}" and problem["status"] == 429
    assert int(response.headers["retry-after"]) >= 1
    return problem


def page(number: int) -> bytes:
    """A one-page document of its own, so that no upload is a duplicate of another."""
    return encode(text_image(f"Rechnung Nr. {number}: 12,50 EUR"), "PNG")


async def test_request_rate_per_tenant(contract_app: RunningApp) -> None:
    _, token_a = contract_app.state.auth.keys.create("tenant-a")
    _, token_b = contract_app.state.auth.keys.create("tenant-b")
    limit_tenant(contract_app, "tenant-a", rate_limit="3/minute")
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        for remaining in (2, 1, 0):
            response = await a.get("/api/v1/cpu/engines")
            assert response.status_code == 200
            assert response.headers["ratelimit-policy"] == '"3-per-1-minute";q=3;w=60'
            assert response.headers["ratelimit"].startswith(f'"3-per-1-minute";r={remaining};t=')
        refused = await a.get("/api/v1/cpu/engines")
        assert_too_many(refused, "rate-limited")
        assert refused.headers["ratelimit"].startswith('"3-per-1-minute";r=0;t=')
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (await submit(a, PHOTOTEST)).status_code == 429
        # Tenant B has the service's default rate, and all of it.
        for _ in range(5):
            assert (await b.get("/api/v1/cpu/engines")).status_code == 200
        assert (await run_job(b, PHOTOTEST))["status"] == "succeeded"


async def test_monthly_pages(contract_app: RunningApp) -> None:
    _, token_a = contract_app.state.auth.keys.create("tenant-a")
    _, token_b = contract_app.state.auth.keys.create("tenant-b")
    limit_tenant(contract_app, "tenant-a", monthly_pages=2)
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        first = await run_job(a, page(1))
        await run_job(a, page(2))
        refused = await submit(a, page(3))
        problem = assert_too_many(refused, "quota-exceeded")
        assert (problem["quota"], problem["limit"], problem["used"]) == ("monthly_pages", 2, 2)
        # Retry-After: when the month (UTC) ends.
        assert abs(int(refused.headers["retry-after"]) - seconds_to_next_month(datetime.now(UTC))) <= 5
        # A duplicate answered from the earlier result costs no OCR, so no pages.
        again = await submit(a, page(1))
        assert again.status_code == 202 and again.json()["deduplicated"]["result"]
        assert (await wait_for(a, again.headers["location"]))["reused_result_of"] == first["id"]
        assert (await run_job(b, page(3)))["status"] == "succeeded"


async def test_running_and_queued_jobs_per_tenant(contract_app: RunningApp) -> None:
    """Tenant A may run one job and queue one more; its second job waits in the queue while B's runs."""
    _, token_a = contract_app.state.auth.keys.create("tenant-a")
    _, token_b = contract_app.state.auth.keys.create("tenant-b")
    limit_tenant(contract_app, "tenant-a", max_running_jobs=1, max_queued_jobs=1)

    def statuses(tenant: str) -> list[JobStatus]:
        with contract_app.state.backends.sessions() as session:
            query = select(Job.status).where(Job.tenant_id == tenant).order_by(Job.created_at)
            return list(session.scalars(query))

    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        with held_pages() as gate:
            running = await submit(a, page(1), engine=FAKE_HELD)
            assert running.status_code == 202
            assert await anyio.to_thread.run_sync(gate.entered.wait, 60), "no worker took A's first job"
            waiting = await submit(a, page(2), engine=FAKE_HELD)
            assert waiting.status_code == 202
            assert_too_many(await submit(a, page(3), engine=FAKE_HELD), "quota-exceeded")
            # B is not held back by A's limits: its job runs beside A's while A's second one waits.
            gate.reset()
            theirs = await submit(b, page(4), engine=FAKE_HELD)
            assert theirs.status_code == 202
            assert await anyio.to_thread.run_sync(gate.entered.wait, 60), "no worker took B's job"
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                assert statuses("tenant-a") == [JobStatus.running, JobStatus.queued]
                await anyio.sleep(0.25)
            assert statuses("tenant-b") == [JobStatus.running]
        for client, response in ((a, running), (a, waiting), (b, theirs)):
            assert (await wait_for(client, response.headers["location"]))["status"] == "succeeded"
