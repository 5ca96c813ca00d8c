"""The web page for people, served by the service itself: ``/`` is the page, ``/static/...`` its scripts and
styles (package data in ``ablage/api/web``; plain ES modules, so nothing is built before it runs)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).parent / "web"

# Scripts and styles come only from /static (no inline script or style to inject into); the API is the only
# thing the page talks to, and page images are fetched as blobs, hence blob: for img-src.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
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


def serve_web(app: FastAPI) -> None:
    """Adds ``/`` (the page) and ``/static`` (its assets) to ``app``."""

    @app.get("/", include_in_schema=False)
    def web_page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_HEADERS)

    app.mount("/static", _StaticAssets(directory=WEB_DIR), name="static")
