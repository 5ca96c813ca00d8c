"""The CLI assembles workers and apps from the services' entry points, without importing the services."""

from __future__ import annotations

import pytest
import typer
from ablage.cli.services import app_factory, service_routes
from ablage.jobs.routes import ServiceRoute, queue_engines
from ablage.settings import OcrSettings, Settings
from ablage_services.cpu_backend.app import CPU_ROUTE
from ablage_services.gpu_backend.app import gpu_route


def test_the_installed_routes_are_the_services_own() -> None:
    settings = Settings(ocr=OcrSettings(model_name="stepfun-ai/GOT-OCR-2.0-hf"))
    assert service_routes(settings) == [CPU_ROUTE, gpu_route(settings)]


def test_each_queue_runs_the_engines_its_routes_send_there() -> None:
    settings = Settings(ocr=OcrSettings(model_name="stepfun-ai/GOT-OCR-2.0-hf"))
    routes = service_routes(settings)
    assert queue_engines(routes, "cpu") == ("surya", "rapidocr", "tesseract")
    assert queue_engines(routes, "gpu") == ("got-ocr2",)
    assert queue_engines(service_routes(Settings(ocr=OcrSettings(model_name=None))), "gpu") == ()


def test_a_fallback_engine_runs_on_the_cpu_queue_even_on_a_gpu_route() -> None:
    route = ServiceRoute(name="ocr", prefix="/ocr", engines=("got-ocr2",), fallback=("tesseract",), queue="gpu")
    assert queue_engines([route], "cpu") == ("tesseract",)
    assert queue_engines([route], "gpu") == ("got-ocr2",)


def test_apps_are_found_by_service_name() -> None:
    assert app_factory("cpu") == "ablage_services.cpu_backend.app:create_app"
    assert app_factory("embedded") == "ablage_services.embedded:create_app"
    with pytest.raises(typer.BadParameter, match="reinstall"):
        app_factory("nonexistent")
