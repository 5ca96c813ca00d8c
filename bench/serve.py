"""``ablage serve`` as a separate process for the benchmarks: started on a free loopback port, waited for, stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str
    pid: int


@contextmanager
def served(
    env: dict[str, str], log_path: Path, *, args: tuple[str, ...] = (), wait_for: str = "/health", timeout: float = 120
) -> Iterator[Served]:
    """Runs ``ablage serve --port <free> *args`` with ``env`` until ``wait_for`` answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "ablage.cli.main", "serve", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"ablage serve exited:\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{base}{wait_for}", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"ablage serve did not answer {wait_for} within {timeout:.0f} s:\n{log_path.read_text()}"
                    )
                time.sleep(0.2)
            yield Served(base, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
