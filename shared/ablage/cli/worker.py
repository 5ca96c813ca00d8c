"""``ablage worker``: OCR worker processes on the Redis queue."""

from __future__ import annotations

import signal
import threading
from enum import StrEnum
from typing import Annotated

import typer

from ablage.cli.services import service_routes
from ablage.jobs.routes import queue_engines
from ablage.settings import Settings


class QueueName(StrEnum):
    cpu = "cpu"
    gpu = "gpu"


def worker(
    queue: Annotated[QueueName, typer.Option(help="the queue to consume")] = QueueName.cpu,
    threads: Annotated[int | None, typer.Option(help="worker threads (default: WORKERS)")] = None,
) -> None:
    """Run OCR workers on the Redis queue (needs REDIS_URL) until SIGTERM or SIGINT."""
    from ablage.jobs.processor import JobProcessor
    from ablage.jobs.sweeper import Sweeper
    from ablage.runtime import build_backends

    settings = Settings()
    if not settings.queue.uses_redis:
        raise typer.BadParameter("a separate worker needs REDIS_URL; without it the API runs its own workers")
    routes = service_routes(settings)
    engines = queue_engines(routes, queue.value)
    backends = build_backends(settings)
    processor = JobProcessor.serving(settings, backends, routes, engines)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    backends.queue.start_workers(processor, [queue.value], threads or settings.ocr.workers, processor.warm_up)
    sweeper = Sweeper(settings.queue, backends.sessions, backends.queue)
    sweeper.start()
    typer.echo(f"worker {processor.worker_id} consuming {queue.value} with engines {', '.join(engines)}")
    stop.wait()
    sweeper.stop()
    backends.close()
