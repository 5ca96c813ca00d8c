"""The real app for the tests, inside its lifespan, and what makes one app serve many tests in turn: waiting for
its engines, draining its jobs, and emptying its database, storage and Redis namespace between tests."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace

import anyio
import httpx
import redis
import uvicorn
from ablage.api.app import create_app as create_shared_app
from ablage.api.state import AppState
from ablage.db.models import DEFAULT_TENANT, UNMAPPED, Job, JobStatus
from ablage.jobs.routes import ServiceRoute
from ablage.settings import Settings
from ablage.storage.base import Area, Storage
from ablage.storage.local import LocalStorage
from ablage.storage.s3 import S3Storage
from ablage.tenancy.tenants import ensure_tenant
from ablage_services.cpu_backend.app import CPU_ROUTE
from ablage_services.embedded import create_app as create_embedded_app
from ablage_services.gpu_backend.app import gpu_route
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import MetaData, func, select, text

from tests.fakes.engines import ENGINES as FAKE_ENGINES

BASE_URL = "http://ablage.test"
ENGINES_LOADED_TIMEOUT = 120.0
DRAIN_TIMEOUT = 120.0


def routes_with_fakes(settings: Settings) -> list[ServiceRoute]:
    """The embedded service's routes; test engines named in ENABLED_ENGINES are preferred at both prefixes, so
    ``auto`` picks them, and the real engines stay reachable by name."""
    fakes = tuple(name for name in settings.ocr.enabled_engines if name in FAKE_ENGINES)
    gpu = gpu_route(settings)
    return [replace(gpu, fallback=fakes + gpu.fallback), replace(CPU_ROUTE, engines=fakes + CPU_ROUTE.engines)]


def create_test_app(settings: Settings) -> FastAPI:
    if not any(name in FAKE_ENGINES for name in settings.ocr.enabled_engines):
        return create_embedded_app(settings)
    return create_shared_app(settings, routes_with_fakes(settings))


@dataclass
class RunningApp:
    """An app whose lifespan has started."""

    app: FastAPI
    asgi: object  # the app as the lifespan manager wraps it, with the lifespan's state
    settings: Settings

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.ablage
        return state

    @property
    def storage(self) -> Storage:
        return self.state.backends.storage

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        """A client of the app; with ``token``, every request carries it as a Bearer credential."""
        transport = httpx.ASGITransport(app=self.asgi)  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=300, headers=headers)

    async def wait_for_engines(self, names: Sequence[str], timeout: float = ENGINES_LOADED_TIMEOUT) -> None:
        """Engines may load in the background after start-up; wait until ``names`` are available (as
        ``/engines`` would say, without needing a key)."""
        deadline = time.monotonic() + timeout
        engines = self.state.backends.engines
        while waiting := [name for name in names if not engines.status(name).available]:
            if time.monotonic() > deadline:
                states = {name: engines.status(name) for name in waiting}
                raise AssertionError(f"engines not loaded within {timeout:.0f} s: {states}")
            await anyio.sleep(0.1)

    def unfinished_jobs(self) -> int:
        unfinished = select(func.count()).select_from(Job).where(Job.status.in_([JobStatus.queued, JobStatus.running]))
        with self.state.backends.sessions() as session:
            return int(session.scalar(unfinished) or 0)

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait until the workers have finished every job a test left behind, so none writes into the next."""
        deadline = time.monotonic() + timeout
        while (left := self.unfinished_jobs()) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            raise AssertionError(f"{left} job(s) still queued or running {timeout:.0f} s after the test")

    def reset(self) -> None:
        """Drain, then empty the database (schema kept), the storage areas and the app's Redis namespace."""
        self.drain()
        _empty_database(self.state)
        _empty_storage(self.storage)
        if self.settings.queue.redis_url is not None:
            _empty_namespace(self.settings.queue.redis_url.get_secret_value(), self.settings.queue.queue_namespace)


@contextmanager
def served_over_http(app: RunningApp) -> Iterator[str]:
    """The started app behind a real socket on 127.0.0.1 (uvicorn in a thread), for what an in-memory transport
    cannot show: a stream read while it is still being written. Yields the base URL."""
    config = uvicorn.Config(app.asgi, host="127.0.0.1", port=0, lifespan="off", log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the test HTTP server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@asynccontextmanager
async def running_app(settings: Settings, engines: Sequence[str] = ()) -> AsyncIterator[RunningApp]:
    """The test app for ``settings``, started; returns once ``engines`` report loaded."""
    app = create_test_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
        running = RunningApp(app, manager.app, settings)
        await running.wait_for_engines(engines)
        yield running


def _empty_database(state: AppState) -> None:
    db = state.backends.db
    tables = MetaData()
    # The search index's FTS5 tables are emptied through their page rows (a trigger), never directly.
    tables.reflect(bind=db, only=lambda name, _metadata: name not in UNMAPPED)
    names = [table for table in reversed(tables.sorted_tables) if table.name != "alembic_version"]
    with db.begin() as connection:
        if db.dialect.name == "postgresql":
            quoted = ", ".join(f'"{table.name}"' for table in names)
            connection.execute(text(f"TRUNCATE {quoted} CASCADE"))
        else:
            for table in names:
                connection.execute(table.delete())
    # As a fresh database has it: the tenant of callers without keys, seeded by the migrations.
    with state.backends.sessions.begin() as session:
        ensure_tenant(session, DEFAULT_TENANT)
    state.backends.tenants.forget()
    state.auth.keys.forget()
    state.limiter.reset()


def _empty_storage(storage: Storage) -> None:
    if isinstance(storage, LocalStorage):
        for area in Area:
            for child in (storage.root / area).iterdir():
                storage.delete_prefix(area, child.name)
        return
    assert isinstance(storage, S3Storage), type(storage)
    # Every version and delete marker: the originals bucket is versioned.
    for area in Area:
        bucket = storage.bucket(area)
        for page in storage.client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            if entries:
                storage.client.delete_objects(
                    Bucket=bucket,
                    Delete={"Objects": [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]},
                )


def _empty_namespace(url: str, namespace: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        # The workers' heartbeats stay: they belong to the still-running workers, not to a test.
        keys = [key for key in client.scan_iter(f"{namespace}:*") if not key.endswith(b":__heartbeats__")]
        if keys:
            client.delete(*keys)
    finally:
        client.close()
