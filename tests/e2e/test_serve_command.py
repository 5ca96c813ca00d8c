"""The README's run command: ``ablage serve`` answers a curl-style upload over a real socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DOCUMENTS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = os.environ | {"DATA_DIR": str(tmp_path / "data"), "WORKERS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ablage.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            time.sleep(0.2)
        else:
            raise AssertionError("the server did not become ready within 60 s")
        yield base
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.slow
def test_serve_answers_a_german_letter(server: str) -> None:
    letter = DOCUMENTS / "de_invoice_ferd_einfach.png"
    response = httpx.post(f"{server}/api/v1/cpu", files={"file": ("letter.png", letter.read_bytes())}, timeout=120)
    assert response.status_code == 200, response.text
    text = response.json()["text"]
    assert "Handelsrechnung" in text and "Lieferantenstraße" in text
    assert httpx.get(f"{server}/health").json() == {"status": "ok"}
