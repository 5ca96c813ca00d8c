"""The app factory both services use: ``create_app(settings, routes)``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

import ablage
from ablage.api.auth import RateLimitHeaders, reader_of_docs
from ablage.api.delivery_routes import build_delivery_router
from ablage.api.middleware import MetricsMiddleware
from ablage.api.ocr_routes import build_ocr_router
from ablage.api.openapi import install_openapi
from ablage.api.problems import register_exception_handlers
from ablage.api.search_routes import build_search_router
from ablage.api.state import AppState
from ablage.api.system_routes import metrics_router
from ablage.api.system_routes import router as system_router
from ablage.api.version_routes import build_version_router
from ablage.api.web_page import serve_web
from ablage.engines.registry import plugin_engines
from ablage.jobs.backends import Backends
from ablage.jobs.processor import JobProcessor
from ablage.jobs.routes import ServiceRoute, queues_of
from ablage.jobs.service import JobService
from ablage.jobs.sweeper import Sweeper
from ablage.runtime import build_backends
from ablage.settings import Settings
from ablage.tenancy.identity import Authenticator
from ablage.tenancy.keys import KeyStore
from ablage.tenancy.rate_limits import RequestLimiter
from ablage.webhooks.dispatcher import WebhookDispatcher

log = logging.getLogger(__name__)

_WARM_UP_TIMEOUT = 600


def build_state(settings: Settings, routes: Sequence[ServiceRoute]) -> AppState:
    backends = build_backends(settings)
    candidates = tuple(dict.fromkeys(name for route in routes for name in route.offered()))
    backends.engines.start(candidates)
    # The first attempts run in parallel; waiting for them lets the first jobs find the engines the service
    # prefers. An engine that takes longer joins in the background, and one that failed is retried there.
    if not backends.engines.wait_started(settings.ocr.engine_start_wait):
        log.warning("engines still loading after %.0f s; they join when ready", settings.ocr.engine_start_wait)
    auth = Authenticator(settings, KeyStore(backends.sessions, settings.auth.key_cache_seconds))
    try:
        access = auth.check_start(settings)
        (log.warning if auth.is_open() else log.info)("%s", access)
    except Exception:
        backends.close()
        raise
    redis_url = settings.queue.redis_url.get_secret_value() if settings.queue.redis_url else None
    limiter = RequestLimiter(redis_url, settings.queue.queue_namespace)
    state = AppState(backends, tuple(routes), JobService(backends), auth, limiter)
    if settings.queue.runs_embedded_workers:
        processor = JobProcessor.serving(backends, routes, candidates)
        backends.queue.start_workers(processor, queues_of(routes), settings.ocr.workers, processor.warm_up)
    # Every API process sends the outbox: replicas claim different rows, and no event waits for a worker.
    state.webhooks = WebhookDispatcher(settings.webhook, backends.sessions)
    state.webhooks.start()
    if settings.queue.uses_redis:
        state.sweeper = Sweeper(settings.queue, backends.sessions, backends.queue, backends.lifecycle)
        state.sweeper.start()
        backends.queue.subscribe(Backends.COMPLETED, backends.waiters.wake)
        if settings.queue.runs_embedded_workers:
            backends.queue.subscribe(Backends.CANCEL, backends.lifecycle.cancels.deliver)
    return state


def _serve_docs(app: FastAPI) -> None:
    gate = [Depends(reader_of_docs)]

    @app.get("/openapi.json", include_in_schema=False, dependencies=gate)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=gate)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} – Swagger UI")

    @app.get("/redoc", include_in_schema=False, dependencies=gate)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} – ReDoc")


def create_app(settings: Settings | None = None, routes: Sequence[ServiceRoute] = ()) -> FastAPI:
    settings = settings or Settings()
    logging.basicConfig(level=settings.service.log_level.value)
    plugins = plugin_engines(settings)
    routes = [route.with_plugins(plugins) for route in routes]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await anyio.to_thread.run_sync(build_state, settings, routes)
        app.state.ablage = state
        if settings.queue.runs_embedded_workers:
            state.warm = await anyio.to_thread.run_sync(state.backends.queue.wait_warm, _WARM_UP_TIMEOUT)
            if not settings.queue.uses_redis:
                recovered = await anyio.to_thread.run_sync(state.jobs.recover)
                if recovered:
                    log.info("re-queued %d unfinished job(s)", recovered)
        else:
            state.warm = True
        try:
            yield
        finally:
            if state.sweeper is not None:
                state.sweeper.stop()
            if state.webhooks is not None:
                await anyio.to_thread.run_sync(state.webhooks.stop)
            await anyio.to_thread.run_sync(state.backends.close)

    app = FastAPI(
        title="Ablage-System OCR",
        version=ablage.__version__,
        summary="OCR for German and English business documents: text, word boxes, Markdown, hOCR, ALTO.",
        lifespan=lifespan,
        # Served below, behind the callers' keys unless DOCS_PUBLIC; off (404) where DOCS_ENABLED=false.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(MetricsMiddleware)
    if settings.service.docs_enabled:
        _serve_docs(app)
    register_exception_handlers(app)
    app.include_router(system_router)
    if settings.service.metrics_enabled:
        app.include_router(metrics_router)
    for route in routes:
        app.include_router(build_ocr_router(route))
        app.include_router(build_delivery_router(route))
    if routes:
        app.include_router(build_search_router())
        app.include_router(build_version_router())
    if settings.service.web_ui_enabled:
        serve_web(app)
    install_openapi(app)
    return app
