"""The CPU service. Tesseract ships in the package; more CPU engines join ``CPU_ROUTE.engines``."""

from __future__ import annotations

from fastapi import FastAPI

from shared.api.app import create_app as create_shared_app
from shared.jobs.routes import ServiceRoute
from shared.settings import Settings

CPU_ENGINES = ("tesseract",)
CPU_ROUTE = ServiceRoute(name="cpu", prefix="/api/v1/cpu", engines=CPU_ENGINES)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_shared_app(settings, [CPU_ROUTE])
