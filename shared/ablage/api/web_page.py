"""The web page for people, served by the service itself: ``/`` is the page, ``/static/...`` its scripts and
styles (package data in ``ablage/api/web``; plain ES modules, so nothing is built before it runs)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).parent / "web"
# The page's API, named in index.html; the GPU service, which has no CPU prefix, puts its own there.
DEFAULT_PREFIX = "/api/v1/cpu"
_PREFIX_META = f'<meta name="ablage-api" content="{DEFAULT_PREFIX}">'

# Scripts and styles come only from /static (no inline script or style to inject into); the API is the only
# thing the page talks to, and page images are fetched (with the key) as blobs, hence blob: for img-src.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _StaticAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_HEADERS)
        # A new release changes the files under the same names: the browser asks again rather than guessing.
        response.headers["Cache-Control"] = "no-cache"
        return response


def api_prefix(app: FastAPI) -> str:
    """The OCR prefix the page talks to: the CPU service's where the app has it, else the first one mounted."""
    prefixes = [
        route.path.removesuffix("/jobs")
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.endswith("/jobs") and "POST" in (route.methods or ())
    ]
    return DEFAULT_PREFIX if DEFAULT_PREFIX in prefixes or not prefixes else prefixes[0]


def serve_web(app: FastAPI) -> None:
    """Adds ``/`` (the page) and ``/static`` (its assets) to ``app``; call it once the OCR routes are in."""
    html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    page = html.replace(_PREFIX_META, f'<meta name="ablage-api" content="{api_prefix(app)}">')

    @app.get("/", include_in_schema=False)
    def web_page() -> HTMLResponse:
        return HTMLResponse(page, headers=_HEADERS)

    app.mount("/static", _StaticAssets(directory=WEB_DIR), name="static")
