"""Engines behind one protocol, declared as entry points and loaded in the background by a supervisor."""

from ablage.engines.base import Engine, EngineInfo, EngineInput
from ablage.engines.registry import register_engine
from ablage.engines.supervisor import EngineState, EngineSupervisor

__all__ = ["Engine", "EngineInfo", "EngineInput", "EngineState", "EngineSupervisor", "register_engine"]
