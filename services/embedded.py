"""One process serving both prefixes on embedded defaults: what ``ablage serve`` runs."""

from __future__ import annotations

from ablage.api.app import create_app as create_shared_app
from ablage.settings import Settings
from ablage_services.cpu_backend.app import CPU_ROUTE
from ablage_services.gpu_backend.app import gpu_route
from fastapi import FastAPI


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_shared_app(settings, [gpu_route(settings), CPU_ROUTE])
