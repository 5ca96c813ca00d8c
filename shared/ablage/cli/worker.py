"""``ablage worker``: OCR worker processes on the Redis queue."""

from __future__ import annotations

import signal
import threading
from enum import StrEnum
from typing import Annotated

import typer

from ablage.cli.services import service_routes
from ablage.engines.registry import plugin_engines
from ablage.jobs.routes import ServiceRoute, queue_engines
from ablage.settings import Settings


class QueueName(StrEnum):
    cpu = "cpu"
    gpu = "gpu"


def worker(
    queue: Annotated[QueueName, typer.Option(help="the queue to consume")] = QueueName.cpu,
    threads: Annotated[int | None, typer.Option(help="worker threads (default: WORKERS)")] = None,
) -> None:
    """Run OCR workers on the Redis queue (needs REDIS_URL) until SIGTERM or SIGINT."""
    from ablage.jobs.backends import Backends
    from ablage.jobs.processor import JobProcessor
    from ablage.jobs.sweeper import Sweeper
    from ablage.jobs.worker_health import WorkerHealth
    from ablage.runtime import build_backends
    from ablage.webhooks.dispatcher import WebhookDispatcher

    settings = Settings()
    if not settings.queue.uses_redis:
        raise typer.BadParameter("a separate worker needs REDIS_URL; without it the API runs its own workers")
    plugins = plugin_engines(settings)
    routes = [route.with_plugins(plugins) for route in service_routes(settings)]
    engines = queue_engines(routes, queue.value)
    backends = build_backends(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    backends.engines.start(_engines_to_load(routes, queue))
    backends.engines.wait_started(settings.ocr.engine_start_wait)
    processor = JobProcessor.serving(backends, routes, engines)
    backends.queue.subscribe(Backends.CANCEL, backends.lifecycle.cancels.deliver)
    backends.queue.start_workers(processor, [queue.value], threads or settings.ocr.workers, processor.warm_up)
    sweeper = Sweeper(settings.queue, backends.sessions, backends.queue, backends.lifecycle)
    sweeper.start()
    webhooks = WebhookDispatcher(settings.webhook, backends.sessions)
    webhooks.start()
    health = WorkerHealth(processor.liveness)
    where = ""
    if settings.queue.worker_health_port:
        port = health.serve(settings.queue.worker_health_host, settings.queue.worker_health_port)
        where = f"; /live on {settings.queue.worker_health_host}:{port}"
    health.notify_systemd()
    typer.echo(f"worker {processor.worker_id} consuming {queue.value} with engines {', '.join(engines)}{where}")
    stop.wait()
    health.stop()
    sweeper.stop()
    webhooks.stop()
    backends.close()


def _engines_to_load(routes: list[ServiceRoute], queue: QueueName) -> list[str]:
    """A GPU worker loads the CPU engines too: it hands a job on by what is usable there. A CPU worker never
    loads the GPU model."""
    offered = dict.fromkeys(name for route in routes for name in route.offered())
    if queue is QueueName.gpu:
        return list(offered)
    return [
        name for name in offered if all(route.queue_for(name) == "cpu" for route in routes if name in route.engines)
    ]
