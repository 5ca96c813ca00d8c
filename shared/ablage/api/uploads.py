"""Streams a multipart upload to a temporary file, hashing as it goes and stopping at MAX_UPLOAD_SIZE."""

from __future__ import annotations

import hashlib
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from fastapi import Request
from streaming_form_data import StreamingFormDataParser
from streaming_form_data.targets import BaseTarget, ValueTarget
from streaming_form_data.validators import MaxSizeValidator, ValidationError

from ablage.engines.scripts import Script
from ablage.errors import BadRequest, DocumentTooLarge
from ablage.jobs.service import SubmitForm, Upload
from ablage.results.archive_pdf import PdfOutput
from ablage.results.page_image import Optimize
from ablage.results.spelling import Spelling

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)

FORM_FIELDS = (
    "languages",
    "engine",
    "pages",
    "force_ocr",
    "callback_url",
    "pdf_output",
    "pdf_optimize",
    "script",
    "spelling",
)
# Form fields are text; these spellings have been accepted since the first version, and the schema lists them.
TRUE_SPELLINGS = ("true", "1", "yes", "on")
FALSE_SPELLINGS = ("false", "0", "no", "off")
_MAX_FIELD_BYTES = 4096


class _HashingFileTarget(BaseTarget):
    """Writes the part to disk and hashes it in the same pass, so the file is read once."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__()
        self._limit = limit
        self._handle = path.open("wb")
        self.hasher = hashlib.sha256()
        self.size = 0
        self.seen = False

    def on_start(self) -> None:
        self.seen = True

    def on_data_received(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self._limit:
            raise DocumentTooLarge(f"the upload exceeds MAX_UPLOAD_SIZE ({self._limit:,} bytes)")
        self._handle.write(chunk)
        self.hasher.update(chunk)
        self.size += len(chunk)

    def on_finish(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def _parse_output(raw: str | None) -> PdfOutput:
    try:
        return PdfOutput((raw or "auto").strip())
    except ValueError:
        raise BadRequest(f"pdf_output: {raw!r} is not one of {', '.join(PdfOutput)}") from None


def _parse_optimize(raw: str | None) -> Optimize:
    try:
        return Optimize(int((raw or "1").strip()))
    except ValueError:
        raise BadRequest(f"pdf_optimize: {raw!r} is not 0, 1 or 2") from None


def _parse_choice(name: str, raw: str | None, choices: type[StrEnumT], default: StrEnumT) -> StrEnumT:
    try:
        return choices((raw or default.value).strip())
    except ValueError:
        raise BadRequest(f"{name}: {raw!r} is not one of {', '.join(choices)}") from None


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE_SPELLINGS:
        return True
    if value in FALSE_SPELLINGS or not value:
        return False
    raise BadRequest(f"{name}: {raw!r} is not a boolean (true/false)")


async def receive_upload(request: Request, limit: int, tmp_dir: Path) -> tuple[Upload, SubmitForm]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise BadRequest("send the document as multipart/form-data with a 'file' field")
    declared = request.headers.get("content-length")
    # Multipart framing adds a little; a declared length far beyond the limit is refused unread.
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise DocumentTooLarge(f"the upload is {int(declared):,} bytes; MAX_UPLOAD_SIZE is {limit:,}")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    os.close(fd)
    path = Path(name)
    target = _HashingFileTarget(path, limit)
    fields = {field: ValueTarget(validator=MaxSizeValidator(_MAX_FIELD_BYTES)) for field in FORM_FIELDS}
    try:
        try:
            parser = StreamingFormDataParser(headers=request.headers)
        except Exception as exc:
            raise BadRequest(f"malformed multipart request: {exc}") from None
        parser.register("file", target)
        for field, value_target in fields.items():
            parser.register(field, value_target)
        async for chunk in request.stream():
            try:
                parser.data_received(chunk)
            except DocumentTooLarge:
                raise
            except ValidationError:
                raise BadRequest("a form field is too long") from None
            except Exception as exc:
                raise BadRequest(f"malformed multipart request: {exc}") from None
    except BaseException:
        target.close()
        path.unlink(missing_ok=True)
        raise
    target.close()
    if not target.seen:
        path.unlink(missing_ok=True)
        raise BadRequest("the form has no 'file' field")
    if target.size == 0:
        path.unlink(missing_ok=True)
        raise BadRequest("the uploaded file is empty")

    def value(field: str) -> str | None:
        raw = fields[field].value
        return raw.decode("utf-8", errors="replace") if raw else None

    form = SubmitForm(
        languages=value("languages"),
        engine=value("engine"),
        pages=value("pages"),
        force_ocr=_parse_bool("force_ocr", value("force_ocr") or ""),
        callback_url=(value("callback_url") or "").strip() or None,
        pdf_output=_parse_output(value("pdf_output")),
        pdf_optimize=_parse_optimize(value("pdf_optimize")),
        script=_parse_choice("script", value("script"), Script, Script.auto),
        spelling=_parse_choice("spelling", value("spelling"), Spelling, Spelling.printed),
    )
    upload = Upload(path=path, sha256=target.hasher.hexdigest(), size=target.size, filename=target.multipart_filename)
    return upload, form
