"""The CPU service. ``auto`` prefers Surya (layout, reading order and tables, where its weights and recognition
server are configured), then RapidOCR (more accurate than Tesseract on the test documents, about three times
slower), then Tesseract, which every install has. Office files go to Docling."""

from __future__ import annotations

from fastapi import FastAPI

from shared.api.app import create_app as create_shared_app
from shared.jobs.routes import ServiceRoute
from shared.settings import Settings

CPU_ENGINES = ("surya", "rapidocr", "tesseract")
CPU_CONVERTERS = ("docling",)
CPU_ROUTE = ServiceRoute(name="cpu", prefix="/api/v1/cpu", engines=CPU_ENGINES, converters=CPU_CONVERTERS)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_shared_app(settings, [CPU_ROUTE])
