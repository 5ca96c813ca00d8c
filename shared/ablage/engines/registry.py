"""Engines by name. A module path is registered, and imported only when the engine is first asked for,
so an image without torch never imports torch."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable

from ablage.engines.base import DocumentEngine, EngineInfo, OcrEngine
from ablage.errors import EngineUnavailable
from ablage.settings import Settings

log = logging.getLogger(__name__)

EngineFactory = Callable[[Settings], OcrEngine | DocumentEngine]
# A failed engine is tried again after this long: its weights may be mounted, or its server started, later,
# and the replica should pick it up without a restart. Engines check what they need before importing
# anything heavy, so a retry of a missing part costs milliseconds.
RETRY_AFTER = 30.0

_FACTORIES: dict[str, str] = {
    "tesseract": "ablage.engines.tesseract:TesseractEngine",
    "rapidocr": "ablage.engines.rapidocr:RapidOcrEngine",
    "surya": "ablage.engines.surya:SuryaEngine",
    "docling": "ablage.engines.docling:DoclingEngine",
    "got-ocr2": "ablage.engines.vlm.got_ocr2:GotOcr2Engine",
    "janus-pro": "ablage.engines.vlm.janus:JanusProEngine",
}


def register_engine(name: str, target: str) -> None:
    """``target`` is ``"package.module:Factory"``; the factory takes the settings."""
    _FACTORIES[name] = target


def registered_engines() -> list[str]:
    return list(_FACTORIES)


class EngineRegistry:
    """One instance of each engine per process, built on first use."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engines: dict[str, OcrEngine | DocumentEngine] = {}
        self._failures: dict[str, tuple[str, float]] = {}
        self._building: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> OcrEngine | DocumentEngine:
        with self._lock:
            engine = self._engines.get(name)
            if engine is not None:
                return engine
            building = self._building.setdefault(name, threading.Lock())
        # One engine builds at a time, without holding up lookups of the others (a slow probe of a missing
        # recognition server must not stall the workers' Tesseract).
        with building:
            with self._lock:
                engine = self._engines.get(name)
            if engine is not None:
                return engine
            engine = self._build(name)
            with self._lock:
                self._engines[name] = engine
            return engine

    def _build(self, name: str) -> OcrEngine | DocumentEngine:
        if name in self._failures:
            reason, since = self._failures[name]
            if time.monotonic() - since < RETRY_AFTER:
                raise EngineUnavailable(f"engine {name!r} is unavailable: {reason}")
            del self._failures[name]
        target = _FACTORIES.get(name)
        if target is None:
            raise EngineUnavailable(f"no engine named {name!r}; registered: {', '.join(_FACTORIES)}")
        if not self._enabled(name):
            raise EngineUnavailable(f"engine {name!r} is not enabled here (ENABLED_ENGINES)")
        module_name, _, attr = target.partition(":")
        try:
            factory: EngineFactory = getattr(importlib.import_module(module_name), attr)
            return factory(self._settings)
        except EngineUnavailable as exc:
            self._failures[name] = (exc.detail, time.monotonic())
            raise
        except Exception as exc:
            # Never leak the internals to clients; the log keeps the traceback.
            log.exception("engine %s failed to load", name)
            self._failures[name] = (f"{type(exc).__name__} while loading", time.monotonic())
            raise EngineUnavailable(f"engine {name!r} failed to load") from exc

    def ocr(self, name: str) -> OcrEngine:
        """An engine that reads page images, for the page loop."""
        engine = self.get(name)
        if isinstance(engine, DocumentEngine):
            raise EngineUnavailable(f"engine {name!r} converts whole documents; it does not read page images")
        return engine

    def _enabled(self, name: str) -> bool:
        """ENABLED_ENGINES lists them; the GPU engine that MODEL_NAME picks is enabled by that choice."""
        if name in self._settings.ocr.enabled_engines:
            return True
        model_name = self._settings.ocr.model_name
        if not model_name:
            return False
        from ablage.engines.vlm import engine_for_model

        try:
            return engine_for_model(model_name) == name
        except ValueError:
            return False

    def is_available(self, name: str) -> bool:
        """Built and able to take pages now: a GPU engine still loading, or one whose CUDA context broke,
        is not (its info() says why)."""
        try:
            return self.get(name).info().loaded
        except EngineUnavailable:
            return False

    def describe(self, name: str) -> EngineInfo:
        try:
            return self.get(name).info()
        except EngineUnavailable as exc:
            return EngineInfo(name=name, version="", languages=[], loaded=False, detail=exc.detail)

    def close(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()
