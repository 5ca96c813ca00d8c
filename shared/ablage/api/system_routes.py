"""Liveness, readiness and metrics."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import InterfaceError, OperationalError

from ablage.api.auth import operator
from ablage.api.engine_view import engine_view
from ablage.api.responses import problems
from ablage.api.state import StateDep
from ablage.api.system_views import Health, Readiness
from ablage.db.session import ping
from ablage.jobs.queue import QueueUnavailable
from ablage.jobs.routes import queues_of
from ablage.metrics import QUEUE_DEPTH
from ablage.storage.base import StorageError

_QUEUE_DEPTH_EVERY = 5.0

router = APIRouter(tags=["system"])
metrics_router = APIRouter(tags=["system"])
"""Mounted unless METRICS_ENABLED=false."""


@router.get("/health", summary="Liveness: answers while the process lives", response_model=Health)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: database, storage, queue and engines",
    responses={
        200: {"model": Readiness, "description": "Ready"},
        503: {"model": Readiness, "description": "Not ready: the checks say which part is not usable"},
    },
)
def ready(state: StateDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    backends = state.backends
    try:
        ping(backends.db)
        checks["database"] = {"status": "ok", "backend": backends.db.dialect.name}
    except Exception as exc:
        checks["database"] = {"status": "unavailable", "detail": type(exc).__name__}
    try:
        backends.storage.check()
        checks["storage"] = {"status": "ok", "backend": state.settings.storage.backend.value}
    except StorageError as exc:
        checks["storage"] = {"status": "unavailable", "detail": str(exc)}
    try:
        backends.queue.check()
        checks["queue"] = {"status": "ok", "backend": backends.queue.backend}
    except QueueUnavailable as exc:
        checks["queue"] = {"status": "unavailable", "backend": backends.queue.backend, "detail": str(exc)}
    checks["warm_up"] = {"status": "ok" if state.warm else "pending"}
    services: dict[str, Any] = {}
    statuses = {name: backends.engines.status(name) for route in state.routes for name in route.offered()}
    for route in state.routes:
        preferred = [name for name in route.engines if statuses[name].available]
        fallback = [name for name in route.fallback if statuses[name].available]
        # A service with engines of its own (the GPU service with MODEL_NAME) is not ready while none of them
        # is: still loading, or broken. Its jobs still run on the fallback engines meanwhile.
        usable = preferred if route.engines else fallback
        entry: dict[str, Any] = {
            "prefix": route.prefix,
            "status": "ok" if usable else "unavailable",
            "engines": [engine_view(statuses[name]) for name in route.offered()],
        }
        if not preferred:
            entry["detail"] = (
                f"none of its own engines ({', '.join(route.engines) or 'none implemented yet'}) is usable; "
                + (f"jobs run on {', '.join(fallback)}" if fallback else "no fallback engine")
            )
        services[route.name] = entry
    checks["services"] = services
    ok = all(check["status"] == "ok" for key, check in checks.items() if key != "services") and all(
        entry["status"] == "ok" for entry in services.values()
    )
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


@metrics_router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **problems(401, 500),
    },
    dependencies=[Depends(operator)],
)
def metrics(state: StateDep) -> Response:
    # The database, not Redis, knows what waits: it is the record, and every replica sees the same. Counted at
    # most every few seconds, so scrapes cannot become a load on the database.
    now = time.monotonic()
    if now - state.queue_depth_at >= _QUEUE_DEPTH_EVERY:
        state.queue_depth_at = now
        with contextlib.suppress(OperationalError, InterfaceError):
            for queue_name in queues_of(state.routes):
                QUEUE_DEPTH.labels(queue_name).set(state.jobs.queued_count(queue_name))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
