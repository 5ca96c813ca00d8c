"""Wakes requests that wait for a job (the synchronous endpoint) when a worker finishes it."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class CompletionWaiters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = defaultdict(
            list
        )

    def notify(self, job_id: str) -> None:
        """Called from worker threads."""
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
