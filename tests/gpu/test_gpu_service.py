"""The GPU service over HTTP: a tiny model serving /api/v1/ocr on the CPU, and the CPU engines answering
its jobs when the model is missing, out of memory or its CUDA context broke."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from ablage.settings import Settings
from ablage_services.gpu_backend.app import create_app
from asgi_lifespan import LifespanManager

from tests.gpu.conftest import GOT, JANUS, model_settings
from tests.images import encode, text_image
from tests.jobs import run_job

pytestmark = pytest.mark.anyio

PAGE = encode(text_image("Rechnung 4711"), "PNG")


@asynccontextmanager
async def gpu_service(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ablage.test", timeout=120) as client:
            yield client, app.state.ablage.backends.engines


async def ready(client: httpx.AsyncClient, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get("/ready")
        if response.status_code == 200 or time.monotonic() > deadline:
            return {"status_code": response.status_code, **response.json()}
        await asyncio.sleep(0.1)


def gpu_settings(make_settings: Callable[..., Settings], model_name: str, root: Path, **overrides: Any) -> Settings:
    settings = make_settings(ocr={"model_name": model_name})
    settings.model = model_settings(root, **overrides)
    return settings


@pytest.mark.parametrize("model_name", [GOT, JANUS])
async def test_the_model_serves_ocr_jobs(
    make_settings: Callable[..., Settings], model_root: Path, model_name: str
) -> None:
    engine = {GOT: "got-ocr2", JANUS: "janus-pro"}[model_name]
    async with gpu_service(gpu_settings(make_settings, model_name, model_root)) as (client, _):
        readiness = await ready(client)
        assert readiness["status_code"] == 200, readiness
        described = readiness["checks"]["services"]["ocr"]["engines"][0]
        assert described["name"] == engine and described["loaded"] and described["version"] == model_name
        status = await run_job(client, PAGE, prefix="/api/v1/ocr")
        assert status["status"] == "succeeded", status
        assert (status["engine"], status["queue"]) == (engine, "gpu")
        result = (await client.get(status["links"]["result"])).json()
        assert result["engine"] == {"name": engine, "version": model_name}
        assert [page["engine"] for page in result["pages"]] == [engine]
        metrics = (await client.get("/metrics")).text
        assert f'ablage_engine_batch_size_count{{engine="{engine}"}}' in metrics


async def test_without_the_model_jobs_run_on_the_cpu_engines(
    make_settings: Callable[..., Settings], tmp_path: Path, auto_engine: str
) -> None:
    missing = tmp_path / "no-such-models"
    async with gpu_service(gpu_settings(make_settings, GOT, missing)) as (client, _):
        readiness = await ready(client, timeout=0)
        assert readiness["status_code"] == 503
        ocr = readiness["checks"]["services"]["ocr"]
        assert ocr["status"] == "unavailable" and str(missing) in ocr["engines"][0]["detail"]
        assert (await client.get("/health")).status_code == 200
        status = await run_job(client, PAGE, prefix="/api/v1/ocr")
        assert status["status"] == "succeeded", status
        assert (status["engine"], status["queue"]) == (auto_engine, "cpu")


@pytest.mark.parametrize(
    ("failure", "reason", "still_ready"),
    [
        (torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)"), "oom", True),
        (RuntimeError("CUDA error: an illegal memory access was encountered"), "cuda_error", False),
    ],
)
async def test_a_failing_gpu_hands_the_job_to_the_cpu_queue(
    make_settings: Callable[..., Settings],
    model_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    auto_engine: str,
    failure: BaseException,
    reason: str,
    still_ready: bool,
) -> None:
    from prometheus_client import REGISTRY

    async with gpu_service(gpu_settings(make_settings, GOT, model_root)) as (client, engines):
        assert (await ready(client))["status_code"] == 200
        engine = engines.get("got-ocr2")

        def fail(batch: Any, max_new_tokens: int) -> Any:
            raise failure

        monkeypatch.setattr(engine, "_generate", fail)
        labels = {"engine": "got-ocr2", "reason": reason}
        before = REGISTRY.get_sample_value("ablage_engine_fallbacks_total", labels) or 0
        status = await run_job(client, PAGE, prefix="/api/v1/ocr")
        assert status["status"] == "succeeded", status
        # The job records the engine that really read it, and its result agrees page by page.
        assert (status["engine"], status["queue"]) == (auto_engine, "cpu")
        assert status["attempts"] == 1
        result = (await client.get(status["links"]["result"])).json()
        assert result["engine"]["name"] == auto_engine
        assert {page["engine"] for page in result["pages"]} == {auto_engine}
        assert REGISTRY.get_sample_value("ablage_engine_fallbacks_total", labels) == before + 1

        readiness = await client.get("/ready")
        assert (readiness.status_code == 200) is still_ready
        assert (await client.get("/health")).status_code == 200
        if not still_ready:
            # New jobs no longer wait for the GPU: they go to the cpu queue at once.
            again = await run_job(client, PAGE, prefix="/api/v1/ocr")
            assert (again["engine"], again["queue"]) == (auto_engine, "cpu")
