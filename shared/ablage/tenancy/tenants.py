"""The tenants table: names, and the limits that override the service's defaults."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import Tenant, utcnow
from ablage.settings import AuthSettings

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class InvalidTenantName(ValueError):
    pass


def check_tenant_name(name: str) -> str:
    if not TENANT_NAME.match(name):
        raise InvalidTenantName(
            f"tenant {name!r}: 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class TenantLimits:
    """What one tenant may use; 0 means no limit."""

    rate_limit: str
    max_queued_jobs: int
    max_running_jobs: int
    monthly_pages: int


def ensure_tenant(session: Session, name: str) -> None:
    """Creates the tenant if it is new; concurrent first requests of one tenant are both fine."""
    check_tenant_name(name)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Tenant).values(id=name, created_at=utcnow()).on_conflict_do_nothing())


class TenantDirectory:
    """Reads tenants' limits, cached for a few seconds like the keys, so a change reaches every replica soon."""

    def __init__(self, settings: AuthSettings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions
        self._cache: dict[str, tuple[float, TenantLimits]] = {}
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drops what is cached: the next request reads the tenants afresh."""
        with self._lock:
            self._cache.clear()
            self._known.clear()

    def ensure(self, name: str) -> None:
        if name in self._known:
            return
        with self._sessions.begin() as session:
            ensure_tenant(session, name)
        self._known.add(name)

    def limits(self, name: str) -> TenantLimits:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and cached[0] > now:
            return cached[1]
        with self._sessions() as session:
            tenant = session.scalar(select(Tenant).where(Tenant.id == name))
        limits = self.effective(tenant)
        with self._lock:
            self._cache[name] = (now + self._settings.key_cache_seconds, limits)
        return limits

    def effective(self, tenant: Tenant | None) -> TenantLimits:
        defaults = self._settings

        def pick(own: int | None, default: int) -> int:
            return default if own is None else own

        return TenantLimits(
            rate_limit=(tenant.rate_limit if tenant is not None and tenant.rate_limit else defaults.rate_limit),
            max_queued_jobs=pick(tenant.max_queued_jobs if tenant else None, defaults.tenant_max_queued_jobs),
            max_running_jobs=pick(tenant.max_running_jobs if tenant else None, defaults.tenant_max_running_jobs),
            monthly_pages=pick(tenant.monthly_pages if tenant else None, defaults.tenant_monthly_pages),
        )
