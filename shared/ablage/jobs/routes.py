"""Which engines a service prefix offers, in order of preference, and which queue runs them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ServiceRoute:
    name: str
    prefix: str
    engines: tuple[str, ...]
    """Preferred engines first; ``auto`` picks the first that is available."""
    fallback: tuple[str, ...] = ()
    """Engines used when none of ``engines`` is available (the GPU service without a GPU)."""
    queue: str = "cpu"
    """The queue for jobs on ``engines``; fallback engines always run on the ``cpu`` queue."""
    converters: tuple[str, ...] = ()
    """Document engines (whole files by their structure): ``auto`` picks them for office files only."""

    def candidates(self) -> tuple[str, ...]:
        """The OCR engines ``auto`` chooses from, in order."""
        return self.engines + tuple(name for name in self.fallback if name not in self.engines)

    def offered(self) -> tuple[str, ...]:
        return self.candidates() + tuple(name for name in self.converters if name not in self.candidates())

    def with_plugins(self, names: Sequence[str]) -> ServiceRoute:
        """The route offering also ``names``, engines of other packages enabled here, after its own: on the
        ``cpu`` queue, and as converters too (``auto`` picks each by what it reads)."""
        extra = tuple(name for name in names if name not in self.offered())
        if not extra:
            return self
        if self.queue == "cpu":
            return replace(self, engines=self.engines + extra, converters=self.converters + extra)
        return replace(self, fallback=self.fallback + extra, converters=self.converters + extra)

    def queue_for(self, engine: str) -> str:
        return self.queue if engine in self.engines else "cpu"


def queues_of(routes: Iterable[ServiceRoute]) -> list[str]:
    return sorted({"cpu", *(route.queue for route in routes)})


def queue_engines(routes: Iterable[ServiceRoute], queue: str) -> tuple[str, ...]:
    """The OCR engines whose jobs ``queue`` runs, in the routes' order of preference."""
    return tuple(
        dict.fromkeys(name for route in routes for name in route.candidates() if route.queue_for(name) == queue)
    )
