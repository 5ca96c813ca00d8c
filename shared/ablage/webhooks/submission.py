"""The check of a ``callback_url`` at submit time: the answer comes now (400, 422), not as failed deliveries."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from ablage.errors import BadRequest, InvalidOption
from ablage.settings import WebhookSettings
from ablage.webhooks.targets import MalformedTarget, TargetRefused, resolve
from ablage.webhooks.tenant_config import secret_of


def check_callback(sessions: sessionmaker[Session], settings: WebhookSettings, tenant: str, url: str) -> None:
    try:
        resolve(url, settings.webhook_allowed_targets)
    except MalformedTarget as exc:
        raise BadRequest(str(exc)) from None
    except TargetRefused as exc:
        raise InvalidOption(str(exc)) from None
    with sessions() as session:
        if not secret_of(session, tenant):
            # Unsigned events could not be told from forged ones; the operator gives the tenant a secret first.
            raise InvalidOption(
                f"callback_url: tenant {tenant} has no webhook secret yet; an operator creates one with "
                f"`ablage tenants webhook {tenant} --rotate-secret`"
            )
