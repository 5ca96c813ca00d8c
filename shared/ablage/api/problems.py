"""Every error leaves as RFC 9457 application/problem+json; internals stay in the log."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ablage.errors import AblageError, DependencyUnavailable
from ablage.storage.base import StorageError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
DEFAULT_RETRY_AFTER = 30


class Problem(BaseModel):
    """RFC 9457 problem details. Members beyond the five standard ones are extensions (e.g. ``detected``,
    ``job_error``) and are kept."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="a URI reference naming the kind of problem")
    title: str = Field(description="a short summary of the kind of problem")
    status: int = Field(ge=100, le=599, description="the HTTP status code")
    detail: str | None = Field(None, description="what went wrong in this occurrence")
    instance: str | None = Field(None, description="the path of the request (or job) it concerns")


class InvalidField(BaseModel):
    loc: list[str | int] = Field(description="where: the part of the request, then the field")
    msg: str


class ValidationProblem(Problem):
    """A 400 problem; when FastAPI's request validation refused the request, ``errors`` names each field."""

    errors: list[InvalidField] | None = None


def problem_response(problem: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    status = int(problem["status"])
    if status == 503 and not (headers and "Retry-After" in headers):
        # Every 503 tells the client when to come back, whichever path produced it.
        headers = (headers or {}) | {"Retry-After": str(DEFAULT_RETRY_AFTER)}
    return JSONResponse(problem, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _generic(status: int, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}


def _allowed_methods(request: Request) -> str:
    """Starlette's 405 names the methods of the first route on the path only; a path served by several routes
    (GET and DELETE on a job) answers with all of them."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def register_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(AblageError)
    async def _ablage(request: Request, exc: AblageError) -> JSONResponse:
        problem = exc.problem() | {"instance": request.url.path}
        headers = dict(exc.headers or {})
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return problem_response(problem, headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(error.get("loc", ())), "msg": error.get("msg", "")} for error in exc.errors()]
        problem = _generic(400, "the request is malformed") | {"errors": errors, "instance": request.url.path}
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem_response(_generic(exc.status_code, detail), headers)

    async def _dependency(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: backing service unavailable: %s", request.method, request.url.path, type(exc).__name__)
        component = "storage" if isinstance(exc, StorageError) else "database"
        problem = DependencyUnavailable(f"the {component} is unavailable; nothing was changed, retry later")
        return problem_response(problem.problem() | {"instance": request.url.path}, {"Retry-After": "10"})

    # PoolTimeout: every pooled connection stayed busy for DB_POOL_TIMEOUT; as transient as a lost connection.
    for failure in (OperationalError, InterfaceError, PoolTimeout, StorageError):
        app.add_exception_handler(failure, _dependency)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(_generic(500, "an unexpected error occurred; it has been logged"))
