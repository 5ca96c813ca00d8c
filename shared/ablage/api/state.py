"""What the lifespan builds once per process, and the dependency that hands it to routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ablage.jobs.backends import Backends
from ablage.jobs.routes import ServiceRoute
from ablage.jobs.service import JobService
from ablage.jobs.sweeper import Sweeper
from ablage.settings import Settings
from ablage.tenancy.identity import Authenticator
from ablage.tenancy.rate_limits import RequestLimiter
from ablage.webhooks.dispatcher import WebhookDispatcher


@dataclass
class AppState:
    backends: Backends
    routes: tuple[ServiceRoute, ...]
    jobs: JobService
    auth: Authenticator
    limiter: RequestLimiter
    sweeper: Sweeper | None = None
    webhooks: WebhookDispatcher | None = None
    warm: bool = False
    queue_depth_at: float = float("-inf")
    """When /metrics last counted the queued jobs (monotonic seconds)."""

    @property
    def settings(self) -> Settings:
        return self.backends.settings


def get_state(request: Request) -> AppState:
    return request.app.state.ablage  # type: ignore[no-any-return]


StateDep = Annotated[AppState, Depends(get_state)]
