"""The GPU service. No GPU engine is implemented yet: ``/ready`` says so, and jobs run on the CPU engines."""

from __future__ import annotations

from fastapi import FastAPI

from services.cpu_backend.app import CPU_ENGINES
from shared.api.app import create_app as create_shared_app
from shared.jobs.routes import ServiceRoute
from shared.settings import Settings

GPU_ENGINES: tuple[str, ...] = ()
GPU_ROUTE = ServiceRoute(name="ocr", prefix="/api/v1/ocr", engines=GPU_ENGINES, fallback=CPU_ENGINES, queue="gpu")


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_shared_app(settings, [GPU_ROUTE])
