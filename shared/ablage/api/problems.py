"""Every error leaves as RFC 9457 application/problem+json; internals stay in the log."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ablage.errors import AblageError, DependencyUnavailable
from ablage.storage.base import StorageError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_response(problem: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem, status_code=int(problem["status"]), media_type=PROBLEM_JSON, headers=headers)


def _generic(status: int, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}


def register_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(AblageError)
    async def _ablage(request: Request, exc: AblageError) -> JSONResponse:
        problem = exc.problem() | {"instance": request.url.path}
        headers = None
        if exc.retry_after is not None:
            headers = {"Retry-After": str(exc.retry_after)}
        elif exc.status == 503:
            headers = {"Retry-After": "30"}
        return problem_response(problem, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(error.get("loc", ())), "msg": error.get("msg", "")} for error in exc.errors()]
        problem = _generic(400, "the request is malformed") | {"errors": errors, "instance": request.url.path}
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(_generic(exc.status_code, detail), dict(exc.headers or {}))

    async def _dependency(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: backing service unavailable: %s", request.method, request.url.path, type(exc).__name__)
        component = "storage" if isinstance(exc, StorageError) else "database"
        problem = DependencyUnavailable(f"the {component} is unavailable; nothing was changed, retry later")
        return problem_response(problem.problem() | {"instance": request.url.path}, {"Retry-After": "10"})

    for failure in (OperationalError, InterfaceError, StorageError):
        app.add_exception_handler(failure, _dependency)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(_generic(500, "an unexpected error occurred; it has been logged"))
