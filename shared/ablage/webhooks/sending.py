"""One attempt over HTTP: to the pinned address, with Host and TLS server name of the URL's host, no redirects
followed, the response body never read, and the whole attempt bounded by WEBHOOK_TIMEOUT."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

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
    # trust_env=False: a proxy from the environment would resolve the host itself, undoing the pinning. No
    # keep-alive: each attempt connects to the address just checked, and the deadline below sees its socket.
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


class _Deadline:
    """httpx's timeout bounds each read, not the attempt: a receiver dripping a byte at a time would hold a
    sender for ever. This cuts the attempt's socket when its time is up, which ends the blocked read."""

    def __init__(self, seconds: float) -> None:
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            sock = info["return_value"].get_extra_info("socket")
            with self._lock:
                if sock is not None:
                    self._sockets.append(sock)
                if self.expired:
                    self._cut_locked()

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            self._cut_locked()

    def _cut_locked(self) -> None:
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()


def send(client: httpx.Client, target: Target, headers: dict[str, str], body: bytes, deadline: float) -> Outcome:
    started = time.monotonic()
    with _Deadline(deadline) as watch:
        try:
            with client.stream(
                "POST",
                target.pinned_url,
                content=body,
                headers=headers | {"Host": target.host_header},
                extensions={"sni_hostname": target.host, "trace": watch.trace},
            ) as response:
                status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
            if watch.expired:
                error = f"the attempt took longer than {deadline:g} s"
            return Outcome(None, error[:_MAX_ERROR], _elapsed_ms(started))
    failure = None if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(status, failure, _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
