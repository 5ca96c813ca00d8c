"""Who is calling: the tenant behind an ``Authorization: Bearer`` header, or the default tenant where the
service is open to local callers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from ablage.db.models import DEFAULT_TENANT
from ablage.errors import Unauthorized
from ablage.settings import AuthSettings, Environment, Settings
from ablage.tenancy.keys import KeyStore, key_id_of
from ablage.tenancy.oidc import OidcVerifier, TokenRejected

log = logging.getLogger(__name__)

_PRODUCTION = (Environment.staging, Environment.prod, Environment.production)


class Via(StrEnum):
    key = "key"
    oidc = "oidc"
    open = "open"


@dataclass(frozen=True)
class Caller:
    tenant: str
    via: Via


class OpenAccessRefused(RuntimeError):
    """The service would be open to anyone who reaches it."""


def open_access_allowed(settings: Settings) -> bool:
    return settings.auth.binds_loopback and settings.service.environment not in _PRODUCTION


class Authenticator:
    def __init__(self, settings: Settings, keys: KeyStore) -> None:
        self._settings: AuthSettings = settings.auth
        self._keys = keys
        self._oidc = OidcVerifier(settings.auth) if settings.auth.uses_oidc else None
        self._open_allowed = open_access_allowed(settings)

    @property
    def keys(self) -> KeyStore:
        return self._keys

    def is_open(self) -> bool:
        """Open to every caller: loopback only, while no key exists and no OIDC issuer is set."""
        return self._open_allowed and self._oidc is None and not self._keys.any_active()

    def check_start(self, settings: Settings) -> str:
        """At start-up: refuses (OpenAccessRefused) to serve everyone who can reach the service; otherwise the
        line that says how callers are known, for the log."""
        if self._oidc is not None or self._keys.any_active():
            return f"API callers authenticate with {'OIDC tokens or API keys' if self._oidc else 'API keys'}"
        if not self._open_allowed:
            env = settings.service.environment.value
            raise OpenAccessRefused(
                f"no API key exists and OIDC_ISSUER is not set, so this service (BIND_HOST={settings.auth.bind_host}, "
                f"ENVIRONMENT={env}) would be open to anyone who reaches it. Create a key with "
                "`ablage keys create --tenant NAME`, or set OIDC_ISSUER and OIDC_AUDIENCE."
            )
        return (
            f"no API keys: open to local callers on {settings.auth.bind_host} (tenant {DEFAULT_TENANT!r}); "
            "`ablage keys create --tenant NAME` closes it"
        )

    def authenticate(self, authorization: str | None) -> Caller:
        if authorization is None:
            if self.is_open():
                return Caller(DEFAULT_TENANT, Via.open)
            raise Unauthorized("send an API key or token as Authorization: Bearer <token>")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("the Authorization header must be Bearer <token>", error="invalid_request")
        if key_id_of(token) is not None:
            tenant = self._keys.tenant_of(token)
            if tenant is not None:
                return Caller(tenant, Via.key)
        elif self._oidc is not None:
            try:
                return Caller(self._oidc.tenant_of(token), Via.oidc)
            except TokenRejected as exc:
                log.info("OIDC token rejected: %s", exc)
        raise Unauthorized("the API key or token is not valid", error="invalid_token")
