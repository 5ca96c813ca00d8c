"""``ablage storage init`` without an S3 server: local folders, and the errors an operator sees."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ablage.storage.base import Area
from ablage.storage.provision import provision_folders

# Dummy credentials, so that boto3 neither finds a developer's real ones nor looks for an instance profile.
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def _ablage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("S3_", "STORAGE_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "ablage", *args], env=clean | env, capture_output=True, text=True, timeout=120
    )


def test_local_init_creates_the_folders_once(tmp_path: Path) -> None:
    (tmp_path / "storage" / "originals").mkdir(parents=True)

    first = provision_folders(tmp_path / "storage")
    again = provision_folders(tmp_path / "storage")

    assert {report.area: report.changes for report in first} == {
        Area.originals: [],
        Area.processed: ["created"],
        Area.thumbnails: ["created"],
    }
    assert all(not report.changes for report in again)
    assert sorted(path.name for path in (tmp_path / "storage").iterdir()) == sorted(area.value for area in Area)


def test_local_init_command_reports_the_folders(tmp_path: Path) -> None:
    first = _ablage("storage", "init", DATA_DIR=str(tmp_path))
    second = _ablage("storage", "init", DATA_DIR=str(tmp_path))

    assert first.returncode == 0, first.stderr
    assert f"{tmp_path.resolve() / 'storage' / 'originals'} (originals): created" in first.stdout.splitlines()
    assert first.stdout.splitlines()[-1] == "local storage ready: 3 changes"
    assert second.stdout.splitlines()[-1] == "local storage ready: nothing to change"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_endpoint_is_one_clear_line_and_a_failure(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"

    result = _ablage("storage", "init", DATA_DIR=str(tmp_path), S3_ENDPOINT_URL=endpoint, **AWS)

    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"storage init failed: cannot reach the S3 endpoint {endpoint}: EndpointConnectionError"
    )
    assert result.stdout == ""


class _Refusing(BaseHTTPRequestHandler):
    """An S3 endpoint that refuses every request's signature, as S3 and MinIO do for a wrong secret key."""

    def _refuse(self) -> None:
        body = b"<Error><Code>SignatureDoesNotMatch</Code><Message>refused</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET = do_PUT = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_refused_credentials_are_named_without_a_traceback(tmp_path: Path, refusing_endpoint: str) -> None:
    result = _ablage("storage", "init", DATA_DIR=str(tmp_path), S3_ENDPOINT_URL=refusing_endpoint, **AWS)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("storage init failed: cannot look up bucket ablage-original-docs-")
    assert f"{refusing_endpoint} denied access (403): the credentials are wrong" in result.stderr
