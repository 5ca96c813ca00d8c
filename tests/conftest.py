"""Fixtures: the real app over ASGI inside its lifespan, on both backends.

- ``client``: the contract app of the test's backend, shared by the tests of one session (one pytest-xdist
  worker) and emptied between them. ``auto`` picks the deterministic test engine ``fake`` (tests/fakes); the
  other test engines are there by name (``fake-held``, ``fake-hang``, ``fake-crash``).
- ``ocr_client``: the same, with the real engines of this install (``auto`` as in production): for the smoke
  tests of real OCR over HTTP.
- ``client_for(**overrides)``: a fresh app of the test's own with changed settings (upload limits, timeouts,
  queue settings); real engines unless ``ocr`` names test engines (``ocr=FAKE_OCR``).
- ``make_settings(**overrides)``: the settings ``client_for`` uses: a DATA_DIR, PostgreSQL database, Redis
  namespace and buckets of the test's own.
- ``storage``: the storage of the app the test uses (``client``, ``ocr_client``, else ``client_for``'s).
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from ablage.engines.registry import register_engine
from ablage.engines.supervisor import EngineSupervisor
from ablage.settings import (
    AuthSettings,
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

from tests.apps import RunningApp, running_app
from tests.backends import (
    REDIS_URL,
    empty_postgres_url,
    postgres_template,
    postgres_url,
    redis_namespace,
    scratch_database,
    scratch_namespace,
)
from tests.fakes.engines import ENGINES as FAKE_ENGINES
from tests.fakes.engines import FAKE
from tests.integration.s3_server import s3_endpoint

__all__ = ["empty_postgres_url", "postgres_template", "postgres_url", "redis_namespace", "s3_endpoint"]

DATA = Path(__file__).parent / "data"
DOCUMENTS = DATA / "documents"
ROBUSTNESS = DATA / "robustness"

for _name, _target in FAKE_ENGINES.items():
    register_engine(_name, _target)

FAKE_OCR: dict[str, Any] = {"enabled_engines": list(FAKE_ENGINES)}
"""``ocr=`` for ``client_for``/``make_settings``: only the test engines, ``auto`` picks ``fake``."""
WORKERS = 2
# Engines that load in every install of the test extras: an app waits for those it enables.
ALWAYS_LOADED = {*FAKE_ENGINES, "tesseract", *(["rapidocr"] if importlib.util.find_spec("rapidocr") else [])}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # Session scope: the shared apps live in one event loop for the whole session.
    return "asyncio"


@pytest.fixture(scope="session")
def auto_engine() -> str:
    """The engine ``auto`` picks at /api/v1/cpu in this install: RapidOCR with the cpu extra, else Tesseract."""
    with EngineSupervisor.running(Settings(), CPU_ROUTE.engines) as engines:
        return next(name for name in CPU_ROUTE.engines if engines.wait(name, 120).available)


@pytest.fixture(params=["embedded", pytest.param("production", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> str:
    """Embedded (SQLite, disk, threads) or production (PostgreSQL, Redis, S3). Tests that exercise a backend's
    parts take this fixture (through ``client``) and run on both; tests that do not, use ``embedded_only``."""
    return str(request.param)


embedded_only = pytest.mark.parametrize("backend", ["embedded"])
"""For a test that exercises nothing backend-specific (parsing, limits, status codes): it runs once, embedded."""


def _production_parts(database_url: str, namespace: str, endpoint: str) -> dict[str, Any]:
    buckets = f"ablage-{uuid.uuid4().hex[:12]}"
    return {
        "database": DatabaseSettings(database_url=database_url),
        "queue": QueueSettings(redis_url=REDIS_URL, queue_namespace=namespace, embedded_workers=True, sweep_interval=1),
        "storage": StorageSettings(
            storage_backend=StorageBackend.s3,
            s3_endpoint_url=endpoint,
            s3_bucket_originals=f"{buckets}-originals",
            s3_bucket_processed=f"{buckets}-processed",
            s3_bucket_thumbnails=f"{buckets}-thumbnails",
        ),
    }


# The tests poll job status as fast as they can; the rate limit's own tests set theirs.
TEST_AUTH = AuthSettings(rate_limit="10000/second")


def _settings(data_dir: Path, parts: dict[str, Any], ocr: dict[str, Any] | None = None, **more: Any) -> Settings:
    if "auth" not in parts:
        more.setdefault("auth", TEST_AUTH)
    return Settings(
        service=ServiceSettings(data_dir=data_dir),
        ocr=OcrSettings(**({"workers": WORKERS} | (ocr or {}))),
        **parts,
        **more,
    )


def _make_buckets(settings: Settings) -> None:
    if settings.storage.backend is StorageBackend.s3:
        storage = build_storage(settings)
        assert isinstance(storage, S3Storage)
        provision_buckets(storage)


@pytest.fixture
def production_parts(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "embedded":
        return {}
    return _production_parts(
        request.getfixturevalue("postgres_url"),
        request.getfixturevalue("redis_namespace"),
        request.getfixturevalue("s3_endpoint"),
    )


@pytest.fixture
def make_settings(tmp_path: Path, production_parts: dict[str, Any]) -> Callable[..., Settings]:
    def build(
        upload: dict[str, Any] | None = None,
        ocr: dict[str, Any] | None = None,
        queue: dict[str, Any] | None = None,
        storage: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> Settings:
        parts = dict(production_parts)
        if auth:
            parts["auth"] = AuthSettings(**(TEST_AUTH.model_dump() | auth))
        if queue:
            parts["queue"] = QueueSettings(**(parts.get("queue", QueueSettings()).model_dump() | queue))
        if storage:
            parts["storage"] = StorageSettings(**(parts.get("storage", StorageSettings()).model_dump() | storage))
        settings = _settings(tmp_path / "data", parts, ocr, upload=UploadSettings(**(upload or {})))
        if not storage:
            # Changed storage settings may point nowhere on purpose (the fault tests): no buckets for those.
            _make_buckets(settings)
        return settings

    return build


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def _engines_to_wait_for(settings: Settings) -> list[str]:
    return [name for name in settings.ocr.enabled_engines if name in ALWAYS_LOADED]


@pytest.fixture
def client_for(make_settings: Callable[..., Settings]) -> ClientFactory:
    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(**overrides)
        async with running_app(settings, _engines_to_wait_for(settings)) as app, app.client() as client:
            yield client

    return open_client


# -- the shared apps: one per kind and backend in each test process -----------------------------------------


@asynccontextmanager
async def _shared_app(
    kind: str, tmp_path_factory: pytest.TempPathFactory, needed: list[str], production: dict[str, Any] | None = None
) -> AsyncIterator[RunningApp]:
    data_dir = tmp_path_factory.mktemp(kind) / "data"
    with ExitStack() as stack:
        parts: dict[str, Any] = {}
        if production is not None:
            parts = _production_parts(
                stack.enter_context(scratch_database(production["template"])),
                stack.enter_context(scratch_namespace()),
                production["endpoint"],
            )
        settings = _settings(data_dir, parts, FAKE_OCR if kind.startswith("contract") else None)
        _make_buckets(settings)
        async with running_app(settings, needed) as app:
            yield app


@pytest.fixture(scope="session")
async def _contract_app_embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with _shared_app("contract-embedded", tmp_path_factory, [FAKE]) as app:
        yield app


@pytest.fixture(scope="session")
async def _contract_app_production(
    tmp_path_factory: pytest.TempPathFactory, postgres_template: str, s3_endpoint: str
) -> AsyncIterator[RunningApp]:
    production = {"template": postgres_template, "endpoint": s3_endpoint}
    async with _shared_app("contract-production", tmp_path_factory, [FAKE], production) as app:
        yield app


@pytest.fixture(scope="session")
async def _ocr_app_embedded(tmp_path_factory: pytest.TempPathFactory, auto_engine: str) -> AsyncIterator[RunningApp]:
    async with _shared_app("ocr-embedded", tmp_path_factory, ["tesseract", auto_engine]) as app:
        yield app


@pytest.fixture(scope="session")
async def _ocr_app_production(
    tmp_path_factory: pytest.TempPathFactory, auto_engine: str, postgres_template: str, s3_endpoint: str
) -> AsyncIterator[RunningApp]:
    production = {"template": postgres_template, "endpoint": s3_endpoint}
    async with _shared_app("ocr-production", tmp_path_factory, ["tesseract", auto_engine], production) as app:
        yield app


@pytest.fixture
def contract_app(backend: str, request: pytest.FixtureRequest) -> Iterator[RunningApp]:
    """The shared contract app of the test's backend; emptied after the test."""
    app: RunningApp = request.getfixturevalue(f"_contract_app_{backend}")
    yield app
    app.reset()


@pytest.fixture
def ocr_app(backend: str, request: pytest.FixtureRequest) -> Iterator[RunningApp]:
    """The shared app with real engines of the test's backend; emptied after the test."""
    app: RunningApp = request.getfixturevalue(f"_ocr_app_{backend}")
    yield app
    app.reset()


@pytest.fixture
async def client(contract_app: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    async with contract_app.client() as client:
        yield client


@pytest.fixture
async def ocr_client(ocr_app: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    async with ocr_app.client() as client:
        yield client


@pytest.fixture
def storage(request: pytest.FixtureRequest) -> Storage:
    """The storage the test's app writes to, for checking what is stored."""
    if "client" in request.fixturenames:
        app: RunningApp = request.getfixturevalue("contract_app")
        return app.storage
    if "ocr_client" in request.fixturenames:
        app = request.getfixturevalue("ocr_app")
        return app.storage
    make_settings: Callable[..., Settings] = request.getfixturevalue("make_settings")
    return build_storage(make_settings())
