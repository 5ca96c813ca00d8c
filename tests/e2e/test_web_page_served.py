"""The web page as the service serves it: under a strict Content-Security-Policy, with nothing inline for that
policy to block, every asset it loads present, and all of it off where WEB_UI_ENABLED=false."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from ablage.api.web_page import WEB_DIR, api_prefix
from ablage.settings import ServiceSettings, Settings
from fastapi import FastAPI

from tests.apps import running_app
from tests.conftest import FAKE_OCR, embedded_only

pytestmark = pytest.mark.anyio

MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def assets_of(html: str) -> set[str]:
    """What the page loads: its script and stylesheet, and the modules those import."""
    found = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    for script in WEB_DIR.glob("*.js"):
        found |= {f"/static/{name}" for name in re.findall(r'from "\./([\w.-]+\.js)"', script.read_text())}
    return found


@embedded_only
async def test_page_and_assets_under_a_strict_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = {part.split()[0]: part.split()[1:] for part in page.headers["content-security-policy"].split("; ")}
    assert '<meta name="ablage-api" content="/api/v1/cpu">' in page.text
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert page.headers["x-content-type-options"] == "nosniff"
    html = page.text
    # Nothing the policy would refuse: no inline script, style or event handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)

    assets = assets_of(html)
    assert {"/static/app.js", "/static/app.css", "/static/api.js", "/static/i18n.js"} <= assets
    for path in assets:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(MEDIA_TYPES[path[path.rindex(".") :]]), path
        assert response.headers["x-content-type-options"] == "nosniff"


@embedded_only
async def test_web_ui_can_be_switched_off(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(ocr=FAKE_OCR)
    service = settings.service.model_dump() | {"web_ui_enabled": False}
    changed = settings.model_copy(update={"service": ServiceSettings(**service)})
    async with running_app(changed) as app, app.client() as client:
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/static/app.js")).status_code == 404
        assert (await client.get("/health")).status_code == 200


def test_the_page_names_the_prefix_of_its_service() -> None:
    # The GPU service mounts only /api/v1/ocr; the embedded one both, and the page uses the CPU one there.
    gpu = FastAPI()
    gpu.post("/api/v1/ocr/jobs")(lambda: None)
    assert api_prefix(gpu) == "/api/v1/ocr"
    both = FastAPI()
    both.post("/api/v1/ocr/jobs")(lambda: None)
    both.post("/api/v1/cpu/jobs")(lambda: None)
    assert api_prefix(both) == "/api/v1/cpu"
