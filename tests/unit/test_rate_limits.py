"""The request limiter's counting and headers, and the month arithmetic of the page quota."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ablage.errors import TooManyRequests
from ablage.tenancy.quotas import month_of, seconds_to_next_month
from ablage.tenancy.rate_limits import RequestLimiter


def test_each_window_counts_and_the_tightest_is_reported() -> None:
    limiter = RequestLimiter()
    spec = "2/second;3/minute"
    first = limiter.hit("a", spec)
    assert first.headers["RateLimit-Policy"] == '"2-per-1-second";q=2;w=1, "3-per-1-minute";q=3;w=60'
    assert first.headers["RateLimit"].startswith('"2-per-1-second";r=1;')
    with pytest.raises(TooManyRequests) as refused:
        for _ in range(3):
            limiter.hit("a", spec)
    assert refused.value.status == 429 and refused.value.retry_after >= 1
    assert refused.value.headers is not None and ";r=0;" in refused.value.headers["RateLimit"]
    # Another tenant has counters of its own.
    assert limiter.hit("b", spec).headers["RateLimit"].startswith('"2-per-1-second";r=1;')


@pytest.mark.parametrize(
    ("moment", "month", "seconds"),
    [
        (datetime(2026, 12, 31, 23, 59, 0, tzinfo=UTC), "2026-12", 60),
        (datetime(2026, 2, 28, 0, 0, 0, tzinfo=UTC), "2026-02", 86_400),
        (datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC), "2026-01", 31 * 86_400),
    ],
)
def test_months(moment: datetime, month: str, seconds: int) -> None:
    assert month_of(moment) == month
    assert seconds_to_next_month(moment) == seconds
