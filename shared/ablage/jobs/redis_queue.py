"""The production queue: Dramatiq on Redis.

Dramatiq acknowledges a message only after its actor returns, and requeues the unacknowledged messages of a
worker whose heartbeat stops (QUEUE_VISIBILITY_TIMEOUT), which gives at-least-once delivery; its Retries
middleware delivers a job again, with back-off, after a transient failure. The database claim in
``JobProcessor`` turns at-least-once delivery into one run per job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import dramatiq
import redis
from dramatiq import Message, Worker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, Retries, ShutdownNotifications, TimeLimit

from ablage.jobs.queue import JobHandler, QueueUnavailable, TransientJobError, WarmUp, _WarmCounter, run_warm_up
from ablage.settings import QueueSettings

log = logging.getLogger(__name__)

ACTOR = "ablage.process_job"
QUEUES = ("cpu", "gpu")
# Maintenance (requeueing a dead worker's messages) runs on this share of broker commands, per million.
# Dramatiq's default of 1 in 1000 leaves a dead worker's job waiting minutes on a quiet queue.
_MAINTENANCE_CHANCE = 50_000
# Deliveries after a transient failure (with back-off up to 30 s: about ten minutes in all). Each claimed run
# counts against JOB_MAX_ATTEMPTS in the database; these extra deliveries cover outages in which the job
# could not even be claimed, so that a database restart does not strand it.
_DELIVERY_RETRIES = 25


class _WarmUpThreads(Middleware):
    def __init__(self, warm_up: WarmUp | None, counter: _WarmCounter) -> None:
        self._warm_up = warm_up
        self._counter = counter

    def after_worker_thread_boot(self, broker: dramatiq.Broker, thread: object) -> None:
        run_warm_up(self._warm_up, self._counter)


class RedisQueue:
    backend = "redis"

    def __init__(self, settings: QueueSettings, processing_timeout: float) -> None:
        assert settings.redis_url is not None
        self._settings = settings
        # Short socket timeouts: an unreachable Redis must fail an enqueue in seconds, not hang the upload.
        client = redis.Redis.from_url(
            settings.redis_url.get_secret_value(),
            socket_connect_timeout=3,
            socket_timeout=10,
            health_check_interval=30,
        )
        self.broker = RedisBroker(
            client=client,
            namespace=settings.queue_namespace,
            heartbeat_timeout=int(settings.queue_visibility_timeout * 1000),
            maintenance_chance=_MAINTENANCE_CHANCE,
            middleware=[
                # Beyond the job's own PROCESSING_TIMEOUT only a stuck engine call remains to be stopped.
                TimeLimit(time_limit=int((processing_timeout + 60) * 1000)),
                ShutdownNotifications(),
                Retries(
                    max_retries=_DELIVERY_RETRIES,
                    min_backoff=1000,
                    max_backoff=30_000,
                    retry_when=self._retry_when,
                ),
            ],
        )
        self._handler: JobHandler | None = None
        self._warm = _WarmCounter()
        self._worker: Worker | None = None
        self._listeners: list[threading.Thread] = []
        self._stopping = threading.Event()

        def process_job(job_id: str) -> None:
            if self._handler is None:
                raise RuntimeError("this process enqueues only; it runs no workers")
            self._handler(job_id)

        process_job.__name__ = "process_job"
        self._actor = dramatiq.actor(
            broker=self.broker, actor_name=ACTOR, queue_name=QUEUES[0], max_retries=_DELIVERY_RETRIES
        )(process_job)
        for name in QUEUES:
            self.broker.declare_queue(name)

    @staticmethod
    def _retry_when(retries: int, exception: BaseException) -> bool:
        return isinstance(exception, TransientJobError) and retries <= _DELIVERY_RETRIES

    def enqueue(self, job_id: str, queue_name: str, delay: float = 0.0) -> None:
        if queue_name not in QUEUES:
            raise ValueError(f"unknown queue {queue_name!r}")
        message: Message[None] = Message(queue_name=queue_name, actor_name=ACTOR, args=(job_id,), kwargs={}, options={})
        try:
            # A delayed message waits in the queue's delay queue, which the workers of that queue also consume.
            self.broker.enqueue(message, delay=int(delay * 1000) if delay > 0 else None)
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis refused the job: {type(exc).__name__}") from exc

    def check(self) -> None:
        try:
            self.broker.client.ping()
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis is unreachable: {type(exc).__name__}") from exc

    def start_workers(
        self, handler: JobHandler, queues: Iterable[str], threads: int, warm_up: WarmUp | None = None
    ) -> None:
        self._handler = handler
        self._warm.expect(threads)
        self.broker.add_middleware(_WarmUpThreads(warm_up, self._warm))
        worker = Worker(self.broker, queues=set(queues), worker_threads=threads, worker_timeout=1000)
        # Hold no more messages than threads: a job waiting in one worker's prefetch cannot go to an idle one.
        worker.queue_prefetch = threads
        worker.start()
        self._worker = worker

    def wait_warm(self, timeout: float) -> bool:
        return self._warm.wait(timeout)

    def publish(self, topic: str, message: str) -> None:
        self.broker.client.publish(f"{self._settings.queue_namespace}:{topic}", message)

    def subscribe(self, topic: str, on_message: Callable[[str], None]) -> None:
        """Call ``on_message`` for every message on ``topic`` from any process, until ``stop``; survives Redis
        restarts (messages sent while it reconnects are missed: the database rows are the fallback)."""
        channel = f"{self._settings.queue_namespace}:{topic}"

        def listen() -> None:
            while not self._stopping.is_set():
                pubsub = self.broker.client.pubsub(ignore_subscribe_messages=True)
                try:
                    pubsub.subscribe(channel)
                    while not self._stopping.is_set():
                        message = pubsub.get_message(timeout=1.0)
                        if message is not None:
                            on_message(message["data"].decode())
                except redis.RedisError:
                    self._stopping.wait(1.0)
                finally:
                    pubsub.close()

        listener = threading.Thread(target=listen, name=f"{topic}-listener", daemon=True)
        listener.start()
        self._listeners.append(listener)

    def stop(self) -> None:
        self._stopping.set()
        for listener in self._listeners:
            listener.join(5)
        if self._worker is not None:
            self._worker.stop(timeout=10_000)
            self._worker = None
        self.broker.close()
