"""Who may call: revocation reaching a second replica, OIDC tokens checked against a JWKS served on loopback,
the start rule (open only to local callers without keys), and /metrics and /docs behind a key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import jwt
import pytest
from ablage.settings import Settings
from ablage.tenancy.identity import OpenAccessRefused
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.apps import running_app
from tests.conftest import DOCUMENTS, embedded_only
from tests.e2e.test_tenants import assert_no_such_job, assert_unauthorized
from tests.fakes.engines import FAKE
from tests.jobs import run_job

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
AUDIENCE = "ablage-api"


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["production"])
async def test_a_revoked_key_is_refused_on_another_replica_within_seconds(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(ocr={"enabled_engines": [FAKE]}, auth={"key_cache_seconds": 5})
    async with running_app(settings) as first, running_app(settings) as second:
        info, token = first.state.auth.keys.create("tenant-a")
        async with second.client(token) as client:
            # The second replica has verified (and cached) the key before it is revoked on the first.
            assert (await client.get("/api/v1/cpu/engines")).status_code == 200
            first.state.auth.keys.revoke(info.id)
            revoked_at = time.monotonic()
            while (response := await client.get("/api/v1/cpu/engines")).status_code == 200:
                assert time.monotonic() - revoked_at < 10, "the second replica still accepts the revoked key"
                await anyio.sleep(0.2)
            assert_unauthorized(response, "invalid_token")
            assert time.monotonic() - revoked_at <= settings.auth.key_cache_seconds + 1


class _Issuer:
    """An OIDC issuer on loopback: its discovery document and JWKS, and tokens signed with its key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [jwk | {"kid": "test-1", "use": "sig", "alg": "RS256"}]}
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    "/.well-known/openid-configuration": {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"},
                    "/jwks": issuer.jwks,
                }
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = datetime.now(UTC)
        body = {"iss": self.url, "aud": AUDIENCE, "sub": "user-1", "exp": now + timedelta(minutes=5), "iat": now}
        return jwt.encode(body | claims, key or self.key, algorithm="RS256", headers={"kid": "test-1"})


@pytest.fixture
def issuer() -> Iterator[_Issuer]:
    issuer = _Issuer()
    yield issuer
    issuer.server.shutdown()


async def test_oidc_tokens_map_a_claim_to_the_tenant(
    make_settings: Callable[..., Settings], issuer: _Issuer, backend: str
) -> None:
    settings = make_settings(
        ocr={"enabled_engines": [FAKE]}, auth={"oidc_issuer": issuer.url, "oidc_audience": AUDIENCE}
    )
    async with running_app(settings, [FAKE]) as app:
        async with app.client(issuer.token(tenant="acme")) as acme, app.client(issuer.token(tenant="globex")) as globex:
            job = await run_job(acme, PHOTOTEST, filename="acme.tif")
            assert job["status"] == "succeeded"
            assert_no_such_job(await globex.get(job["links"]["self"]))
        async with app.client() as anonymous:
            assert_unauthorized(await anonymous.get("/api/v1/cpu/engines"), None)
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        refused = {
            "another audience": issuer.token(tenant="acme", aud="someone-else"),
            "another issuer": issuer.token(tenant="acme", iss="https://evil.example"),
            "expired": issuer.token(tenant="acme", exp=datetime.now(UTC) - timedelta(minutes=5)),
            "not signed by the issuer": issuer.token(key=other_key, tenant="acme"),
            "no tenant claim": issuer.token(),
            "a tenant name that is no name": issuer.token(tenant="../acme"),
        }
        for why, token in refused.items():
            async with app.client(token) as client:
                response = await client.get("/api/v1/cpu/engines")
                assert response.status_code == 401, why
                assert_unauthorized(response, "invalid_token")


@embedded_only
async def test_without_keys_only_loopback_is_served(make_settings: Callable[..., Settings]) -> None:
    public = make_settings(ocr={"enabled_engines": [FAKE]}, auth={"bind_host": "0.0.0.0"})
    with pytest.raises(OpenAccessRefused, match="ablage keys create"):
        async with running_app(public):
            pass
    local = make_settings(ocr={"enabled_engines": [FAKE]}, auth={"key_cache_seconds": 0})
    async with running_app(local, [FAKE]) as app, app.client() as client:
        assert (await client.get("/api/v1/cpu/engines")).status_code == 200
        # The first key closes the open door: callers without one are refused from then on.
        _, token = app.state.auth.keys.create("tenant-a")
        assert_unauthorized(await client.get("/api/v1/cpu/engines"), None)
        assert (
            await client.get("/api/v1/cpu/engines", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 200


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    env = os.environ | {"DATA_DIR": str(tmp_path), "ENABLED_ENGINES": "tesseract"}
    command = [sys.executable, "-m", "ablage", "serve", "--host", "0.0.0.0", "--port", "0"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert "would be open to anyone" in refused.stderr and "ablage keys create --tenant" in refused.stderr
    created = subprocess.run(
        [sys.executable, "-m", "ablage", "keys", "create", "--tenant", "ops", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    key = json.loads(created.stdout)
    assert key["tenant"] == "ops" and key["token"].startswith("abl_")
    listed = subprocess.run(
        [sys.executable, "-m", "ablage", "keys", "list", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert [row["id"] for row in json.loads(listed.stdout)] == [key["id"]]
    assert key["token"] not in listed.stdout


@embedded_only
async def test_metrics_and_docs_need_a_key_once_keys_exist(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(ocr={"enabled_engines": [FAKE]})
    async with running_app(settings, [FAKE]) as app:
        async with app.client() as anonymous:
            for path in ("/metrics", "/openapi.json", "/docs"):
                assert (await anonymous.get(path)).status_code == 200, path
            _, token = app.state.auth.keys.create("tenant-a")
            for path in ("/metrics", "/openapi.json", "/docs", "/redoc"):
                assert_unauthorized(await anonymous.get(path), None)
        async with app.client(token) as client:
            for path in ("/metrics", "/openapi.json", "/docs"):
                assert (await client.get(path)).status_code == 200, path
            schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
            assert schemes["apiKey"]["scheme"] == "bearer"
    metered = make_settings(
        ocr={"enabled_engines": [FAKE]}, auth={"metrics_token": "scrape-secret", "docs_public": True}
    )
    async with running_app(metered, [FAKE]) as app:
        _, token = app.state.auth.keys.create("tenant-a")
        async with app.client(token) as tenant, app.client("scrape-secret") as prometheus, app.client() as anonymous:
            assert_unauthorized(await tenant.get("/metrics"), "invalid_token")
            assert (await prometheus.get("/metrics")).status_code == 200
            assert (await anonymous.get("/openapi.json")).status_code == 200
