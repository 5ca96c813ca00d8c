"""A tenant's default webhook URL and its signing secret (``ablage tenants webhook``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ablage.db.models import Tenant
from ablage.tenancy.tenants import ensure_tenant
from ablage.webhooks.signing import new_secret


@dataclass(frozen=True)
class TenantWebhook:
    url: str | None
    new_secret: str | None
    """Set only when this change made a secret: it is shown once."""


def configure(
    session: Session, tenant: str, url: str | None = None, clear_url: bool = False, rotate_secret: bool = False
) -> TenantWebhook:
    """Sets or clears the default URL and makes a secret when asked or when the tenant has none yet. The secret
    is stored as it is: signing needs it, so it cannot be kept as a hash like the API keys."""
    ensure_tenant(session, tenant)
    row = session.scalars(select(Tenant).where(Tenant.id == tenant).with_for_update()).one()
    if clear_url:
        row.webhook_url = None
    elif url is not None:
        row.webhook_url = url
    made = None
    if rotate_secret or row.webhook_secret is None:
        made = row.webhook_secret = new_secret()
    return TenantWebhook(row.webhook_url, made)


def secret_of(session: Session, tenant: str) -> str | None:
    return session.scalar(select(Tenant.webhook_secret).where(Tenant.id == tenant))
