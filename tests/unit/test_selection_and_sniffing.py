from __future__ import annotations

from pathlib import Path

import pytest
from ablage.documents.selection import parse_pages, select_pages
from ablage.documents.sniff import DocumentKind, check_allowed, sniff
from ablage.errors import BadRequest, InvalidOption, UnsupportedMediaType

from tests.conftest import DOCUMENTS, ROBUSTNESS


@pytest.mark.parametrize(
    ("spec", "pages"),
    [
        (None, None),
        ("", None),
        ("1", [1]),
        ("1-3,5", [1, 2, 3, 5]),
        (" 5 , 2-3 ,2", [2, 3, 5]),
        ("4-6,1-5", [1, 2, 3, 4, 5, 6]),
    ],
)
def test_parse_pages(spec: str | None, pages: list[int] | None) -> None:
    parsed = parse_pages(spec, 1000)
    assert (parsed.pages() if parsed is not None else None) == pages


@pytest.mark.parametrize("spec", ["0", "3-1", "a", "1-", "1,,2", "-2", "1-9999999999"])
def test_parse_pages_rejects(spec: str) -> None:
    with pytest.raises(BadRequest):
        parse_pages(spec, 1000)


def test_pages_beyond_max_pages_are_refused_before_anything_is_expanded() -> None:
    with pytest.raises(InvalidOption, match="beyond MAX_PAGES"):
        parse_pages("1-100000,100001-200000", 1000)
    # 2,000 ranges fit the 4 kB field; each is a range, never a list of numbers.
    many = parse_pages(",".join(f"{n}-{n}" for n in range(1, 1000, 2)), 1000)
    assert many is not None and len(many.ranges) == 500
    with pytest.raises(BadRequest, match="more than MAX_PAGES"):
        parse_pages(",".join(["1"] * 1001), 1000)


def test_select_pages() -> None:
    assert select_pages(None, 3) == [1, 2, 3]
    assert select_pages(parse_pages("2", 1000), 3) == [2]
    with pytest.raises(InvalidOption, match="page 4"):
        select_pages(parse_pages("1,4", 1000), 3)
    with pytest.raises(InvalidOption, match="page 4"):
        select_pages(parse_pages("2-9", 1000), 3)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (DOCUMENTS / "de_invoice_ferd_einfach.png", DocumentKind.png),
        (DOCUMENTS / "de_receipt_aldi_18042020_11_00883.jpg", DocumentKind.jpeg),
        (DOCUMENTS / "mixed_tesseract_phototest.tif", DocumentKind.tiff),
        (ROBUSTNESS / "docling_webp-test.webp", DocumentKind.webp),
        (ROBUSTNESS / "ocrmypdf_invalid.pdf", DocumentKind.pdf),
    ],
)
def test_sniff_by_content(path: Path, kind: DocumentKind) -> None:
    assert sniff(path) is kind


def test_sniff_pdf_with_leading_garbage(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\n\n  junk before the header\n" + (ROBUSTNESS / "ocrmypdf_no_contents.pdf").read_bytes())
    assert sniff(path) is DocumentKind.pdf


def test_sniff_rejects_unknown_and_empty(tmp_path: Path) -> None:
    text = tmp_path / "a.pdf"
    text.write_text("not a pdf at all")
    with pytest.raises(UnsupportedMediaType):
        sniff(text)
    empty = tmp_path / "b.png"
    empty.write_bytes(b"")
    with pytest.raises(BadRequest):
        sniff(empty)


def test_allowed_extensions_use_every_spelling() -> None:
    check_allowed(DocumentKind.jpeg, ["jpg"])
    check_allowed(DocumentKind.tiff, ["tiff"])
    check_allowed(DocumentKind.tiff, ["tif"])
    with pytest.raises(UnsupportedMediaType):
        check_allowed(DocumentKind.webp, ["pdf", "png", "jpg", "jpeg", "tiff"])


def test_sniff_office_files_and_web_pages(tmp_path: Path) -> None:
    import zipfile

    for folder, kind in (("word", DocumentKind.docx), ("xl", DocumentKind.xlsx), ("ppt", DocumentKind.pptx)):
        path = tmp_path / f"upload-{folder}"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr(f"{folder}/document.xml", "<x/>")
        assert sniff(path) is kind and kind.is_office
    plain_zip = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(UnsupportedMediaType):
        sniff(plain_zip)
    page = tmp_path / "page"
    page.write_bytes(b"\xef\xbb\xbf\n  <!DOCTYPE html><html><body><h1>Rechnung</h1></body></html>")
    assert sniff(page) is DocumentKind.html
    check_allowed(DocumentKind.html, ["htm"])
    with pytest.raises(UnsupportedMediaType, match="ALLOWED_EXTENSIONS"):
        check_allowed(DocumentKind.docx, ["pdf", "png", "jpg", "jpeg", "tiff"])
