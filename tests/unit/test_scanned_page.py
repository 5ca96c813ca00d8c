"""A scanned PDF page is read from its own image where that is the page, and rendered otherwise."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from ablage.documents.pdf import PdfSource
from ablage.documents.scanned_page import scanned_image
from ablage.settings import Settings
from PIL import Image, ImageChops, ImageStat

from tests.conftest import DOCUMENTS

SCANS = {
    "1": DOCUMENTS / "de_invoice_hetzner_2016.png",
    "L": DOCUMENTS / "de_fraktur_kant1784_p0017.tif",
    "RGB": DOCUMENTS / "de_receipt_lidl_02032020_02_00716.jpg",
}


def scan_pdf(image: Image.Image, dpi: float = 300) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=dpi)
    return buffer.getvalue()


def read(data: bytes, tmp_path: Path) -> tuple[Image.Image | None, int]:
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    source = PdfSource(path, Settings().upload)
    try:
        page = source.page(1, want_text_layer=True)
    finally:
        source.close()
    return page.image, page.dpi


@pytest.mark.parametrize("mode", ["1", "L", "RGB"])
def test_a_scan_at_300_dpi_is_read_as_it_is(tmp_path: Path, mode: str) -> None:
    original = Image.open(SCANS[mode]).convert(mode)
    image, dpi = read(scan_pdf(original), tmp_path)
    assert image is not None and dpi == 300
    assert image.mode == mode and image.size == original.size
    if mode == "1":  # Pillow writes grey and colour as JPEG, which decodes a level or two off
        assert ImageChops.difference(image.convert("L"), original.convert("L")).getbbox() is None


def test_a_coarse_scan_is_rendered_at_the_engines_resolution(tmp_path: Path) -> None:
    original = Image.open(SCANS["L"]).convert("L")
    image, dpi = read(scan_pdf(original, dpi=150), tmp_path)
    assert image is not None and dpi == 300 and image.width == pytest.approx(2 * original.width, abs=2)


def _edited(data: bytes, edit: str) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        if edit == "rotated":
            page.Rotate = 90
        elif edit == "inverted":
            (picture,) = page.Resources.XObject.values()
            picture.Decode = [1, 0]
        elif edit == "stamped":
            page.contents_add(pikepdf.Stream(pdf, b"q 1 0 0 RG 10 10 100 100 re S Q"), prepend=False)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


@pytest.mark.parametrize("edit", ["rotated", "stamped"])
def test_pages_that_are_more_than_their_image_are_rendered(edit: str) -> None:
    data = _edited(scan_pdf(Image.open(SCANS["L"]).convert("L")), edit)
    pdf = pdfium.PdfDocument(data)
    try:
        assert scanned_image(pdf[0], 10**9) is None
    finally:
        pdf.close()


def test_a_decode_array_is_read_as_the_page_shows_it() -> None:
    original = Image.open(SCANS["1"]).convert("1")
    pdf = pdfium.PdfDocument(_edited(scan_pdf(original), "inverted"))
    try:
        found = scanned_image(pdf[0], 10**9)
        shown = pdf[0].render(scale=300 / 72).to_pil().convert("L")
    finally:
        pdf.close()
    assert found is not None
    image, _ = found
    # White text on black, as every reader draws this page: not the stored bits taken as they are.
    mean = ImageStat.Stat(image.convert("L")).mean[0]
    assert abs(mean - ImageStat.Stat(shown).mean[0]) < 8
    assert abs(mean - ImageStat.Stat(original.convert("L")).mean[0]) > 100
