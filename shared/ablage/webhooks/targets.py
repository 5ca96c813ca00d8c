"""Where a webhook may go. A URL's host is resolved once; every address it resolves to must be public (or
allow-listed), and the request then goes to that address, so a second lookup cannot point it elsewhere."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048
# Cloud instance metadata (AWS, GCP, Azure; AWS's IPv6 one): named as such in the reason.
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class MalformedTarget(ValueError):
    """Not an absolute http(s) URL."""


class TargetRefused(ValueError):
    """A well-formed URL this service will not call."""


@dataclass(frozen=True)
class Target:
    """A URL pinned to the address its host resolved to."""

    scheme: str
    host: str
    port: int
    target: str
    """path and query, as sent"""
    address: IPAddress

    @property
    def pinned_url(self) -> str:
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.scheme}://{literal}:{self.port}{self.target}"

    @property
    def host_header(self) -> str:
        literal = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return literal if self.port == default else f"{literal}:{self.port}"


def parse(url: str) -> httpx.URL:
    """The URL if it is absolute http(s) without credentials; MalformedTarget otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise MalformedTarget(f"callback_url: longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise MalformedTarget(f"callback_url: {url!r} is not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise MalformedTarget(f"callback_url: {url!r} is not an http or https URL")
    if not parsed.host:
        raise MalformedTarget(f"callback_url: {url!r} names no host")
    if parsed.userinfo:
        raise MalformedTarget("callback_url: credentials in the URL are not supported; verify the signature instead")
    return parsed


def _why_not_public(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _why_not_public(address.ipv4_mapped)
    if address in _METADATA:
        return "a cloud metadata address"
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:
        return "not a public address"
    return None


def _allowed_networks(allowed: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in allowed if "/" in entry]


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"callback_url: {host} does not resolve ({exc})") from None
    # The scope of a link-local IPv6 address (fe80::1%eth0) is cut off; such an address is refused anyway.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found))


def resolve(url: str, allowed: Sequence[str]) -> Target:
    """The URL pinned to a permitted address; MalformedTarget or TargetRefused (with the reason) otherwise.
    ``allowed``: hostnames and CIDRs (WEBHOOK_ALLOWED_TARGETS) exempt from the public-address rule."""
    parsed = parse(url)
    host = parsed.host.lower().rstrip(".")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses:
        raise TargetRefused(f"callback_url: {host} resolves to no address")
    if host not in allowed:
        networks = _allowed_networks(allowed)
        for address in addresses:
            if any(address in network for network in networks):
                continue
            reason = _why_not_public(address)
            if reason is not None:
                raise TargetRefused(
                    f"callback_url: {host} is {address}, {reason}; only WEBHOOK_ALLOWED_TARGETS may be reached there"
                )
    target = parsed.raw_path.decode("ascii")
    return Target(parsed.scheme, host, port, target, addresses[0])
