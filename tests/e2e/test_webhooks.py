"""Webhooks on both backends: every delivery carries a valid Standard Webhooks signature; an event survives its
receiver being down and the service restarting, and arrives under one webhook-id; SSRF targets are refused at
submit and at delivery; redirects are not followed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx
import pytest
from ablage.db.models import DEFAULT_TENANT
from ablage.settings import Settings, WebhookSettings
from ablage.webhooks.tenant_config import configure
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.apps import RunningApp, running_app
from tests.conftest import FAKE_OCR, embedded_only
from tests.fakes.engines import FAKE, FAKE_HELD, held_pages
from tests.images import encode, text_image
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

LETTER = encode(text_image("Rechnung 2024"), "PNG")
BROKEN = LETTER[: len(LETTER) // 2]
FAST_RETRIES = WebhookSettings(
    webhook_allowed_targets=["127.0.0.1/32"],
    webhook_initial_backoff=0.2,
    webhook_max_backoff=0.5,
    webhook_poll_interval=0.1,
    webhook_timeout=5,
)


@dataclass
class Receiver:
    """A loopback endpoint that checks each delivery's signature with the tenant's secret."""

    secret: str
    port: int = 0
    redirect_to: str | None = None
    received: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    forged: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.paths.append(self.path)
                if receiver.redirect_to is not None and self.path == "/hooks":
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.end_headers()
                    return
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError as exc:
                    receiver.forged.append(str(exc))
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.received.append((headers["webhook-id"], payload, headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> set[str]:
        return {message_id for message_id, _, _ in self.received}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(ocr=FAKE_OCR).model_copy(update={"webhook": FAST_RETRIES})


def give_secret(app: RunningApp, url: str | None = None) -> str:
    with app.state.backends.sessions.begin() as session:
        secret = configure(session, DEFAULT_TENANT, url=url, rotate_secret=True).new_secret
    assert secret is not None
    return secret


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[tuple[RunningApp, httpx.AsyncClient]]:
    async with running_app(settings, [FAKE]) as app, app.client() as client:
        yield app, client


async def eventually(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError("not within the timeout")
        await anyio.sleep(0.05)
    return found


async def deliveries(client: httpx.AsyncClient, job: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"{job['links']['self']}/deliveries")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


async def settled(client: httpx.AsyncClient, job: dict[str, Any], status: str = "delivered") -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        found = await deliveries(client, job)
        if found and found[0]["status"] == status:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery not {status}: {found}")
        await anyio.sleep(0.05)


async def test_every_event_is_signed_and_delivered_once(make_settings: Callable[..., Settings]) -> None:
    async with started(webhook_settings(make_settings)) as (app, client):
        receiver = Receiver(give_secret(app))
        receiver.start()
        try:
            done = await run_job(client, LETTER, callback_url=receiver.url)
            assert done["status"] == "succeeded"
            delivery = await settled(client, done)
            # The tenant's default URL serves the jobs that name none: a failed job's event goes there.
            with app.state.backends.sessions.begin() as session:
                configure(session, DEFAULT_TENANT, url=receiver.url)
            failed = await run_job(client, BROKEN)
            assert failed["status"] == "failed"
            failure = await settled(client, failed)
            # A job that reuses an earlier result succeeds at once, and says so too.
            reused = await run_job(client, LETTER, callback_url=receiver.url)
            assert reused["reused_result_of"] == done["id"]
            again = await settled(client, reused)
        finally:
            receiver.stop()
    assert not receiver.forged
    assert [message_id for message_id, _, _ in receiver.received] == [delivery["id"], failure["id"], again["id"]]
    (_, succeeded, headers), (_, failed_event, _), (_, reused_event, _) = receiver.received
    assert reused_event["data"]["id"] == reused["id"] and reused_event["type"] == "job.succeeded"
    assert succeeded["type"] == "job.succeeded" and failed_event["type"] == "job.failed"
    assert succeeded["data"] == {
        "id": done["id"],
        "status": "succeeded",
        "pages_done": 1,
        "pages_total": 1,
        "links": done["links"],
        "error": None,
    }
    assert failed_event["data"]["error"]["status"] == failed["error"]["status"]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Ablage-System/")
    assert headers["webhook-signature"].startswith("v1,")
    assert delivery["event"] == "job.succeeded" and delivery["url"] == receiver.url
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [204]
    assert delivery["delivered_at"] is not None and delivery["next_attempt_at"] is None


async def test_an_event_outlives_its_receiver_being_down_and_a_restart(make_settings: Callable[..., Settings]) -> None:
    settings = webhook_settings(make_settings)
    receiver = Receiver("", port=free_port())  # nothing listens there yet
    async with started(settings) as (app, client):
        receiver.secret = give_secret(app)
        done = await run_job(client, LETTER, callback_url=receiver.url)

        async def failed_attempts() -> list[dict[str, Any]]:
            found = await deliveries(client, done)
            return found[0]["attempts"] if found else []

        deadline = time.monotonic() + 30
        while len(attempts := await failed_attempts()) < 2:
            assert time.monotonic() < deadline, attempts
            await anyio.sleep(0.05)
        assert all(attempt["status_code"] is None and attempt["error"] for attempt in attempts), attempts
        pending = (await deliveries(client, done))[0]
        assert pending["status"] == "pending" and pending["next_attempt_at"] is not None
    # The service is down; the receiver comes up; a new process takes the outbox over.
    receiver.start()
    try:
        async with started(settings) as (_, client):
            delivered = await settled(client, done)
            await anyio.sleep(1)  # time for any duplicate to show
            final = await deliveries(client, done)
    finally:
        receiver.stop()
    assert not receiver.forged
    assert receiver.ids() == {pending["id"]} == {delivered["id"]}
    assert len(final) == 1 and final[0]["status"] == "delivered"
    assert [attempt["status_code"] for attempt in final[0]["attempts"]].count(204) == 1
    assert len(final[0]["attempts"]) >= 3


@embedded_only
async def test_a_redirect_is_a_failed_attempt_and_not_followed(make_settings: Callable[..., Settings]) -> None:
    async with started(webhook_settings(make_settings)) as (app, client):
        receiver = Receiver(give_secret(app))
        receiver.start()
        receiver.redirect_to = f"http://127.0.0.1:{receiver.port}/landed"
        try:
            done = await run_job(client, LETTER, callback_url=receiver.url)
            deadline = time.monotonic() + 30
            while len(attempts := ((await deliveries(client, done)) or [{"attempts": []}])[0]["attempts"]) < 2:
                assert time.monotonic() < deadline
                await anyio.sleep(0.05)
        finally:
            receiver.stop()
    assert {(attempt["status_code"], attempt["error"]) for attempt in attempts} == {(302, "HTTP 302")}
    assert "/landed" not in receiver.paths
    assert not receiver.received


@embedded_only
async def test_a_cancelled_job_says_so(make_settings: Callable[..., Settings]) -> None:
    async with started(webhook_settings(make_settings)) as (app, client):
        receiver = Receiver(give_secret(app))
        receiver.start()
        try:
            with held_pages() as gate:
                accepted = await submit(client, LETTER, engine=FAKE_HELD, callback_url=receiver.url)
                assert await anyio.to_thread.run_sync(gate.entered.wait, 60)
                assert (await client.post(f"{accepted.headers['location']}/cancel")).status_code == 200
            job = await wait_for(client, accepted.headers["location"])
            await settled(client, job)
        finally:
            receiver.stop()
    ((_, event, _),) = receiver.received
    assert event["type"] == "job.cancelled" and event["data"]["status"] == "cancelled"
    assert event["data"]["error"]["type"] == job["error"]["type"]


@embedded_only
async def test_a_deleted_jobs_event_is_still_delivered(make_settings: Callable[..., Settings]) -> None:
    receiver = Receiver("", port=free_port())
    async with started(webhook_settings(make_settings)) as (app, client):
        receiver.secret = give_secret(app)
        done = await run_job(client, LETTER, callback_url=receiver.url)
        assert (await client.delete(done["links"]["self"])).status_code == 204
        assert (await client.get(f"{done['links']['self']}/deliveries")).status_code == 404
        receiver.start()
        try:
            await eventually(lambda: receiver.received)
        finally:
            receiver.stop()
    assert receiver.received[0][1]["data"]["id"] == done["id"]


@embedded_only
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("http://127.0.0.1:9/hooks", 422),
        ("http://localhost:9/hooks", 422),
        ("http://10.0.0.1/hooks", 422),
        ("http://169.254.169.254/latest/meta-data/", 422),
        ("http://[::1]:9/hooks", 422),
        ("file:///etc/passwd", 400),
        ("http://user:secret@example.com/", 400),
        ("not a url", 400),
    ],
)
async def test_ssrf_targets_are_refused_at_submit(client: httpx.AsyncClient, url: str, status: int) -> None:
    for prefix in ("/api/v1/cpu/jobs", "/api/v1/cpu"):
        response = await client.post(prefix, files={"file": ("a.png", LETTER)}, data={"callback_url": url})
        assert response.status_code == status, response.text
        problem = response.json()
        assert problem["type"] == ("/problems/invalid-option" if status == 422 else "/problems/bad-request")
        assert "callback_url" in problem["detail"]


@embedded_only
async def test_a_callback_needs_the_tenants_secret(make_settings: Callable[..., Settings]) -> None:
    async with started(webhook_settings(make_settings)) as (_, client):
        response = await submit(client, LETTER, callback_url="http://127.0.0.1:9/hooks")
    assert response.status_code == 422, response.text
    assert "--rotate-secret" in response.json()["detail"]


@embedded_only
async def test_deliveries_are_the_tenants_own(contract_app: RunningApp) -> None:
    keys = contract_app.state.auth.keys
    _, token_a = keys.create("tenant-a")
    _, token_b = keys.create("tenant-b")
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        job = await run_job(a, LETTER)
        assert (await a.get(f"{job['links']['self']}/deliveries")).json() == {"deliveries": []}
        foreign = await b.get(f"{job['links']['self']}/deliveries")
        assert foreign.status_code == 404 and foreign.json()["type"] == "/problems/job-not-found"


@embedded_only
def test_tenants_webhook_command(make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    from ablage.cli.main import app
    from ablage.runtime import build_database
    from ablage.webhooks.tenant_config import secret_of
    from typer.testing import CliRunner

    settings = make_settings()
    monkeypatch.setenv("DATA_DIR", str(settings.service.data_dir))
    runner = CliRunner()
    refused = runner.invoke(app, ["tenants", "webhook", "acme", "--url", "http://10.0.0.1/hooks"])
    assert refused.exit_code != 0 and "private" in refused.output
    first = runner.invoke(app, ["tenants", "webhook", "acme", "--url", "https://93.184.215.14/hooks"])
    assert first.exit_code == 0, first.output
    secret = first.stdout.splitlines()[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    kept = runner.invoke(app, ["tenants", "webhook", "acme", "--clear-url"])
    assert kept.exit_code == 0 and "whsec_" not in kept.stdout
    rotated = runner.invoke(app, ["tenants", "webhook", "acme", "--rotate-secret"])
    new = rotated.stdout.splitlines()[0]
    assert new.startswith("whsec_") and new != secret
    engine, sessions = build_database(settings)
    with sessions() as session:
        assert secret_of(session, "acme") == new
    engine.dispose()
