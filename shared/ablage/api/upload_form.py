"""The upload form as the OpenAPI document states it, and the check that holds each field to that statement,
so a form the schema allows passes the syntax check and one it does not is refused with 400."""

from __future__ import annotations

import re
from typing import Any

from ablage.api.uploads import FALSE_SPELLINGS, TRUE_SPELLINGS
from ablage.engines.scripts import Script
from ablage.errors import BadRequest
from ablage.jobs.routes import ServiceRoute
from ablage.jobs.service import SubmitForm
from ablage.results.archive_pdf import PdfOutput
from ablage.results.page_image import Optimize
from ablage.results.spelling import Spelling
from ablage.webhooks.targets import MAX_URL_LENGTH, MalformedTarget, parse

MAX_FIELD_LENGTH = 4096
_CODE = "[A-Za-z]{2,3}"
_PAGE = "[1-9][0-9]*"
_SPAN = f"{_PAGE} *(- *{_PAGE} *)?"
# ASCII classes only: the same text means the same in Python's re and in JSON Schema's ECMA-262 patterns.
LANGUAGES_PATTERN = f"^ *({_CODE} *(, *{_CODE} *)*)?$"
PAGES_PATTERN = f"^ *({_SPAN}(, *{_SPAN})*)?$"
MAX_IDEMPOTENCY_KEY = 255


def engine_choices(route: ServiceRoute) -> list[str]:
    return ["auto", *route.offered()]


def request_body(route: ServiceRoute) -> dict[str, Any]:
    """``openapi_extra`` for an upload operation at ``route``."""
    text = {"type": "string", "maxLength": MAX_FIELD_LENGTH}
    return {
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "retries with the same key return the job of the first request",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "PDF, PNG, JPEG, TIFF (others where ALLOWED_EXTENSIONS lists them); "
                                "the type is decided by content, not by name",
                            },
                            "languages": text
                            | {
                                "pattern": LANGUAGES_PATTERN,
                                "example": "de,en",
                                "description": "ISO 639-1 list; default LANGUAGES",
                            },
                            "engine": {"type": "string", "enum": engine_choices(route), "default": "auto"},
                            "pages": text
                            | {"pattern": PAGES_PATTERN, "example": "1", "description": "1-based pages, e.g. 1-3,5"},
                            "force_ocr": {
                                # A string enum, not a boolean: a multipart field is text, and a JSON boolean
                                # would not say which of its spellings are accepted.
                                "type": "string",
                                "enum": [*TRUE_SPELLINGS, *FALSE_SPELLINGS],
                                "default": "false",
                                "description": "OCR pages even where they have a text layer",
                            },
                            "pdf_output": {
                                "type": "string",
                                "enum": [output.value for output in PdfOutput],
                                "default": "auto",
                                "description": "the searchable PDF: auto is PDF/A-2b, or PDF/A-3b when the "
                                "document carries an e-invoice XML, which it keeps; pdfa-2b leaves the XML out",
                            },
                            "pdf_optimize": {
                                "type": "string",
                                "enum": [str(int(level)) for level in Optimize],
                                "default": "1",
                                "description": "page images of the searchable PDF: 0 lossless, 1 JPEG / CCITT G4 "
                                "by content, 2 smaller at some cost to the picture",
                            },
                            "script": {
                                "type": "string",
                                "enum": [script.value for script in Script],
                                "default": "auto",
                                "description": "auto: German pages printed in Fraktur are found by script "
                                "detection and read with Tesseract's Fraktur models; fraktur: every page is",
                            },
                            "spelling": {
                                "type": "string",
                                "enum": [spelling.value for spelling in Spelling],
                                "default": "printed",
                                "description": "modern: historical spelling in the text written as today (ſ→s, "
                                "aͤ→ä, ⸗→-); each changed word keeps its printed form",
                            },
                            "callback_url": {
                                "type": "string",
                                "maxLength": MAX_URL_LENGTH,
                                "example": "https://example.com/hooks/ablage",
                                "description": "http(s) URL that receives the job's final event, signed the "
                                "Standard Webhooks way; default: the tenant's webhook URL. Private, loopback and "
                                "metadata addresses are refused (422) unless WEBHOOK_ALLOWED_TARGETS lists them",
                            },
                        },
                    }
                }
            },
        },
    }


def check_form(form: SubmitForm) -> None:
    if form.languages is not None and not re.fullmatch(LANGUAGES_PATTERN, form.languages):
        raise BadRequest(f"languages: {form.languages!r} is not a comma list of ISO 639-1 codes")
    if form.pages is not None and not re.fullmatch(PAGES_PATTERN, form.pages):
        raise BadRequest(f"pages: {form.pages!r} is not a list of page numbers and ranges like 1-3,5")
    if form.callback_url is not None:
        try:
            parse(form.callback_url)
        except MalformedTarget as exc:
            raise BadRequest(str(exc)) from None
