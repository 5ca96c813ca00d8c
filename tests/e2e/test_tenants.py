"""Tenants on both backends: one tenant never sees, infers or changes another's jobs, duplicates or
Idempotency-Keys, over every endpoint; and keys are asked for, checked and revoked."""

from __future__ import annotations

import json

import httpx
import pytest
from ablage.tenancy.keys import KeyStore

from tests.apps import RunningApp
from tests.conftest import DOCUMENTS, embedded_only
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
FORMATS = ("json", "text", "markdown", "hocr", "alto", "pdf")


def keys_of(app: RunningApp) -> KeyStore:
    return app.state.auth.keys


def assert_unauthorized(response: httpx.Response, error: str | None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/unauthorized"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="ablage"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


def assert_no_such_job(response: httpx.Response) -> None:
    # 404 exactly as for an id that never existed: nothing tells the caller the job is someone else's.
    assert response.status_code == 404, response.text
    assert response.json()["type"] == "/problems/job-not-found"


async def test_isolation_matrix(contract_app: RunningApp) -> None:
    _, token_a = keys_of(contract_app).create("tenant-a")
    _, token_b = keys_of(contract_app).create("tenant-b")
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        job = await run_job(a, PHOTOTEST, filename="a-private.tif")
        assert job["status"] == "succeeded"
        base = job["links"]["self"]
        foreign = [
            await b.get(base),
            *[await b.get(f"{base}/result", params={"format": fmt}) for fmt in FORMATS],
            await b.get(f"{base}/result", params={"format": "pdf", "redirect": "true"}),
            await b.get(f"{base}/thumbnail"),
            await b.post(f"{base}/cancel"),
            await b.delete(base),
            await b.get(f"/api/v1/ocr/jobs/{job['id']}"),
        ]
        for response in foreign:
            assert_no_such_job(response)
        unknown = await b.get("/api/v1/cpu/jobs/00000000-0000-0000-0000-000000000000")
        assert (
            unknown.json()["detail"].replace("00000000-0000-0000-0000-000000000000", job["id"])
            == (foreign[0].json()["detail"])
        )

        # A's job is untouched by B's attempts.
        assert (await a.get(base)).json()["status"] == "succeeded"
        for fmt in FORMATS:
            assert (await a.get(f"{base}/result", params={"format": fmt})).status_code == 200
        assert (await a.get(f"{base}/thumbnail")).status_code == 200

        # The same bytes from B: its own job, read afresh, with nothing of A's in any answer.
        accepted = await submit(b, PHOTOTEST, filename="b.tif")
        assert accepted.status_code == 202
        assert accepted.json()["deduplicated"] == {"original": False, "result": False}
        own = await wait_for(b, accepted.headers["location"])
        assert own["status"] == "succeeded" and own["reused_result_of"] is None
        bodies = [accepted.text, json.dumps(own)]
        bodies += [(await b.get(own["links"]["result"], params={"format": fmt})).text for fmt in FORMATS[:5]]
        assert not any(job["id"] in body or "a-private" in body for body in bodies)

        # Within one tenant the duplicate is found and said.
        again = await submit(a, PHOTOTEST, filename="a-again.tif")
        assert again.json()["deduplicated"] == {"original": True, "result": True}
        reused = await wait_for(a, again.headers["location"])
        assert reused["reused_result_of"] == job["id"]

        # Engines answer both; B deleting its job leaves A's original and results in place.
        assert (await b.get("/api/v1/cpu/engines")).status_code == 200
        assert (await b.delete(own["links"]["self"])).status_code == 204
        assert (await a.get(f"{base}/result", params={"format": "text"})).status_code == 200


async def test_idempotency_keys_are_per_tenant(contract_app: RunningApp) -> None:
    _, token_a = keys_of(contract_app).create("tenant-a")
    _, token_b = keys_of(contract_app).create("tenant-b")
    headers = {"Idempotency-Key": "invoice-2026-0001"}
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        first = await a.post("/api/v1/cpu/jobs", files={"file": ("a.tif", PHOTOTEST.read_bytes())}, headers=headers)
        assert first.status_code == 202
        # B's key of the same name, with another document: accepted as B's own, not "used for another request".
        other = await b.post("/api/v1/cpu/jobs", files={"file": ("b.png", INVOICE.read_bytes())}, headers=headers)
        assert other.status_code == 202, other.text
        assert "idempotent-replayed" not in other.headers
        assert other.json()["id"] != first.json()["id"]
        # B's key with A's very document is no replay of A's job either.
        same = await b.post("/api/v1/cpu/jobs", files={"file": ("a.tif", PHOTOTEST.read_bytes())}, headers=headers)
        assert same.status_code == 422  # B's key already names B's other request
        replay = await a.post("/api/v1/cpu/jobs", files={"file": ("a.tif", PHOTOTEST.read_bytes())}, headers=headers)
        assert replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == first.json()["id"]
        for client, response in ((a, first), (b, other)):
            await wait_for(client, response.headers["location"])


@embedded_only
async def test_missing_wrong_and_revoked_keys(contract_app: RunningApp) -> None:
    store = keys_of(contract_app)
    info, token = store.create("tenant-a", name="scanner")
    async with contract_app.client() as anonymous:
        assert_unauthorized(await anonymous.get("/api/v1/cpu/engines"), None)
        assert_unauthorized(await submit(anonymous, PHOTOTEST), None)
        for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer abl_nope_nope", f"Bearer {token}x", "Bearer eyJ.x.y"):
            response = await anonymous.get("/api/v1/cpu/engines", headers={"Authorization": header})
            assert_unauthorized(
                response, "invalid_request" if header in ("Basic dXNlcjpwYXNz", "Bearer") else "invalid_token"
            )
        # /health and /ready stay open for probes.
        assert (await anonymous.get("/health")).status_code == 200
        assert (await anonymous.get("/ready")).status_code == 200
    async with contract_app.client(token) as client:
        assert (await client.get("/api/v1/cpu/engines")).status_code == 200
        assert [key.id for key in store.list("tenant-a")] == [info.id]
        assert token not in repr(store.list()) and len(token) > 40
        store.revoke(info.id)
        assert_unauthorized(await client.get("/api/v1/cpu/engines"), "invalid_token")
