"""``ablage worker``: OCR worker processes on the Redis queue."""

from __future__ import annotations

import signal
import threading
from enum import StrEnum
from typing import Annotated

import typer

from ablage.jobs.routes import ServiceRoute
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
    engines, routes = _queue_engines(queue, settings)
    backends = build_backends(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # A GPU worker loads the CPU engines too: it hands a job on by what is usable there. A CPU worker never
    # loads the GPU model.
    cpu_route = routes[1]
    backends.engines.start(cpu_route.offered() if queue is QueueName.cpu else routes[0].offered())
    backends.engines.wait_started(settings.ocr.engine_start_wait)
    processor = JobProcessor.serving(settings, backends, routes, engines)
    backends.queue.start_workers(processor, [queue.value], threads or settings.ocr.workers, processor.warm_up)
    sweeper = Sweeper(settings.queue, backends.sessions, backends.queue)
    sweeper.start()
    typer.echo(f"worker {processor.worker_id} consuming {queue.value} with engines {', '.join(engines)}")
    stop.wait()
    sweeper.stop()
    backends.close()


def _queue_engines(queue: QueueName, settings: Settings) -> tuple[tuple[str, ...], list[ServiceRoute]]:
    # The services own their engine lists; the CLI is where a process is assembled from them.
    from ablage_services.cpu_backend.app import CPU_ROUTE
    from ablage_services.gpu_backend.app import gpu_route

    from ablage.engines.registry import plugin_engines

    plugins = plugin_engines(settings)
    routes = [gpu_route(settings).with_plugins(plugins), CPU_ROUTE.with_plugins(plugins)]
    return (routes[1].candidates() if queue is QueueName.cpu else routes[0].engines), routes
