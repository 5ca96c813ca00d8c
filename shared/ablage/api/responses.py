"""What an operation answers besides its success, for FastAPI's ``responses=``: the problem statuses it can
raise (``application/problem+json``), and the headers that come with them."""

from __future__ import annotations

from typing import Any

from ablage.api.problems import PROBLEM_JSON

Responses = dict[int | str, dict[str, Any]]

RETRY_AFTER: dict[str, Any] = {
    "description": "seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
LOCATION: dict[str, Any] = {
    "description": "the job's status URL",
    "required": True,
    "schema": {"type": "string"},
}

_RATE_LIMIT: dict[str, Any] = {
    "description": "the tightest window of the tenant's request rate: remaining requests `r`, seconds to reset `t`",
    "schema": {"type": "string"},
}
_RATE_LIMIT_POLICY: dict[str, Any] = {
    "description": "the tenant's request rate windows: quota `q` per `w` seconds",
    "schema": {"type": "string"},
}
_WWW_AUTHENTICATE: dict[str, Any] = {
    "description": 'the Bearer challenge (RFC 6750); `error="invalid_token"` when a key was sent but refused',
    "required": True,
    "schema": {"type": "string"},
}

_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: form, options or query parameters (request validation lists each field in `errors`)",
    404: "No such job",
    409: "The job has not succeeded (yet): poll its status",
    410: "The result was removed under the retention policy",
    413: "The upload exceeds MAX_UPLOAD_SIZE; reading stopped at the limit",
    415: "The file's content (not its name) is not an allowed type",
    422: "Well-formed, but it cannot be done",
    401: "No valid API key or token: send `Authorization: Bearer <token>`",
    429: "The tenant is over its request rate or a quota; retry after `Retry-After` seconds",
    500: "Unexpected error; it has been logged",
    503: "Overloaded, or a database, storage or engine is unavailable; retry after `Retry-After` seconds",
}


def problem_schema_ref(status: int) -> str:
    name = "ValidationProblem" if status == 400 else "Problem"
    return f"#/components/schemas/{name}"


def problem(status: int, description: str | None = None) -> Responses:
    response: dict[str, Any] = {
        "description": description or _DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": problem_schema_ref(status)}}},
    }
    if status == 503:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    if status == 429:
        response["headers"] = {
            "Retry-After": RETRY_AFTER,
            "RateLimit": _RATE_LIMIT,
            "RateLimit-Policy": _RATE_LIMIT_POLICY,
        }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": _WWW_AUTHENTICATE}
    return {status: response}


def problems(*statuses: int) -> Responses:
    documented: Responses = {}
    for status in statuses:
        documented |= problem(status)
    return documented
