"""Sends the outbox: due deliveries are claimed (one replica each), attempted, and delivered or retried with
exponential back-off until WEBHOOK_RETRY_HOURS after the event; then they fail for good.

A claim moves the row's next attempt past the attempt's timeout before anything is sent, so a process that
dies mid-attempt leaves the row to be tried again by whoever runs next: deliveries are at least once, under
the same webhook-id, which receivers use to drop duplicates.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, utcnow
from ablage.settings import WebhookSettings
from ablage.webhooks.sending import USER_AGENT, Outcome, new_client, send
from ablage.webhooks.signing import signed_headers
from ablage.webhooks.targets import MalformedTarget, TargetRefused, resolve
from ablage.webhooks.tenant_config import secret_of

log = logging.getLogger(__name__)

_BATCH = 32
_SENDERS = 8
_PRUNE_EVERY = 3600.0
_CLAIM_MARGIN = 30.0
"""Seconds beyond the timeout a claimed row stays invisible to other replicas."""


@dataclass(frozen=True)
class _Claimed:
    id: str
    tenant_id: str
    url: str
    payload: str
    created_at: datetime
    attempts: int


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every timestamp is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class WebhookDispatcher:
    def __init__(self, settings: WebhookSettings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions
        self._client = new_client(settings.webhook_timeout)
        self._senders = ThreadPoolExecutor(_SENDERS, thread_name_prefix="webhook-send")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones, with ±10 % jitter so the retries of
        many events to one receiver spread out."""
        base = min(self._settings.webhook_max_backoff, self._settings.webhook_initial_backoff * 2 ** (attempts - 1))
        return base * random.uniform(0.9, 1.1)

    def _claim(self) -> list[_Claimed]:
        now = utcnow()
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == DeliveryStatus.pending, WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(_BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            hidden_until = now + timedelta(seconds=self._settings.webhook_timeout + _CLAIM_MARGIN)
            claimed = []
            for row in rows:
                row.next_attempt_at = hidden_until
                claimed.append(_Claimed(row.id, row.tenant_id, row.url, row.payload, row.created_at, row.attempts))
            return claimed

    def _attempt(self, delivery: _Claimed) -> Outcome:
        with self._sessions() as session:
            secret = secret_of(session, delivery.tenant_id)
        if not secret:
            return Outcome(None, "the tenant has no webhook secret (ablage tenants webhook --rotate-secret)", 0)
        try:
            target = resolve(delivery.url, self._settings.webhook_allowed_targets)
        except (MalformedTarget, TargetRefused) as exc:
            return Outcome(None, str(exc), 0)
        headers = signed_headers(secret, delivery.id, int(time.time()), delivery.payload)
        headers |= {"content-type": "application/json", "user-agent": USER_AGENT}
        return send(self._client, target, headers, delivery.payload.encode(), self._settings.webhook_timeout)

    def _record(self, delivery: _Claimed, at: datetime, outcome: Outcome) -> None:
        with self._sessions.begin() as session:
            row = session.get(WebhookDelivery, delivery.id)
            if row is None:
                return
            session.add(
                WebhookAttempt(
                    delivery_id=row.id,
                    at=at,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                )
            )
            row.attempts = delivery.attempts + 1
            now = utcnow()
            if outcome.delivered:
                row.status = DeliveryStatus.delivered
                row.delivered_at = now
                row.last_error = None
                return
            row.last_error = outcome.error
            retry_at = now + timedelta(seconds=self.backoff(row.attempts))
            if retry_at > _aware(delivery.created_at) + timedelta(hours=self._settings.webhook_retry_hours):
                row.status = DeliveryStatus.failed
                log.warning("webhook %s to %s failed for good: %s", row.id, row.url, outcome.error)
            else:
                row.next_attempt_at = retry_at

    def _deliver(self, delivery: _Claimed) -> None:
        at = utcnow()
        try:
            outcome = self._attempt(delivery)
        except Exception as exc:
            log.exception("webhook %s: unexpected error", delivery.id)
            outcome = Outcome(None, f"internal error: {type(exc).__name__}", 0)
        self._record(delivery, at, outcome)

    def dispatch_once(self) -> int:
        """Attempts the deliveries due now; how many were attempted."""
        claimed = self._claim()
        list(self._senders.map(self._deliver, claimed))
        return len(claimed)

    def prune_once(self, now: datetime | None = None) -> int:
        """Removes delivered and failed deliveries older than WEBHOOK_KEEP_DAYS with their attempts; the count."""
        before = (now or utcnow()) - timedelta(days=self._settings.webhook_keep_days)
        settled = (WebhookDelivery.status != DeliveryStatus.pending, WebhookDelivery.created_at < before)
        with self._sessions.begin() as session:
            session.execute(
                delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(select(WebhookDelivery.id).where(*settled)))
            )
            gone: CursorResult[Any] = session.execute(delete(WebhookDelivery).where(*settled))  # type: ignore[assignment]
            return int(gone.rowcount)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pruned_at = float("-inf")
        while not self._stop.wait(self._settings.webhook_poll_interval):
            try:
                self.dispatch_once()
                if time.monotonic() - pruned_at > _PRUNE_EVERY:
                    pruned_at = time.monotonic()
                    self.prune_once()
            except Exception:
                # The database is away: the rows wait for the next round.
                log.warning("webhook dispatch failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._settings.webhook_timeout + 5)
        self._senders.shutdown(wait=True, cancel_futures=True)
        self._client.close()
