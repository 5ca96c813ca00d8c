"""What a deployment publishes besides the API: the OpenAPI description and the metrics can be switched off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ablage.settings import ServiceSettings, Settings

from tests.apps import running_app
from tests.conftest import FAKE_OCR, embedded_only

pytestmark = pytest.mark.anyio


@embedded_only
async def test_docs_and_metrics_can_be_switched_off(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(ocr=FAKE_OCR)
    for enabled in (True, False):
        service = settings.service.model_dump() | {"docs_enabled": enabled, "metrics_enabled": enabled}
        changed = settings.model_copy(update={"service": ServiceSettings(**service)})
        async with running_app(changed) as app, app.client() as client:
            expected = 200 if enabled else 404
            for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
                response = await client.get(path)
                assert response.status_code == expected, (enabled, path, response.status_code)
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/api/v1/cpu/engines")).status_code == 200
