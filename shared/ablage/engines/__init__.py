"""OCR engines behind one protocol, registered by name and imported only when first used."""

from ablage.engines.base import EngineInfo, OcrEngine
from ablage.engines.registry import EngineRegistry, register_engine

__all__ = ["EngineInfo", "EngineRegistry", "OcrEngine", "register_engine"]
