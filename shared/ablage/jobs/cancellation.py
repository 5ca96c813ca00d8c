"""Tells the worker running a job to stop it: directly in this process, through Redis pub/sub to the others.

The job's row is the record (``JobLifecycle.cancel`` sets it first); the signal only makes the stop prompt. A
worker that misses the message still stops at its next heartbeat, which finds the job no longer its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class CancelSignals:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}
        self._publish: Callable[[str], None] | None = None

    def attach_publisher(self, publish: Callable[[str], None]) -> None:
        self._publish = publish

    @contextmanager
    def watching(self, job_id: str) -> Iterator[threading.Event]:
        """While the block runs, the event is set when anyone cancels the job."""
        event = threading.Event()
        with self._lock:
            self._running[job_id] = event
        try:
            yield event
        finally:
            with self._lock:
                if self._running.get(job_id) is event:
                    del self._running[job_id]

    def request(self, job_id: str) -> None:
        self.deliver(job_id)
        if self._publish is not None:
            try:
                self._publish(job_id)
            except Exception:
                log.warning(
                    "could not publish the cancellation of job %s; its worker stops at its next heartbeat",
                    job_id,
                    exc_info=True,
                )

    def deliver(self, job_id: str) -> None:
        """Sets the job's event if it runs in this process."""
        with self._lock:
            event = self._running.get(job_id)
        if event is not None:
            event.set()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)
