"""Engines by name, as installed packages declare them: the entry point group ``ablage.engines``, the built-in
engines included (pyproject.toml). An entry point names a factory that takes the settings; its module is
imported only when the engine loads, so an install without torch never imports torch.

``register_engine`` adds one in code, ahead of the entry points (a test-only engine, an embedding program).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ablage.engines.base import Engine
from ablage.settings import Settings

log = logging.getLogger(__name__)

GROUP = "ablage.engines"
BUILTIN_DISTRIBUTION = "ablage-system"

EngineFactory = Callable[[Settings], Engine]

_REGISTERED: dict[str, str] = {}


@dataclass(frozen=True)
class Registration:
    name: str
    target: str
    """``"package.module:Factory"``."""
    distribution: str | None
    """The package that declares it; None for ``register_engine``."""
    extras: tuple[str, ...] = ()
    """That package's extras, for the install hint when the engine's libraries are missing."""

    @property
    def builtin(self) -> bool:
        return self.distribution == BUILTIN_DISTRIBUTION

    def load(self) -> EngineFactory:
        """Imports the factory's module; ImportError when its libraries are missing."""
        module_name, _, attr = self.target.partition(":")
        factory: EngineFactory = getattr(importlib.import_module(module_name), attr)
        return factory

    def install_hint(self) -> str:
        if self.distribution is None:
            return "install the library it imports"
        extra = f"[{self.name}]" if self.name in self.extras else ""
        return f"pip install '{self.distribution}{extra}'"


def register_engine(name: str, target: str) -> None:
    """``target`` is ``"package.module:Factory"``; the factory takes the settings. Wins over an entry point
    of the same name."""
    if ":" not in target:
        raise ValueError(f"engine target {target!r} is not 'package.module:Factory'")
    _REGISTERED[name] = target


def registered_in_code() -> dict[str, str]:
    """The ``register_engine`` calls of this process, for processes started from it to repeat."""
    return dict(_REGISTERED)


def unregister_engine(name: str) -> None:
    _REGISTERED.pop(name, None)


def registrations() -> dict[str, Registration]:
    """Every engine this install knows, read afresh (a package installed since start-up is seen)."""
    found: dict[str, Registration] = {}
    for entry in importlib.metadata.entry_points(group=GROUP):
        dist = entry.dist
        dist_name = dist.name if dist is not None else None
        extras = tuple(dist.metadata.get_all("Provides-Extra") or ()) if dist is not None else ()
        earlier = found.get(entry.name)
        if earlier is not None and earlier.target != entry.value:
            # Two packages claim one name: the first one found keeps it, and the operator hears of it.
            log.warning(
                "engine %s is declared by %s and by %s; using %s's",
                entry.name,
                earlier.distribution,
                dist_name,
                earlier.distribution,
            )
            continue
        found.setdefault(entry.name, Registration(entry.name, entry.value, dist_name, extras))
    for name, target in _REGISTERED.items():
        found[name] = Registration(name, target, None)
    return found


def registered_engines() -> list[str]:
    return list(registrations())


def plugin_engines(settings: Settings) -> list[str]:
    """Enabled engines that this project does not declare itself: the services offer them after their own."""
    known = registrations()
    return [name for name in enabled_engines(settings) if name not in known or not known[name].builtin]


def enabled_engines(settings: Settings) -> list[str]:
    """ENABLED_ENGINES, plus the GPU engine that MODEL_NAME picks (enabled by that choice)."""
    names = list(settings.ocr.enabled_engines)
    model_name = settings.ocr.model_name
    if model_name:
        from ablage.engines.vlm import engine_for_model

        try:
            names.append(engine_for_model(model_name))
        except ValueError:
            pass
    return list(dict.fromkeys(names))
