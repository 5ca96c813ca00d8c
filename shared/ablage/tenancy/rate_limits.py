"""Requests per tenant, counted by ``limits`` in Redis (shared by every replica) or in this process when
embedded. Headers follow the IETF RateLimit fields draft: ``RateLimit-Policy`` names each window and its quota,
``RateLimit`` the remaining requests and seconds to reset of the tightest one."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from ablage.errors import TooManyRequests

log = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _items(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


def _policy_name(item: RateLimitItem) -> str:
    return f"{item.amount}-per-{item.multiples}-{item.GRANULARITY.name}"


@dataclass(frozen=True)
class RateDecision:
    headers: dict[str, str]


class RequestLimiter:
    def __init__(self, redis_url: str | None = None, namespace: str = "ablage") -> None:
        storage: Storage
        if redis_url is not None:
            uri = redis_url.replace("unix://", "redis+unix://", 1) if redis_url.startswith("unix://") else redis_url
            storage = RedisStorage(uri, key_prefix=f"{namespace}:ratelimit", wrap_exceptions=True)
        else:
            storage = MemoryStorage()
        self._storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    def hit(self, tenant: str, spec: str) -> RateDecision:
        """Counts one request; TooManyRequests (429) with Retry-After and RateLimit headers over any window."""
        items = _items(spec)
        policy = ", ".join(f'"{_policy_name(i)}";q={i.amount};w={i.get_expiry()}' for i in items)
        tightest: tuple[int, int, str] | None = None
        try:
            for item in items:
                allowed = self._limiter.hit(item, "tenant", tenant)
                stats = self._limiter.get_window_stats(item, "tenant", tenant)
                reset = max(0, math.ceil(stats.reset_time - time.time()))
                if tightest is None or stats.remaining < tightest[0]:
                    tightest = (stats.remaining, reset, _policy_name(item))
                if not allowed:
                    headers = {"RateLimit-Policy": policy, "RateLimit": f'"{_policy_name(item)}";r=0;t={reset}'}
                    raise TooManyRequests(
                        f"tenant {tenant!r} is over its request rate ({item.amount} per {item.multiples} "
                        f"{item.GRANULARITY.name}); other tenants are not affected",
                        retry_after=reset,
                        headers=headers,
                    )
        except StorageError as exc:
            # The counters' store is away: requests go on unlimited rather than all failing; the queued-jobs and
            # monthly quotas are kept in the database and still hold.
            log.warning("rate limits not counted, their store is unavailable: %s", exc)
            return RateDecision({})
        assert tightest is not None
        remaining, reset, name = tightest
        return RateDecision({"RateLimit-Policy": policy, "RateLimit": f'"{name}";r={remaining};t={reset}'})

    def reset(self) -> None:
        self._storage.reset()
