"""The CPU service. ``auto`` prefers Surya (layout, reading order and tables, where its weights and recognition
server are configured), then RapidOCR (more accurate than Tesseract on the test documents, about three times
slower), then Tesseract, which every install has. Office files go to Docling."""

from __future__ import annotations

from ablage.api.app import create_app as create_shared_app
from ablage.jobs.routes import ServiceRoute
from ablage.settings import Settings
from fastapi import FastAPI

CPU_ENGINES = ("surya", "rapidocr", "tesseract")
CPU_CONVERTERS = ("docling",)
CPU_ROUTE = ServiceRoute(name="cpu", prefix="/api/v1/cpu", engines=CPU_ENGINES, converters=CPU_CONVERTERS)


def cpu_route(settings: Settings) -> ServiceRoute:
    return CPU_ROUTE


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_shared_app(settings, [CPU_ROUTE])
