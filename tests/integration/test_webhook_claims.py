"""Replicas share one outbox on PostgreSQL: each due delivery is claimed by one dispatcher (FOR UPDATE SKIP
LOCKED), so two dispatchers running at once send every event once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ablage.db.models import DeliveryStatus, WebhookDelivery, utcnow
from ablage.db.session import make_engine, make_sessionmaker
from ablage.settings import WebhookSettings
from ablage.webhooks import dispatcher as dispatcher_module
from ablage.webhooks.dispatcher import WebhookDispatcher
from ablage.webhooks.signing import new_message_id
from ablage.webhooks.tenant_config import configure
from sqlalchemy import func, select

pytestmark = pytest.mark.integration

EVENTS = 40


def test_two_dispatchers_send_each_event_once(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # One row per claim: the two dispatchers' claims interleave over many rounds.
    monkeypatch.setattr(dispatcher_module, "_BATCH", 1)
    received: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            time.sleep(0.02)  # long enough for the other dispatcher to look for work meanwhile
            with lock:
                received.append(self.headers["webhook-id"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = make_engine(postgres_url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    with sessions.begin() as session:
        configure(session, "acme", rotate_secret=True)
        for number in range(EVENTS):
            session.add(
                WebhookDelivery(
                    id=new_message_id(),
                    tenant_id="acme",
                    job_id=f"job-{number}",
                    url=f"http://127.0.0.1:{server.server_address[1]}/hooks",
                    event="job.succeeded",
                    payload="{}",
                    status=DeliveryStatus.pending,
                    attempts=0,
                    next_attempt_at=now - timedelta(seconds=1),
                    created_at=now,
                )
            )
    settings = WebhookSettings(webhook_allowed_targets=["127.0.0.1/32"], webhook_poll_interval=0.001)
    dispatchers = [WebhookDispatcher(settings, sessions) for _ in range(2)]
    try:
        for dispatcher in dispatchers:
            dispatcher.start()
        deadline = time.monotonic() + 60
        while len(set(received)) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        for dispatcher in dispatchers:
            dispatcher.stop()
        server.shutdown()
        server.server_close()
    with sessions() as session:
        delivered = session.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.delivered)
        )
    engine.dispose()
    assert len(received) == len(set(received)) == EVENTS
    assert delivered == EVENTS
