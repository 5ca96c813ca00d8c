"""``GET {prefix}/jobs/{id}/deliveries``: the webhook deliveries of one of the caller's jobs and their attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ablage.api.auth import CallerDep
from ablage.api.responses import problems
from ablage.api.state import StateDep
from ablage.db.models import DeliveryStatus
from ablage.jobs.routes import ServiceRoute
from ablage.webhooks.deliveries import deliveries_of

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class AttemptView(BaseModel):
    at: Timestamp
    status_code: int | None = Field(description="the receiver's HTTP status; absent when none came")
    error: str | None = Field(description="why the attempt failed; null when it was delivered")
    duration_ms: int = Field(ge=0)


class DeliveryView(BaseModel):
    id: str = Field(description="the webhook-id, the same on every attempt")
    event: str = Field(description="job.succeeded, job.failed or job.cancelled")
    url: str
    status: DeliveryStatus
    attempts: list[AttemptView]
    next_attempt_at: Timestamp | None = Field(description="while pending: when it is tried next")
    delivered_at: Timestamp | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryView]


def _time(value: datetime) -> str:
    # SQLite hands back naive datetimes; every timestamp is stored in UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def build_delivery_router(route: ServiceRoute) -> APIRouter:
    router = APIRouter(prefix=route.prefix, tags=[route.name])

    @router.get(
        "/jobs/{job_id}/deliveries",
        summary="Webhook deliveries of the job",
        description="Each event sent to the job's callback_url (or the tenant's webhook URL), with its attempts.",
        responses=problems(401, 404, 429, 500, 503),
    )
    def get_deliveries(job_id: str, state: StateDep, caller: CallerDep) -> DeliveryList:
        state.jobs.get(job_id, caller.tenant)  # another tenant's job is as absent as an unknown one
        with state.backends.sessions() as session:
            found = deliveries_of(session, caller.tenant, job_id)
            views = [
                DeliveryView(
                    id=delivery.id,
                    event=delivery.event,
                    url=delivery.url,
                    status=delivery.status,
                    attempts=[
                        AttemptView(
                            at=_time(attempt.at),
                            status_code=attempt.status_code,
                            error=attempt.error,
                            duration_ms=attempt.duration_ms,
                        )
                        for attempt in attempts
                    ],
                    next_attempt_at=(
                        _time(delivery.next_attempt_at) if delivery.status is DeliveryStatus.pending else None
                    ),
                    delivered_at=_time(delivery.delivered_at) if delivery.delivered_at else None,
                )
                for delivery, attempts in found
            ]
        return DeliveryList(deliveries=views)

    return router
