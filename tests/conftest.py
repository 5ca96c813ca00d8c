"""Fixtures: settings in a temporary DATA_DIR, and the real app driven over ASGI inside its lifespan."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from ablage.engines.supervisor import EngineSupervisor
from ablage.settings import (
    DatabaseSettings,
    OcrSettings,
    QueueSettings,
    ServiceSettings,
    Settings,
    StorageBackend,
    StorageSettings,
    UploadSettings,
)
from ablage.storage.base import Storage
from ablage.storage.build import build_storage
from ablage.storage.provision import provision_buckets
from ablage.storage.s3 import S3Storage
from ablage_services.cpu_backend.app import CPU_ROUTE
from ablage_services.embedded import create_app
from asgi_lifespan import LifespanManager

from tests.backends import REDIS_URL, empty_postgres_url, postgres_template, postgres_url, redis_namespace
from tests.integration.s3_server import s3_endpoint

__all__ = ["empty_postgres_url", "postgres_template", "postgres_url", "redis_namespace", "s3_endpoint"]

DATA = Path(__file__).parent / "data"
DOCUMENTS = DATA / "documents"
ROBUSTNESS = DATA / "robustness"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def auto_engine() -> str:
    """The engine ``auto`` picks at /api/v1/cpu in this install: RapidOCR with the cpu extra, else Tesseract."""
    with EngineSupervisor.running(Settings(), CPU_ROUTE.engines) as engines:
        return next(name for name in CPU_ROUTE.engines if engines.wait(name, 120).available)


@pytest.fixture(params=["embedded", pytest.param("production", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> str:
    """Every API test runs twice: embedded (SQLite, disk, threads) and production (PostgreSQL, Redis, S3)."""
    return str(request.param)


@pytest.fixture
def production_parts(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "embedded":
        return {}
    endpoint = request.getfixturevalue("s3_endpoint")
    buckets = f"ablage-{uuid.uuid4().hex[:12]}"
    parts = {
        "database": DatabaseSettings(database_url=request.getfixturevalue("postgres_url")),
        "queue": QueueSettings(
            redis_url=REDIS_URL,
            queue_namespace=request.getfixturevalue("redis_namespace"),
            embedded_workers=True,
            sweep_interval=1,
        ),
        "storage": StorageSettings(
            storage_backend=StorageBackend.s3,
            s3_endpoint_url=endpoint,
            s3_bucket_originals=f"{buckets}-originals",
            s3_bucket_processed=f"{buckets}-processed",
            s3_bucket_thumbnails=f"{buckets}-thumbnails",
        ),
    }
    return parts


@pytest.fixture
def make_settings(tmp_path: Path, production_parts: dict[str, Any]) -> Callable[..., Settings]:
    def build(
        upload: dict[str, Any] | None = None,
        ocr: dict[str, Any] | None = None,
        queue: dict[str, Any] | None = None,
        storage: dict[str, Any] | None = None,
    ) -> Settings:
        parts = dict(production_parts)
        if queue:
            parts["queue"] = QueueSettings(**(parts.get("queue", QueueSettings()).model_dump() | queue))
        if storage:
            parts["storage"] = StorageSettings(**(parts.get("storage", StorageSettings()).model_dump() | storage))
        settings = Settings(
            service=ServiceSettings(data_dir=tmp_path / "data"),
            upload=UploadSettings(**(upload or {})),
            ocr=OcrSettings(**({"workers": 2} | (ocr or {}))),
            **parts,
        )
        if settings.storage.backend is StorageBackend.s3 and not storage:
            storage = build_storage(settings)
            assert isinstance(storage, S3Storage)
            provision_buckets(storage)
        return settings

    return build


@pytest.fixture
def storage(make_settings: Callable[..., Settings]) -> Storage:
    """The storage the test's app writes to, for checking what is stored."""
    return build_storage(make_settings())


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_for(make_settings: Callable[..., Settings]) -> ClientFactory:
    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(**overrides))
        async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ablage.test", timeout=300) as client:
                yield client

    return open_client


@pytest.fixture
async def client(client_for: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for() as client:
        yield client
