"""The page benchmark's A4 page builder and PDF writer, its table's ratios and the capacity formula."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PIL import Image

from bench.capacity import INSTANCE_TYPES, nodes_needed, terraform_defaults
from bench.pages import Row, a4_page, a4_size, image_pdf, table


def test_a4_at_300_dpi() -> None:
    assert a4_size() == (2480, 3508)


def test_a4_page_keeps_the_physical_size_and_centres_the_scan() -> None:
    scan = Image.new("RGB", (1000, 500), (0, 0, 0))  # 1000 px at 200 dpi: 5 in wide
    page = a4_page(scan, source_dpi=200)
    assert page.mode == "L" and page.size == (2480, 3508)
    bbox = Image.eval(page, lambda v: 255 - v).getbbox()
    assert bbox is not None
    left, top, right, bottom = bbox
    assert (right - left, bottom - top) == (1500, 750)
    assert abs(left - (2480 - right)) <= 1 and abs(top - (3508 - bottom)) <= 1


def test_a4_page_shrinks_a_scan_larger_than_a4() -> None:
    page = a4_page(Image.new("L", (4000, 3000), 0), source_dpi=300)
    bbox = Image.eval(page, lambda v: 255 - v).getbbox()
    assert bbox is not None and bbox[0] == 0 and bbox[2] == 2480  # the width fits, the aspect ratio is kept
    assert abs((bbox[3] - bbox[1]) - 1860) <= 1


def test_image_pdf_is_lossless_a4() -> None:
    pages = [Image.linear_gradient("L").resize((248, 351)), Image.new("L", (248, 351), 128)]
    pdf = pdfium.PdfDocument(image_pdf(pages))
    try:
        assert len(pdf) == 2
        width, height = pdf[0].get_size()
        assert round(width) == 595 and round(height) == 842
        assert not pdf[0].get_textpage().get_text_range().strip()  # image only
        objects = list(pdf[1].get_objects())
        assert len(objects) == 1
        extracted = objects[0].get_bitmap().to_pil().convert("L")
        assert extracted.size == (248, 351) and set(extracted.getdata()) == {128}
    finally:
        pdf.close()


def test_table_ratios_are_pages_per_minute_over_the_baselines() -> None:
    rows = [
        Row("raw tesseract CLI", 6, 10.0, 0.9, False),
        Row("OCRmyPDF -j 2", 6, 20.0, 0.9, True),
        Row("API", 6, 5.0, 0.95, True),
        Row("skipped", 6, None, None, True, "no command"),
    ]
    lines = table(rows).splitlines()
    assert lines[2] == "| raw tesseract CLI | 10.0 | 36.0 | 0.900 | 1.00 | — |"
    assert lines[4] == "| API | 5.0 | 72.0 | 0.950 | 2.00 | 4.00 |"
    assert lines[5] == "| skipped (no command) | — | — | — | — | — |"


def test_nodes_for_a_daily_volume() -> None:
    # 1e6 pages/day = 11.574 pages/s; 0.5 pages/s per core * 15 usable cores * 0.7 = 5.25 pages/s per node.
    assert nodes_needed(1_000_000, 0.5, 16) == 3
    assert nodes_needed(1_000_000, 0.5, 16, utilisation=1.0, reserved=0) == 2
    assert nodes_needed(86_400, 1.0, 2, utilisation=1.0) == 1
    with pytest.raises(ValueError):
        nodes_needed(1_000_000, 0.5, 1)


def test_instance_types_are_terraforms() -> None:
    defaults = terraform_defaults()
    for instance in INSTANCE_TYPES:
        assert defaults[instance.variable] == instance.name
