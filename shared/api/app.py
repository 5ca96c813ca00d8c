"""The app factory both services use: ``create_app(settings, routes)``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

import shared
from shared.api.middleware import MetricsMiddleware
from shared.api.ocr_routes import build_ocr_router
from shared.api.problems import register_exception_handlers
from shared.api.state import AppState
from shared.api.system_routes import router as system_router
from shared.db.session import create_schema, make_engine, make_sessionmaker
from shared.engines.registry import EngineRegistry
from shared.jobs.completion import CompletionWaiters
from shared.jobs.processor import JobProcessor
from shared.jobs.queue import InProcessQueue
from shared.jobs.routes import ServiceRoute
from shared.jobs.service import JobService
from shared.settings import Settings
from shared.storage.local import LocalStorage

log = logging.getLogger(__name__)


def build_state(settings: Settings, routes: Sequence[ServiceRoute]) -> AppState:
    settings.service.data_dir.mkdir(parents=True, exist_ok=True)
    db = make_engine(settings.database_url)
    create_schema(db)
    sessions = make_sessionmaker(db)
    storage = LocalStorage(settings.storage_dir)
    engines = EngineRegistry(settings)
    queue = InProcessQueue(settings.ocr.workers)
    waiters = CompletionWaiters()
    jobs = JobService(settings, sessions, storage, queue, engines)
    state = AppState(settings, tuple(routes), db, storage, engines, queue, jobs, waiters)
    candidates = tuple(dict.fromkeys(name for route in routes for name in route.candidates()))
    # Loading engines before the workers start keeps their first jobs as fast as the rest.
    for name in candidates:
        engines.is_available(name)
    processor = JobProcessor(settings, sessions, storage, engines, waiters, candidates)
    queue.start(processor, processor.warm_up)
    return state


_WARM_UP_TIMEOUT = 600


def create_app(settings: Settings | None = None, routes: Sequence[ServiceRoute] = ()) -> FastAPI:
    settings = settings or Settings()
    logging.basicConfig(level=settings.service.log_level.value)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await anyio.to_thread.run_sync(build_state, settings, routes)
        app.state.ablage = state
        state.warm = await anyio.to_thread.run_sync(state.queue.wait_warm, _WARM_UP_TIMEOUT)
        recovered = await anyio.to_thread.run_sync(state.jobs.recover)
        if recovered:
            log.info("re-queued %d unfinished job(s)", recovered)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(state.queue.stop)
            state.engines.close()
            state.db.dispose()

    app = FastAPI(
        title="Ablage-System OCR",
        version=shared.__version__,
        summary="OCR for German and English business documents: text, word boxes, Markdown, hOCR, ALTO.",
        lifespan=lifespan,
    )
    app.add_middleware(MetricsMiddleware)
    register_exception_handlers(app)
    app.include_router(system_router)
    for route in routes:
        app.include_router(build_ocr_router(route))
    return app
