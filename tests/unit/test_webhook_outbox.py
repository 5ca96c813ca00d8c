"""The outbox keeps what is pending, however old, and drops settled deliveries after WEBHOOK_KEEP_DAYS; the
back-off doubles up to its ceiling."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ablage.db.migrate import upgrade
from ablage.db.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, utcnow
from ablage.db.session import make_engine, make_sessionmaker
from ablage.settings import WebhookSettings
from ablage.webhooks.dispatcher import WebhookDispatcher
from sqlalchemy import select


def _delivery(name: str, status: DeliveryStatus, age_days: float) -> WebhookDelivery:
    created = utcnow() - timedelta(days=age_days)
    return WebhookDelivery(
        id=name,
        tenant_id="default",
        job_id="job",
        url="https://example.com/",
        event="job.succeeded",
        payload="{}",
        status=status,
        attempts=1,
        next_attempt_at=created,
        created_at=created,
    )


def test_settled_deliveries_leave_after_the_keep_days(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        session.add_all(
            [
                _delivery("old-delivered", DeliveryStatus.delivered, 31),
                _delivery("old-failed", DeliveryStatus.failed, 40),
                _delivery("old-pending", DeliveryStatus.pending, 31),
                _delivery("recent-delivered", DeliveryStatus.delivered, 1),
            ]
        )
        session.flush()
        session.add(WebhookAttempt(delivery_id="old-delivered", at=utcnow(), status_code=204, duration_ms=3))
    dispatcher = WebhookDispatcher(WebhookSettings(), sessions)
    try:
        assert dispatcher.prune_once() == 2
    finally:
        dispatcher.stop()
    with sessions() as session:
        assert set(session.scalars(select(WebhookDelivery.id))) == {"old-pending", "recent-delivered"}
        assert session.scalars(select(WebhookAttempt)).all() == []
    engine.dispose()


def test_backoff_doubles_to_its_ceiling() -> None:
    dispatcher = WebhookDispatcher(WebhookSettings(webhook_initial_backoff=5, webhook_max_backoff=3600), None)  # type: ignore[arg-type]
    try:
        waits = [dispatcher.backoff(attempt) for attempt in range(1, 14)]
    finally:
        dispatcher.stop()
    assert 4.5 <= waits[0] <= 5.5 and 9 <= waits[1] <= 11
    assert all(3240 <= wait <= 3960 for wait in waits[-3:])
