"""The document type comes from the bytes, never from the filename."""

from __future__ import annotations

import zipfile
from enum import StrEnum
from pathlib import Path

import filetype
from lxml import etree

from ablage.errors import BadRequest, UnsupportedMediaType
from ablage.invoices.xml import INVOICE_ROOTS


class DocumentKind(StrEnum):
    pdf = "pdf"
    png = "png"
    jpeg = "jpeg"
    tiff = "tiff"
    webp = "webp"
    docx = "docx"
    xlsx = "xlsx"
    pptx = "pptx"
    html = "html"
    xml = "xml"
    """An e-invoice as plain XML (XRechnung: CII or UBL), read from its structure, never rendered."""

    @property
    def has_pages(self) -> bool:
        """Made of page images (rendered or scanned), which a searchable PDF and the page viewer show."""
        return not self.is_office and self is not DocumentKind.xml

    @property
    def is_office(self) -> bool:
        """Read by its structure (the Docling engine), not rendered into page images."""
        return self in OFFICE_KINDS

    @property
    def is_archive(self) -> bool:
        """A ZIP container (Office Open XML)."""
        return self in (DocumentKind.docx, DocumentKind.xlsx, DocumentKind.pptx)


OFFICE_KINDS = frozenset({DocumentKind.docx, DocumentKind.xlsx, DocumentKind.pptx, DocumentKind.html})

MEDIA_TYPES = {
    DocumentKind.pdf: "application/pdf",
    DocumentKind.png: "image/png",
    DocumentKind.jpeg: "image/jpeg",
    DocumentKind.tiff: "image/tiff",
    DocumentKind.webp: "image/webp",
    DocumentKind.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentKind.pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    DocumentKind.html: "text/html",
    DocumentKind.xml: "application/xml",
}
# ALLOWED_EXTENSIONS speaks in file extensions; these are the spellings of each kind.
EXTENSIONS = {
    DocumentKind.pdf: {"pdf"},
    DocumentKind.png: {"png"},
    DocumentKind.jpeg: {"jpg", "jpeg"},
    DocumentKind.tiff: {"tif", "tiff"},
    DocumentKind.webp: {"webp"},
    DocumentKind.docx: {"docx"},
    DocumentKind.xlsx: {"xlsx"},
    DocumentKind.pptx: {"pptx"},
    DocumentKind.html: {"html", "htm"},
    DocumentKind.xml: {"xml"},
}
_BY_MIME = {mime: kind for kind, mime in MEDIA_TYPES.items()}
# PDF readers accept a header anywhere in the first KiB; filetype only looks at offset 0.
_PDF_HEADER_WINDOW = 1024
# Office Open XML files are ZIP archives; the part folder names the application.
_OOXML_PARTS = {"word/": DocumentKind.docx, "xl/": DocumentKind.xlsx, "ppt/": DocumentKind.pptx}
_HTML_STARTS = (b"<!doctype html", b"<html")


def _ooxml_kind(path: Path) -> DocumentKind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, kind in _OOXML_PARTS.items():
        if any(name.startswith(prefix) for name in names):
            return kind
    return None


def _is_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(_HTML_STARTS) or (text.startswith(b"<?xml") and b"<html" in text[:1024])


def _is_xml_invoice(path: Path, head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return False
    try:
        # The root element only: an e-invoice is known by it, and nothing further is read or expanded here.
        for _event, element in etree.iterparse(
            str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        ):
            return etree.QName(element).localname in INVOICE_ROOTS
    except (etree.XMLSyntaxError, OSError):
        return False
    return False


def sniff(path: Path) -> DocumentKind:
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise BadRequest("the uploaded file is empty")
    guess = filetype.guess(head)
    kind = _BY_MIME.get(guess.mime) if guess else None
    if kind is None and b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        kind = DocumentKind.pdf
    if kind is None and head.startswith(b"PK\x03\x04"):
        kind = _ooxml_kind(path)
    if kind is None and _is_html(head):
        kind = DocumentKind.html
    if kind is None and _is_xml_invoice(path, head):
        kind = DocumentKind.xml
    if kind is None:
        found = guess.mime if guess else "an unrecognised format"
        raise UnsupportedMediaType(
            f"the file content is {found}; supported are PDF, PNG, JPEG, TIFF and WebP, XML e-invoices (XRechnung "
            "in CII or UBL), and DOCX, XLSX, PPTX and HTML where the Docling engine is installed",
            detected=guess.mime if guess else None,
        )
    return kind


def check_allowed(kind: DocumentKind, allowed: list[str]) -> None:
    if EXTENSIONS[kind].isdisjoint(allowed):
        raise UnsupportedMediaType(
            f"the file content is {MEDIA_TYPES[kind]}, which ALLOWED_EXTENSIONS ({','.join(allowed)}) does not permit",
            detected=MEDIA_TYPES[kind],
        )
