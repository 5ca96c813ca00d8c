"""The GPU service: the VLM engine that ``MODEL_NAME`` names (GOT-OCR2 or Janus-Pro), with the CPU engines as
fallback. Without ``MODEL_NAME``, or while its engine cannot run (no GPU, weights missing, CUDA broken), jobs
run on the CPU engines through the ``cpu`` queue, and ``/ready`` says why."""

from __future__ import annotations

from ablage.api.app import create_app as create_shared_app
from ablage.engines.vlm import engine_for_model
from ablage.jobs.routes import ServiceRoute
from ablage.settings import Settings
from ablage_services.cpu_backend.app import CPU_ENGINES
from fastapi import FastAPI


def gpu_engines(settings: Settings) -> tuple[str, ...]:
    model_name = settings.ocr.model_name
    return (engine_for_model(model_name),) if model_name else ()


def gpu_route(settings: Settings) -> ServiceRoute:
    return ServiceRoute(
        name="ocr", prefix="/api/v1/ocr", engines=gpu_engines(settings), fallback=CPU_ENGINES, queue="gpu"
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_shared_app(settings, [gpu_route(settings)])
