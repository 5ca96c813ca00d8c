"""Webhook targets: only public http(s) addresses unless allow-listed, every resolved address checked, and the
request pinned to the checked address with the URL's host in Host and in TLS (SNI and certificate)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
import trustme
from ablage.webhooks.sending import send
from ablage.webhooks.targets import MalformedTarget, TargetRefused, resolve


def _resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in names:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in names[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.1/",
        "http://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
    ],
)
def test_private_loopback_and_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused, match="WEBHOOK_ALLOWED_TARGETS"):
        resolve(url, [])


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://example.com/",
        "example.com/hook",
        "http://",
        "http://user:pw@example.com/",
    ],
)
def test_other_schemes_and_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(MalformedTarget):
        resolve(url, [])


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving(monkeypatch, {"mixed.example": ["93.184.215.14", "10.1.2.3"]})
    with pytest.raises(TargetRefused, match=r"10\.1\.2\.3"):
        resolve("https://mixed.example/hook", [])


def test_a_public_name_is_pinned_to_its_address(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving(monkeypatch, {"hooks.example": ["93.184.215.14"]})
    target = resolve("https://Hooks.Example:8443/in?x=1", [])
    assert target.pinned_url == "https://93.184.215.14:8443/in?x=1"
    assert target.host == "hooks.example"
    assert target.host_header == "hooks.example:8443"
    v6 = resolve("http://[2606:4700::1111]/", [])
    assert v6.pinned_url == "http://[2606:4700::1111]:80/"
    assert v6.host_header == "[2606:4700::1111]"


def test_the_allow_list_admits_hosts_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(resolve("http://127.0.0.1:9/", ["127.0.0.1/32"]).address) == "127.0.0.1"
    assert str(resolve("http://localhost:9/", ["localhost"]).address) in ("127.0.0.1", "::1")
    _resolving(monkeypatch, {"intranet.example": ["10.20.0.5"]})
    assert str(resolve("http://intranet.example/", ["10.20.0.0/16"]).address) == "10.20.0.5"
    with pytest.raises(TargetRefused):
        resolve("http://10.21.0.5/", ["10.20.0.0/16"])


class _Seen(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        _Seen.hosts.append(self.headers["host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_receiver() -> Iterator[tuple[int, trustme.CA]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.test").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Seen)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ca
    finally:
        server.shutdown()
        server.server_close()


def test_https_to_a_pinned_address_checks_the_certificate_of_the_host(
    monkeypatch: pytest.MonkeyPatch, tls_receiver: tuple[int, trustme.CA]
) -> None:
    port, ca = tls_receiver
    _resolving(monkeypatch, {"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    with httpx.Client(verify=trusted, follow_redirects=False, trust_env=False, timeout=10) as client:
        good = send(client, resolve(f"https://hooks.test:{port}/in", ["127.0.0.1/32"]), {}, b"{}", 10)
        assert good.delivered, good
        assert _Seen.hosts[-1] == f"hooks.test:{port}"
        wrong = send(client, resolve(f"https://other.test:{port}/in", ["127.0.0.1/32"]), {}, b"{}", 10)
    assert not wrong.delivered
    assert wrong.error is not None and "certificate" in wrong.error.lower(), wrong


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            # Each byte comes well within the read timeout; the answer never ends.
            while not stop.wait(0.1):
                try:
                    connection.sendall(b"X")
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    port = listener.getsockname()[1]
    started = time.monotonic()
    try:
        with httpx.Client(timeout=5, follow_redirects=False, trust_env=False) as client:
            outcome = send(client, resolve(f"http://127.0.0.1:{port}/", ["127.0.0.1/32"]), {}, b"{}", 1)
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 4
    assert not outcome.delivered and outcome.error == "the attempt took longer than 1 s", outcome
