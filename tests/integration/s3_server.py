"""A real S3-protocol server (moto) on loopback, reached through boto3 over HTTP; import the fixtures you need."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ablage.storage.base import Area
from ablage.storage.provision import provision_buckets
from ablage.storage.s3 import S3Config, S3Storage

from tests.backends import unavailable

# Dummy credentials, so that boto3 neither finds a developer's real ones nor looks for an instance profile.
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
RUN_ID = uuid.uuid4().hex[:8]  # bucket names are unique per test run, and per test below


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _ENV.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            patch.delenv(name, raising=False)
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            unavailable(f"no S3 server for the tests: moto[server] is not installed ({exc})")
        # Port 0: each test process (pytest-xdist worker) gets a server on a port of its own.
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        try:
            server.start()
        except Exception as exc:
            unavailable(f"the S3 server (moto) did not start on loopback: {exc}")
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def s3_config_for(endpoint: str, **overrides: Any) -> S3Config:
    """Config with buckets no other test uses."""
    name = f"ablage-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    return S3Config(buckets={area: f"{name}-{area}" for area in Area}, endpoint_url=endpoint, **overrides)


@pytest.fixture
def s3_storage(s3_endpoint: str) -> S3Storage:
    storage = S3Storage(s3_config_for(s3_endpoint))
    provision_buckets(storage)
    return storage
