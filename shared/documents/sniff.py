"""The document type comes from the bytes, never from the filename."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import filetype

from shared.errors import BadRequest, UnsupportedMediaType


class DocumentKind(StrEnum):
    pdf = "pdf"
    png = "png"
    jpeg = "jpeg"
    tiff = "tiff"
    webp = "webp"


MEDIA_TYPES = {
    DocumentKind.pdf: "application/pdf",
    DocumentKind.png: "image/png",
    DocumentKind.jpeg: "image/jpeg",
    DocumentKind.tiff: "image/tiff",
    DocumentKind.webp: "image/webp",
}
# ALLOWED_EXTENSIONS speaks in file extensions; these are the spellings of each kind.
EXTENSIONS = {
    DocumentKind.pdf: {"pdf"},
    DocumentKind.png: {"png"},
    DocumentKind.jpeg: {"jpg", "jpeg"},
    DocumentKind.tiff: {"tif", "tiff"},
    DocumentKind.webp: {"webp"},
}
_BY_MIME = {mime: kind for kind, mime in MEDIA_TYPES.items()}
# PDF readers accept a header anywhere in the first KiB; filetype only looks at offset 0.
_PDF_HEADER_WINDOW = 1024


def sniff(path: Path) -> DocumentKind:
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise BadRequest("the uploaded file is empty")
    guess = filetype.guess(head)
    kind = _BY_MIME.get(guess.mime) if guess else None
    if kind is None and b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        kind = DocumentKind.pdf
    if kind is None:
        found = guess.mime if guess else "an unrecognised format"
        raise UnsupportedMediaType(
            f"the file content is {found}; supported are PDF, PNG, JPEG, TIFF and WebP",
            detected=guess.mime if guess else None,
        )
    return kind


def check_allowed(kind: DocumentKind, allowed: list[str]) -> None:
    if EXTENSIONS[kind].isdisjoint(allowed):
        raise UnsupportedMediaType(
            f"the file content is {MEDIA_TYPES[kind]}, which ALLOWED_EXTENSIONS ({','.join(allowed)}) does not permit",
            detected=MEDIA_TYPES[kind],
        )
