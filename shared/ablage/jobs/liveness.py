"""Whether a process's job threads still make progress, for the worker's liveness check.

A thread running a job marks each step (claimed, a page done, results stored). Every step it waits for is
bounded (a page by PAGE_TIMEOUT, enforced by killing its process), so a thread silent for longer than that plus
WORKER_STALL_TIMEOUT is stuck: in the database, the storage or an engine of the service's own process. A thread
waiting for its next job is idle, not stuck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Stall:
    thread: str
    job_id: str
    silent_for: float


class Liveness:
    def __init__(self, allowed: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.allowed = allowed
        """Seconds a busy thread may go without a step."""
        self._clock = clock
        self._lock = threading.Lock()
        self._busy: dict[str, tuple[str, float]] = {}

    @contextmanager
    def busy(self, job_id: str) -> Iterator[Callable[[], None]]:
        """For the block, this thread runs ``job_id``; call the yielded function at each step."""
        name = threading.current_thread().name
        with self._lock:
            self._busy[name] = (job_id, self._clock())

        def step() -> None:
            with self._lock:
                self._busy[name] = (job_id, self._clock())

        try:
            yield step
        finally:
            with self._lock:
                self._busy.pop(name, None)

    def stalls(self) -> list[Stall]:
        now = self._clock()
        with self._lock:
            busy = list(self._busy.items())
        return [Stall(name, job_id, now - last) for name, (job_id, last) in busy if now - last > self.allowed]

    def busy_threads(self) -> int:
        with self._lock:
            return len(self._busy)
