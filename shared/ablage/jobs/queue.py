"""The queue seam: embedded mode runs jobs on threads in the API process; production uses Redis
(``ablage.jobs.redis_queue``). Either way the database row, not the queue, is the job's record."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

log = logging.getLogger(__name__)

JobHandler = Callable[[str], None]
WarmUp = Callable[[], None]


class QueueUnavailable(Exception):
    """The queue cannot take or hand out jobs right now."""


class TransientJobError(Exception):
    """The job could not run for a reason outside the document (database, storage); deliver it again."""


class JobQueue(Protocol):
    backend: str

    def enqueue(self, job_id: str, queue_name: str, delay: float = 0.0) -> None:
        """Delivers the job after ``delay`` seconds. Raises QueueUnavailable; the job's row stays queued and the
        sweeper sends it again."""
        ...

    def check(self) -> None:
        """Raises QueueUnavailable unless jobs can be enqueued now."""
        ...

    def start_workers(
        self, handler: JobHandler, queues: Iterable[str], threads: int, warm_up: WarmUp | None = None
    ) -> None:
        """Consume ``queues`` on ``threads`` threads; each runs ``warm_up`` once before its first job.
        A handler that raises gets its job delivered again after a back-off."""
        ...

    def wait_warm(self, timeout: float) -> bool:
        """True once every worker thread has warmed up."""
        ...

    def publish(self, topic: str, message: str) -> None:
        """Tells every process subscribed to ``topic``; a queue within one process has no one else to tell."""
        ...

    def subscribe(self, topic: str, on_message: Callable[[str], None]) -> None: ...

    def stop(self) -> None: ...


class _WarmCounter:
    def __init__(self) -> None:
        self._expected = 0
        self._done = 0
        self._condition = threading.Condition()

    def expect(self, count: int) -> None:
        with self._condition:
            self._expected += count

    def warmed(self) -> None:
        with self._condition:
            self._done += 1
            self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self._done >= self._expected, timeout)


def run_warm_up(warm_up: WarmUp | None, counter: _WarmCounter) -> None:
    try:
        if warm_up is not None:
            warm_up()
    except Exception:
        # A broken engine shows in /ready and fails its jobs; the worker still serves the others.
        log.exception("worker warm-up failed")
    finally:
        counter.warmed()


class InProcessQueue:
    """``WORKERS`` threads in this process. OCR engines release the GIL while they recognise, so threads
    use every core. Queue names are ignored: one process serves every queue."""

    backend = "in-process"
    retry_delay = 2.0

    def __init__(self) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._warm = _WarmCounter()
        self._stopping = threading.Event()

    def start_workers(
        self, handler: JobHandler, queues: Iterable[str], threads: int, warm_up: WarmUp | None = None
    ) -> None:
        self._warm.expect(threads)
        for index in range(threads):
            thread = threading.Thread(
                target=self._run, args=(handler, warm_up), name=f"ocr-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wait_warm(self, timeout: float) -> bool:
        return self._warm.wait(timeout)

    def _run(self, handler: JobHandler, warm_up: WarmUp | None) -> None:
        run_warm_up(warm_up, self._warm)
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                handler(job_id)
            except Exception:
                # The handler released the job for another attempt; deliver it again after a pause.
                log.warning("job %s will be delivered again in %.0f s", job_id, self.retry_delay)
                if not self._stopping.is_set():
                    timer = threading.Timer(self.retry_delay, self._queue.put, args=(job_id,))
                    timer.daemon = True
                    timer.start()

    def enqueue(self, job_id: str, queue_name: str, delay: float = 0.0) -> None:
        if delay <= 0:
            self._queue.put(job_id)
            return
        timer = threading.Timer(delay, self._queue.put, args=(job_id,))
        timer.daemon = True
        timer.start()

    def check(self) -> None:
        return None

    def publish(self, topic: str, message: str) -> None:
        return None

    def subscribe(self, topic: str, on_message: Callable[[str], None]) -> None:
        return None

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
