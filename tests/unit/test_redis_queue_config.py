"""The queue's Redis client follows the URL: TLS and AUTH for ElastiCache's rediss:// URLs."""

from __future__ import annotations

import redis
from ablage.jobs.redis_queue import RedisQueue
from ablage.settings import QueueSettings


def test_rediss_url_with_password_uses_tls_and_auth() -> None:
    settings = QueueSettings(redis_url="rediss://:s3cr3t-token@cache.example.internal:6380/2", queue_namespace="x")
    queue = RedisQueue(settings, processing_timeout=60)
    pool = queue.broker.client.connection_pool
    assert pool.connection_class is redis.SSLConnection
    assert pool.connection_kwargs["password"] == "s3cr3t-token"
    assert (pool.connection_kwargs["host"], pool.connection_kwargs["port"], pool.connection_kwargs["db"]) == (
        "cache.example.internal",
        6380,
        2,
    )
    # Unreachable servers must fail fast rather than hang an upload.
    assert pool.connection_kwargs["socket_connect_timeout"] == 3
    assert queue.broker.heartbeat_timeout == 60_000
    queue.broker.close()


def test_plain_redis_url() -> None:
    queue = RedisQueue(QueueSettings(redis_url="redis://127.0.0.1:6379/0"), processing_timeout=60)
    assert queue.broker.client.connection_pool.connection_class is redis.Connection
    queue.broker.close()
