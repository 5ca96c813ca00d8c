"""One attempt over HTTP: to the pinned address, with Host and TLS server name of the URL's host, no redirects
followed, the response body never read."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from ablage import __version__
from ablage.webhooks.targets import Target

USER_AGENT = f"Ablage-System/{__version__}"
_MAX_ERROR = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        # A redirect is a failure: following it would reach an address nobody checked.
        return self.status_code is not None and 200 <= self.status_code < 300


def new_client(timeout: float) -> httpx.Client:
    # trust_env=False: a proxy from the environment would resolve the host itself, undoing the pinning.
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def send(client: httpx.Client, target: Target, headers: dict[str, str], body: bytes) -> Outcome:
    started = time.monotonic()
    try:
        with client.stream(
            "POST",
            target.pinned_url,
            content=body,
            headers=headers | {"Host": target.host_header},
            extensions={"sni_hostname": target.host},
        ) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR]
        return Outcome(None, error, _elapsed_ms(started))
    failure = None if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(status, failure, _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
