"""API keys: random tokens shown once, kept only as their SHA-256, revocable. A token is
``abl_<id>_<secret>``: the id finds the row, the hash of the whole token must match it.

Verified keys are trusted for ``KEY_CACHE_SECONDS`` (5 s), so each request does not read the database, and a
revoked key stops working on every replica within that time. Unknown keys are never cached."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import ApiKey, utcnow
from ablage.tenancy.tenants import ensure_tenant

PREFIX = "abl_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def key_id_of(token: str) -> str | None:
    if not token.startswith(PREFIX):
        return None
    key_id, _, secret = token[len(PREFIX) :].partition("_")
    return key_id if key_id and secret else None


@dataclass(frozen=True)
class KeyInfo:
    id: str
    tenant: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyInfo:
        return cls(key.id, key.tenant_id, key.name, key.created_at, key.revoked_at)


class KeyStore:
    def __init__(self, sessions: sessionmaker[Session], cache_seconds: float = 5.0) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._verified: dict[str, tuple[float, str, str]] = {}
        self._any_active: tuple[float, bool] | None = None
        self._lock = threading.Lock()

    def create(self, tenant: str, name: str | None = None) -> tuple[KeyInfo, str]:
        """A new key for ``tenant`` (created if new); the token is returned here and never again."""
        key_id = secrets.token_hex(6)
        token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        with self._sessions.begin() as session:
            ensure_tenant(session, tenant)
            key = ApiKey(id=key_id, tenant_id=tenant, name=name, token_sha256=_digest(token), created_at=utcnow())
            session.add(key)
            session.flush()
            info = KeyInfo.of(key)
        with self._lock:
            self._any_active = None
        return info, token

    def list(self, tenant: str | None = None, include_revoked: bool = False) -> list[KeyInfo]:
        query = select(ApiKey).order_by(ApiKey.tenant_id, ApiKey.created_at)
        if tenant is not None:
            query = query.where(ApiKey.tenant_id == tenant)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        with self._sessions() as session:
            return [KeyInfo.of(key) for key in session.scalars(query)]

    def revoke(self, key_id: str) -> KeyInfo | None:
        """Revokes the key (None if there is no such key); revoking twice keeps the first time."""
        with self._sessions.begin() as session:
            session.execute(
                update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
            )
            key = session.get(ApiKey, key_id)
            info = KeyInfo.of(key) if key is not None else None
        with self._lock:
            self._verified.pop(key_id, None)
            self._any_active = None
        return info

    def forget(self) -> None:
        """Drops what is cached: the next request reads the keys afresh."""
        with self._lock:
            self._verified.clear()
            self._any_active = None

    def tenant_of(self, token: str) -> str | None:
        """The tenant of a valid, unrevoked key; None otherwise."""
        key_id = key_id_of(token)
        if key_id is None:
            return None
        digest = _digest(token)
        now = time.monotonic()
        with self._lock:
            cached = self._verified.get(key_id)
        if cached is not None and cached[0] > now:
            return cached[2] if hmac.compare_digest(cached[1], digest) else None
        with self._sessions() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))
        if key is None or not hmac.compare_digest(key.token_sha256, digest):
            with self._lock:
                self._verified.pop(key_id, None)
            return None
        with self._lock:
            self._verified[key_id] = (now + self._cache_seconds, key.token_sha256, key.tenant_id)
        return key.tenant_id

    def any_active(self) -> bool:
        """Whether any unrevoked key exists (cached like the keys)."""
        now = time.monotonic()
        with self._lock:
            cached = self._any_active
        if cached is not None and cached[0] > now:
            return cached[1]
        with self._sessions() as session:
            count = session.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None)))
        active = bool(count)
        with self._lock:
            self._any_active = (now + self._cache_seconds, active)
        return active
