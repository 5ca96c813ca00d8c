"""The CPU service. ``auto`` prefers RapidOCR (installed with the ``cpu`` extra; more accurate on the test
documents, about three times slower) and falls back to Tesseract, which every install has."""

from __future__ import annotations

from fastapi import FastAPI

from shared.api.app import create_app as create_shared_app
from shared.jobs.routes import ServiceRoute
from shared.settings import Settings

CPU_ENGINES = ("rapidocr", "tesseract")
CPU_ROUTE = ServiceRoute(name="cpu", prefix="/api/v1/cpu", engines=CPU_ENGINES)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_shared_app(settings, [CPU_ROUTE])
