"""What ``GET {prefix}/jobs/{id}/deliveries`` shows: a job's deliveries with their attempts, oldest first."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ablage.db.models import WebhookAttempt, WebhookDelivery


def deliveries_of(session: Session, tenant: str, job_id: str) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    deliveries = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.tenant_id == tenant, WebhookDelivery.job_id == job_id)
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    ).all()
    attempts: dict[str, list[WebhookAttempt]] = defaultdict(list)
    if deliveries:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([delivery.id for delivery in deliveries]))
            .order_by(WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [(delivery, attempts[delivery.id]) for delivery in deliveries]
