"""Where a job goes when its GPU engine gives up on a page: its route's first usable CPU engine, on the
``cpu`` queue. The job starts over there, so every page of its result comes from the engine it records."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ablage.db.models import Job
from ablage.engines.supervisor import EngineSupervisor
from ablage.jobs.queue import JobQueue, QueueUnavailable
from ablage.jobs.routes import ServiceRoute

log = logging.getLogger(__name__)


class CpuFallback:
    def __init__(self, routes: Iterable[ServiceRoute], engines: EngineSupervisor, queue: JobQueue) -> None:
        self._routes = {route.name: route for route in routes}
        self._engines = engines
        self._queue = queue

    def engine_for(self, job: Job) -> str | None:
        route = self._routes.get(job.service)
        usable = [
            name
            for name in (route.fallback if route is not None else ())
            if name != job.engine and self._engines.is_available(name)
        ]
        for name in usable:
            if set(job.languages) <= set(self._engines.status(name).languages):
                return name
        return usable[0] if usable else None

    def send(self, job_id: str) -> None:
        try:
            self._queue.enqueue(job_id, "cpu")
        except QueueUnavailable as exc:
            # The row says queued on cpu: the sweeper sends it once the queue is back.
            log.warning("job %s moved to the cpu queue but not yet sent: %s", job_id, exc)
