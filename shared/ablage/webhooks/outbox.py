"""The events a job's end produces, written into the outbox in the transaction that ends the job, so no event
is lost between finishing and sending."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ablage.db.models import DeliveryStatus, Job, JobStatus, Tenant, WebhookDelivery, utcnow
from ablage.webhooks.signing import new_message_id

EVENTS = {
    JobStatus.succeeded: "job.succeeded",
    JobStatus.failed: "job.failed",
    JobStatus.cancelled: "job.cancelled",
}


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def event_body(job: Job, event: str, at: datetime) -> str:
    """The body sent on every attempt: the job's own fields only, nothing of its tenant or others."""
    prefix = f"/api/v1/{job.service}/jobs/{job.id}"
    payload = {
        "type": event,
        "timestamp": _iso(at),
        "data": {
            "id": job.id,
            "status": job.status.value,
            "pages_done": job.pages_done,
            "pages_total": len(job.pages),
            "links": {"self": prefix, "result": f"{prefix}/result"},
            "error": job.error,
        },
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def record_final_event(session: Session, job: Job) -> WebhookDelivery | None:
    """Adds the delivery of the job's final event in the caller's transaction: to the job's callback_url, else
    the tenant's default URL; nothing when neither is set."""
    event = EVENTS.get(job.status)
    if event is None:
        return None
    url = job.callback_url or session.scalar(select(Tenant.webhook_url).where(Tenant.id == job.tenant_id))
    if not url:
        return None
    now = utcnow()
    delivery = WebhookDelivery(
        id=new_message_id(),
        tenant_id=job.tenant_id,
        job_id=job.id,
        url=url,
        event=event,
        payload=event_body(job, event, now),
        status=DeliveryStatus.pending,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    return delivery
