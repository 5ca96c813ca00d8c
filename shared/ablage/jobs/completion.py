"""Wakes requests that wait for a job to change (the synchronous endpoint, the events stream) when a worker
starts it, reads a page, or finishes it, or a client cancels it."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Callable

log = logging.getLogger(__name__)

_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]


class CompletionWaiters:
    """Local waiters are woken directly; with a publisher attached (Redis), workers in other processes
    reach the API's waiters through it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, list[_Waiter]] = defaultdict(list)
        self._publish: Callable[[str], None] | None = None

    def attach_publisher(self, publish: Callable[[str], None]) -> None:
        self._publish = publish

    def notify(self, job_id: str) -> None:
        """The job changed: wake this process's waiters and tell the others."""
        self.wake(job_id)
        if self._publish is not None:
            try:
                self._publish(job_id)
            except Exception:
                # Waiters elsewhere fall back to re-reading the job's row.
                log.warning("could not publish the completion of job %s", job_id, exc_info=True)

    def wake(self, job_id: str) -> None:
        with self._lock:
            waiters = self._waiters.pop(job_id, [])
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    async def wait(self, job_id: str, timeout: float) -> None:
        """Returns on notification or after ``timeout``; the caller re-reads the job either way."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._waiters[job_id].append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                entries = self._waiters.get(job_id)
                if entries and (loop, future) in entries:
                    entries.remove((loop, future))
                    if not entries:
                        del self._waiters[job_id]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
