"""The caller of every API operation: authenticated (or open to local callers), counted against the tenant's
request rate, and named to the routes as ``CallerDep``. The rate headers of an admitted request are added to
its response by ``RateLimitHeaders``."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ablage.api.state import StateDep
from ablage.errors import Unauthorized
from ablage.tenancy.identity import Caller, Via

_RATE_HEADERS = "rate_limit_headers"

# Documents the scheme in OpenAPI; the header itself is read below, so a malformed one gets a precise 401.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `ablage keys create`, or an OIDC access token from the configured issuer",
)


def authenticated(request: Request, state: StateDep, _scheme: object = Security(bearer_scheme)) -> Caller:
    caller = state.auth.authenticate(request.headers.get("authorization"))
    if caller.via is Via.oidc:
        state.backends.tenants.ensure(caller.tenant)
    return caller


def caller(request: Request, state: StateDep, who: Annotated[Caller, Depends(authenticated)]) -> Caller:
    limits = state.backends.tenants.limits(who.tenant)
    decision = state.limiter.hit(who.tenant, limits.rate_limit)
    setattr(request.state, _RATE_HEADERS, decision.headers)
    return who


CallerDep = Annotated[Caller, Depends(caller)]


def operator(request: Request, state: StateDep) -> None:
    """/metrics: METRICS_TOKEN where it is set; otherwise any tenant's key once the service has keys."""
    token = state.settings.auth.metrics_token
    if token is None:
        state.auth.authenticate(request.headers.get("authorization"))
        return
    scheme, _, sent = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.get_secret_value().encode()):
        raise Unauthorized("/metrics needs Authorization: Bearer <METRICS_TOKEN>", error="invalid_token")


def reader_of_docs(request: Request, state: StateDep) -> None:
    """/docs and /openapi.json: open where DOCS_PUBLIC is set, else to callers the API would accept."""
    if not state.settings.auth.docs_public:
        state.auth.authenticate(request.headers.get("authorization"))


class RateLimitHeaders:
    """Adds ``RateLimit`` and ``RateLimit-Policy`` to responses of requests the rate limit counted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get(_RATE_HEADERS)
                if extra:
                    headers = MutableHeaders(scope=message)
                    for name, value in extra.items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
