"""OIDC bearer tokens: a JWT from the configured issuer and audience, verified with PyJWT against the issuer's
JWKS (fetched and cached by ``PyJWKClient``); one claim names the tenant."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request

import jwt

from ablage.settings import AuthSettings
from ablage.tenancy.tenants import InvalidTenantName, check_tenant_name

log = logging.getLogger(__name__)

_FETCH_TIMEOUT = 5


class TokenRejected(Exception):
    """The token is not one this service accepts; the message is for the log, not the client."""


class OidcVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        assert settings.oidc_issuer is not None and settings.oidc_audience is not None
        self._issuer = settings.oidc_issuer
        self._audience = settings.oidc_audience
        self._claim = settings.oidc_tenant_claim
        self._algorithms = list(settings.oidc_algorithms)
        self._jwks_url = settings.oidc_jwks_url
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                url = self._jwks_url or self._discover()
                self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=_FETCH_TIMEOUT)
            return self._client

    def _discover(self) -> str:
        where = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(where, timeout=_FETCH_TIMEOUT) as response:
                document = json.load(response)
        except (OSError, ValueError) as exc:
            raise TokenRejected(f"the issuer's configuration at {where} cannot be read: {exc}") from None
        url = document.get("jwks_uri")
        if not isinstance(url, str):
            raise TokenRejected(f"{where} names no jwks_uri")
        return url

    def tenant_of(self, token: str) -> str:
        """The tenant the token's claim names; TokenRejected if anything about it is wrong."""
        try:
            key = self._keys().get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"{type(exc).__name__}: {exc}") from None
        tenant = claims.get(self._claim)
        if not isinstance(tenant, str):
            raise TokenRejected(f"the token has no string claim {self._claim!r}")
        try:
            return check_tenant_name(tenant)
        except InvalidTenantName as exc:
            raise TokenRejected(str(exc)) from None
