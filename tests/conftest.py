"""Fixtures: settings in a temporary DATA_DIR, and the real app driven over ASGI inside its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.embedded import create_app
from shared.settings import OcrSettings, ServiceSettings, Settings, UploadSettings

DATA = Path(__file__).parent / "data"
DOCUMENTS = DATA / "documents"
ROBUSTNESS = DATA / "robustness"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(upload: dict[str, Any] | None = None, ocr: dict[str, Any] | None = None) -> Settings:
        return Settings(
            service=ServiceSettings(data_dir=tmp_path / "data"),
            upload=UploadSettings(**(upload or {})),
            ocr=OcrSettings(**({"workers": 2} | (ocr or {}))),
        )

    return build


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
