"""The OpenAPI document: FastAPI's, with the problem models in its components and without FastAPI's stock 422
(``HTTPValidationError``): this service answers a request that fails validation with a 400 problem instead."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from ablage.api.problems import Problem, ValidationProblem

_COMPONENTS = "#/components/schemas/"
_STOCK_422 = {"application/json": {"schema": {"$ref": f"{_COMPONENTS}HTTPValidationError"}}}


def _add_problem_models(document: dict[str, Any]) -> None:
    _, schemas = models_json_schema(
        [(Problem, "serialization"), (ValidationProblem, "serialization")], ref_template=_COMPONENTS + "{model}"
    )
    document.setdefault("components", {}).setdefault("schemas", {}).update(schemas["$defs"])


def _drop_stock_validation_responses(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if responses.get("422", {}).get("content") == _STOCK_422:
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _drop_stock_validation_responses(document)
            _add_problem_models(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
