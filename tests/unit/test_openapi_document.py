"""The OpenAPI document's problem responses: RFC 9457 media type and schema, Retry-After on 503, and no
FastAPI stock 422 (request validation errors are answered as 400 problems)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ablage.settings import ServiceSettings, Settings
from ablage_services.embedded import create_app


def _document() -> dict[str, Any]:
    # Building the app starts nothing (that is the lifespan's work), so the document is read without a server.
    settings = Settings(service=ServiceSettings(data_dir=Path("/nonexistent")))
    return create_app(settings).openapi()


DOCUMENT = _document()
OPERATIONS = [(method, path) for path, entries in DOCUMENT["paths"].items() for method in entries]


def _responses(method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = DOCUMENT["paths"][path][method]["responses"]
    return responses


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_problem_responses_are_problem_json(method: str, path: str) -> None:
    for status, response in _responses(method, path).items():
        if int(status) < 400 or path == "/ready":
            continue
        (media_type, body), *others = response["content"].items()
        assert (media_type, others) == ("application/problem+json", [])
        expected = "ValidationProblem" if status == "400" else "Problem"
        assert body["schema"] == {"$ref": f"#/components/schemas/{expected}"}
        if status == "503":
            assert response["headers"]["Retry-After"]["required"] is True


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_operations_that_validate_input_document_400(method: str, path: str) -> None:
    operation = DOCUMENT["paths"][path][method]
    validated = "requestBody" in operation or any(p["in"] != "path" for p in operation.get("parameters", []))
    assert ("400" in operation["responses"]) is validated


def test_no_stock_validation_error_and_problem_models_registered() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"type", "title", "status", "detail", "instance"} <= set(schemas["Problem"]["properties"])
    assert schemas["Problem"]["additionalProperties"] is True


def test_result_lists_every_format_and_its_media_type() -> None:
    operation = DOCUMENT["paths"]["/api/v1/cpu/jobs/{job_id}/result"]["get"]
    fmt = next(p for p in operation["parameters"] if p["name"] == "format")
    enum = DOCUMENT["components"]["schemas"][fmt["schema"]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert enum == ["json", "text", "markdown", "hocr", "alto", "pdf"]
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "text/plain",
        "text/markdown",
        "text/vnd.hocr+html",
        "application/alto+xml",
        "application/pdf",
    }


def test_force_ocr_accepts_exactly_the_documented_spellings() -> None:
    from ablage.api.upload_form import request_body
    from ablage.api.uploads import _parse_bool
    from ablage.errors import BadRequest
    from ablage_services.cpu_backend.app import CPU_ROUTE

    field = request_body(CPU_ROUTE)["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    spellings = field["force_ocr"]["enum"]
    assert {_parse_bool("force_ocr", spelling) for spelling in spellings} == {True, False}
    assert _parse_bool("force_ocr", "1") and not _parse_bool("force_ocr", "off")
    with pytest.raises(BadRequest):
        _parse_bool("force_ocr", "maybe")
