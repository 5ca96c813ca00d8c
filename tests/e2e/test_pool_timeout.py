"""Every pooled database connection busy for DB_POOL_TIMEOUT is an outage of a backing service (503 with
Retry-After), not an internal error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ablage.settings import DatabaseSettings, Settings

from tests.apps import running_app
from tests.conftest import FAKE_OCR
from tests.e2e.test_bad_input import assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_a_pool_timeout_is_a_503_with_retry_after(make_settings: Callable[..., Settings], backend: str) -> None:
    if backend != "production":
        pytest.skip("SQLite is not pooled like a server database")
    settings = make_settings(ocr={**FAKE_OCR, "workers": 1})
    pooled = settings.database.model_dump() | {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.2}
    settings = settings.model_copy(update={"database": DatabaseSettings(**pooled)})
    async with running_app(settings) as app, app.client() as client:
        with app.state.backends.db.connect():
            response = await client.get("/api/v1/cpu/jobs/00000000-0000-4000-8000-000000000000")
        problem = assert_problem(response, 503, "/problems/dependency-unavailable")
        assert response.headers["retry-after"] == "10"
        assert "database" in problem["detail"]
        assert (await client.get("/api/v1/cpu/jobs/00000000-0000-4000-8000-000000000000")).status_code == 404
