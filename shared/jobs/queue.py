"""The queue seam. Embedded mode runs jobs on a pool of threads in the API process."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from shared.metrics import QUEUE_DEPTH

log = logging.getLogger(__name__)

JobHandler = Callable[[str], None]
WarmUp = Callable[[], None]


class JobQueue(Protocol):
    def start(self, handler: JobHandler, warm_up: WarmUp | None = None) -> None:
        """Start consuming; each worker runs ``warm_up`` once before its first job."""
        ...

    def wait_warm(self, timeout: float) -> bool:
        """True once every worker has warmed up."""
        ...

    def enqueue(self, job_id: str) -> None: ...

    def depth(self) -> int: ...

    def stop(self) -> None: ...


class InProcessQueue:
    """``WORKERS`` threads. OCR engines release the GIL while they recognise, so threads use every core."""

    def __init__(self, workers: int, name: str = "embedded") -> None:
        self._workers = workers
        self._name = name
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._warm = threading.Semaphore(0)

    def start(self, handler: JobHandler, warm_up: WarmUp | None = None) -> None:
        for index in range(self._workers):
            thread = threading.Thread(
                target=self._run, args=(handler, warm_up), name=f"ocr-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wait_warm(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        acquired = 0
        try:
            for _ in range(self._workers):
                if not self._warm.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    return False
                acquired += 1
            return True
        finally:
            for _ in range(acquired):
                self._warm.release()

    def _run(self, handler: JobHandler, warm_up: WarmUp | None) -> None:
        if warm_up is not None:
            try:
                warm_up()
            except Exception:
                # A broken engine shows in /ready and fails its jobs; the worker still serves the others.
                log.exception("worker warm-up failed")
        self._warm.release()
        while True:
            job_id = self._queue.get()
            QUEUE_DEPTH.labels(self._name).set(self._queue.qsize())
            if job_id is None:
                return
            try:
                handler(job_id)
            except Exception:
                # The handler records failures on the job; this only keeps the worker alive.
                log.exception("worker crashed on job %s", job_id)

    def enqueue(self, job_id: str) -> None:
        self._queue.put(job_id)
        QUEUE_DEPTH.labels(self._name).set(self._queue.qsize())

    def depth(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float = 5.0) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
