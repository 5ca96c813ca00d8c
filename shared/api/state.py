"""What the lifespan builds once per process, and the dependencies that hand it to routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from shared.engines.registry import EngineRegistry
from shared.jobs.completion import CompletionWaiters
from shared.jobs.queue import JobQueue
from shared.jobs.routes import ServiceRoute
from shared.jobs.service import JobService
from shared.settings import Settings
from shared.storage.base import Storage


@dataclass
class AppState:
    settings: Settings
    routes: tuple[ServiceRoute, ...]
    db: Engine
    storage: Storage
    engines: EngineRegistry
    queue: JobQueue
    jobs: JobService
    waiters: CompletionWaiters
    warm: bool = False


def get_state(request: Request) -> AppState:
    return request.app.state.ablage  # type: ignore[no-any-return]


StateDep = Annotated[AppState, Depends(get_state)]
