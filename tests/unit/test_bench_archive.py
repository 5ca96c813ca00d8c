"""The archive benchmarks' image-only PDF builder (pages, modes, lossless) and their tables' ratios."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from bench.archive_size import image_pdf
from bench.archive_speed import KINDS, Kind, Row, pages_of, table, targets


def test_image_pdf_keeps_each_page_lossless_in_its_mode_and_size(tmp_path: Path) -> None:
    colour = Image.new("RGB", (300, 150), (200, 30, 40))
    grey = Image.linear_gradient("L").resize((120, 240))
    bilevel = Image.new("1", (600, 300), 1)
    bilevel.paste(0, (100, 100, 200, 150))
    target = tmp_path / "scans.pdf"
    image_pdf([(colour, 300.0), (grey, 150.0), (bilevel, 300.0)], target)
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == 3
        sizes = [tuple(float(v) for v in page.mediabox[2:]) for page in pdf.pages]
        assert sizes == [(72.0, 36.0), (57.6, 115.2), (144.0, 72.0)]  # each image's size at its dpi
        images = [next(iter(page.get_images().values())) for page in pdf.pages]
        assert [str(image.Filter) for image in images] == ["/FlateDecode"] * 3
        assert [(str(image.ColorSpace), int(image.BitsPerComponent)) for image in images] == [
            ("/DeviceRGB", 8),
            ("/DeviceGray", 8),
            ("/DeviceGray", 1),
        ]
        decoded = [pikepdf.PdfImage(image).as_pil_image() for image in images]
        assert decoded[0].tobytes() == colour.tobytes()
        assert decoded[1].tobytes() == grey.tobytes()
        assert decoded[2].convert("1").tobytes() == bilevel.tobytes()


def test_image_pdf_refuses_other_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CMYK"):
        image_pdf([(Image.new("CMYK", (10, 10)), 300.0)], tmp_path / "x.pdf")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_pages_of_a_kind_cycle_through_its_scans_in_its_mode(kind: Kind) -> None:
    pages = pages_of(kind, 6)
    assert len(pages) == 6
    assert {image.mode for image, _dpi in pages} == {kind.mode}
    assert len({image.tobytes() for image, _dpi in pages}) == 6  # repeats are shifted: no two pages identical
    assert len(kind.sources) > 1  # several scans of the kind, in turn
    assert all(dpi >= 72 for _image, dpi in pages)


def test_table_and_targets_take_ratios_against_ocrmypdf_pdfa() -> None:
    rows = [
        Row("grey", 6, 2000.0, "OCRmyPDF -j 2 --output-type pdfa", kb=500.0, seconds=12.0, baseline=True),
        Row("grey", 6, 2000.0, "Ablage archive copy, tesseract", kb=450.0, seconds=2.0),
        Row("grey", 6, 2000.0, "Ablage archive copy, rapidocr", kb=510.0, seconds=6.0),
    ]
    lines = table(rows).splitlines()
    assert "| 450.0 | 0.90 | 2.0 | 180.0 | 6.00 |" in lines[3]
    assert "| 510.0 | 1.02 | 6.0 | 60.0 | 2.00 |" in lines[4]
    assert targets(rows) == [
        "grey, Ablage archive copy, tesseract: size 0.90 (≤ 1: PASS), speed 6.00× (≥ 5×: PASS)",
        "grey, Ablage archive copy, rapidocr: size 1.02 (≤ 1: FAIL), speed 2.00× (≥ 5×: FAIL)",
    ]
