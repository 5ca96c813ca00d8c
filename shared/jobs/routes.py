"""Which engines a service prefix offers, in order of preference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceRoute:
    name: str
    prefix: str
    engines: tuple[str, ...]
    """Preferred engines first; ``auto`` picks the first that is available."""
    fallback: tuple[str, ...] = ()
    """Engines used when none of ``engines`` is available (the GPU service without a GPU)."""

    def candidates(self) -> tuple[str, ...]:
        return self.engines + tuple(name for name in self.fallback if name not in self.engines)
