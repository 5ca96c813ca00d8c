"""The quotas a submission is admitted under, counted in the database inside the submission's transaction:
jobs queued, and pages per calendar month (UTC). The tenant's row is locked meanwhile (FOR UPDATE; a lock
per tenant in this process on SQLite), so concurrent uploads on any replica cannot both take the last place."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ablage.db.models import Job, JobStatus, PageUsage, Tenant
from ablage.errors import QuotaExceeded
from ablage.tenancy.tenants import TenantLimits

_TENANT_LOCKS = tuple(threading.Lock() for _ in range(64))
_QUEUED_RETRY_AFTER = 10


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def seconds_to_next_month(moment: datetime) -> int:
    following = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
    return max(1, int((following - moment).total_seconds()))


@contextmanager
def tenant_admission(tenant: str) -> Iterator[None]:
    with _TENANT_LOCKS[hash(tenant) % len(_TENANT_LOCKS)]:
        yield


def lock_tenant(session: Session, tenant: str) -> None:
    session.scalar(select(Tenant.id).where(Tenant.id == tenant).with_for_update())


def check_queued(session: Session, tenant: str, limits: TenantLimits) -> None:
    if not limits.max_queued_jobs:
        return
    queued = session.scalar(
        select(func.count()).select_from(Job).where(Job.tenant_id == tenant, Job.status == JobStatus.queued)
    )
    if (queued or 0) >= limits.max_queued_jobs:
        raise QuotaExceeded(
            f"tenant {tenant!r} has {queued} jobs waiting, its limit; submit more as they finish",
            retry_after=_QUEUED_RETRY_AFTER,
            quota="queued_jobs",
            limit=limits.max_queued_jobs,
        )


def charge_pages(session: Session, tenant: str, pages: int, limits: TenantLimits, now: datetime) -> None:
    """Adds ``pages`` to this month's usage, or QuotaExceeded (until the month ends) if they do not fit."""
    month = month_of(now)
    usage = session.scalar(
        select(PageUsage).where(PageUsage.tenant_id == tenant, PageUsage.month == month).with_for_update()
    )
    used = usage.pages if usage is not None else 0
    if limits.monthly_pages and used + pages > limits.monthly_pages:
        raise QuotaExceeded(
            f"tenant {tenant!r} has used {used} of its {limits.monthly_pages} pages this month; "
            f"this document needs {pages}",
            retry_after=seconds_to_next_month(now),
            quota="monthly_pages",
            limit=limits.monthly_pages,
            used=used,
        )
    if usage is None:
        session.add(PageUsage(tenant_id=tenant, month=month, pages=pages))
    else:
        usage.pages = used + pages
    session.flush()
