"""The real app on a loopback port for a browser: uvicorn in a thread (its lifespan runs there), the real
Tesseract engine, an embedded database of its own."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from ablage.api.state import AppState
from ablage.settings import OcrSettings, ServiceSettings, Settings, UploadSettings
from fastapi import FastAPI

from tests.apps import ENGINES_LOADED_TIMEOUT, create_test_app
from tests.conftest import TEST_AUTH

ENGINE = "tesseract"
_START_TIMEOUT = 120.0


@dataclass
class Served:
    base: str
    app: FastAPI

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.ablage
        return state


@contextmanager
def served(data_dir: Path, max_upload_size: int | None = None) -> Iterator[Served]:
    upload = UploadSettings(max_upload_size=max_upload_size) if max_upload_size else UploadSettings()
    settings = Settings(
        service=ServiceSettings(data_dir=data_dir),
        upload=upload,
        ocr=OcrSettings(workers=2, enabled_engines=[ENGINE]),
        auth=TEST_AUTH,
    )
    app = create_test_app(settings)
    # A socket bound here, so the port is known before uvicorn starts and no other process can take it.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("the app did not start")
            time.sleep(0.05)
        running = Served(f"http://127.0.0.1:{port}", app)
        engines = running.state.backends.engines
        deadline = time.monotonic() + ENGINES_LOADED_TIMEOUT
        while not engines.status(ENGINE).available:
            if time.monotonic() > deadline:
                raise AssertionError(f"{ENGINE} not loaded: {engines.status(ENGINE)}")
            time.sleep(0.1)
        yield running
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()
