"""How ``ablage worker`` tells its supervisor that it is alive: ``GET /live`` and ``GET /metrics`` on
WORKER_HEALTH_HOST:WORKER_HEALTH_PORT for Kubernetes and Prometheus, and systemd's watchdog (sd_notify) when it
runs as a ``Type=notify`` unit.

Alive means: every job thread made progress within its limits (``Liveness``). A stuck worker stops answering
200 and stops feeding the watchdog, so its supervisor restarts it; its jobs are claimed again elsewhere.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from ablage.jobs.liveness import Liveness

log = logging.getLogger(__name__)

_PROBLEM = "application/problem+json"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # A probe every few seconds would drown the worker's own log.
        return None


def sd_notify(message: str) -> bool:
    """Sends ``message`` to systemd's notification socket; False when not run by systemd (no NOTIFY_SOCKET)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        log.warning("could not notify systemd at %s", os.environ.get("NOTIFY_SOCKET"), exc_info=True)
        return False
    return True


class WorkerHealth:
    def __init__(self, liveness: Liveness) -> None:
        self._liveness = liveness
        self._metrics = make_wsgi_app()
        self._server: WSGIServer | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def report(self) -> tuple[bool, dict[str, Any]]:
        stalls = self._liveness.stalls()
        if not stalls:
            return True, {"status": "alive", "busy_threads": self._liveness.busy_threads()}
        return False, {
            "type": "/problems/worker-stalled",
            "title": "A worker thread makes no progress",
            "status": 503,
            "detail": "; ".join(
                f"{stall.thread} has been silent for {stall.silent_for:.0f} s on job {stall.job_id}" for stall in stalls
            ),
            "allowed_s": self._liveness.allowed,
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = self._metrics(environ, start_response)
            return body
        if path != "/live":
            start_response("404 Not Found", [("Content-Type", _PROBLEM)])
            return [json.dumps({"title": "Not found", "status": 404, "detail": "try /live or /metrics"}).encode()]
        alive, report = self.report()
        status = "200 OK" if alive else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json" if alive else _PROBLEM)])
        return [json.dumps(report).encode()]

    def serve(self, host: str, port: int) -> int:
        """Starts answering on ``host:port`` in a thread; returns the port (``0`` picks a free one)."""
        self._server = make_server(host, port, self, handler_class=_QuietHandler)
        thread = threading.Thread(target=self._server.serve_forever, name="worker-health", daemon=True)
        thread.start()
        self._threads.append(thread)
        return int(self._server.server_port)

    def notify_systemd(self) -> None:
        """READY=1 now; then, where systemd set a watchdog, WATCHDOG=1 at half its interval while alive."""
        if not sd_notify("READY=1"):
            return
        watchdog_usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        if watchdog_usec <= 0:
            return
        interval = watchdog_usec / 1_000_000 / 2

        def feed() -> None:
            while not self._stop.wait(interval):
                alive, report = self.report()
                if alive:
                    sd_notify("WATCHDOG=1")
                else:
                    log.error("worker is stalled, withholding the watchdog: %s", report["detail"])

        thread = threading.Thread(target=feed, name="systemd-watchdog", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        sd_notify("STOPPING=1")
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(5)
