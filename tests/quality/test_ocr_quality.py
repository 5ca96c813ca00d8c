"""OCR quality on real documents, asserted at what the Tesseract engine reaches today, less a small margin.

Invoices' ground truth is the PDF text layer in content-stream order, so they are held to word F1
(order-insensitive); CER is asserted where the ground truth follows the reading order.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from shared.documents.sniff import sniff
from shared.documents.source import open_document
from shared.engines.registry import EngineRegistry
from shared.evaluation import cer, word_f1
from shared.jobs.pipeline import recognize_pages
from shared.settings import Settings
from tests.conftest import DOCUMENTS

MARGIN = 0.03

# document: (minimum word F1, maximum CER or None when the ground truth is not in reading order)
EXPECTED: dict[str, tuple[float, float | None]] = {
    "de_invoice_ferd_einfach.png": (0.98, None),
    "de_invoice_ferd_miete.png": (1.00, None),
    "de_invoice_ferd_rabatte.png": (0.98, None),
    "de_invoice_hetzner_2016.png": (0.95, None),
    "de_invoice_mustang_499.png": (0.98, None),
    "en_invoice_amazonwebservices.png": (0.79, None),
    "mixed_tesseract_phototest.tif": (1.00, 0.00),
}
# Fraktur with the modern German model: a hard case, scored against the modernised ground truth.
FRAKTUR: dict[str, tuple[float, float | None]] = {
    "de_fraktur_bnl_newspaper_block0.tif": (0.72, 0.062),
    "de_fraktur_kant1784_p0017.tif": (0.52, 0.127),
    "de_fraktur_line_spyri_heidi_1880_0130_013.tif": (0.90, 0.018),
    "de_fraktur_line_fontane_irrungen_1888_0033_025.tif": (0.50, 0.164),
    "de_fraktur_line_poersch_gewerkschaftsbewegung_1897_0028_024.tif": (0.55, 0.172),
    "de_fraktur_line_andreas_fenitschka_1898_0033_026.tif": (0.12, 0.192),
}
# Receipts have key fields only; these are the fields Tesseract finds today.
RECEIPT_FIELDS = {
    "de_receipt_aldi_18042020_11_00883.jpg": {"date"},
    "de_receipt_lidl_02032020_02_00716.jpg": {"total"},
}


@pytest.fixture(scope="module")
def recognize() -> object:
    settings = Settings()
    engines = EngineRegistry(settings)
    engine = engines.get("tesseract")

    def run(path: Path) -> str:
        source = open_document(path, sniff(path), settings.upload)
        try:
            pages = recognize_pages(
                source,
                [1],
                engine,
                languages=["de", "en"],
                force_ocr=True,
                detect_orientation=True,
                deadline=time.monotonic() + 300,
            )
        finally:
            source.close()
        return "\n".join(line.text for page in pages for line in page.lines())

    yield run
    engines.close()


def _truth(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    modern = DOCUMENTS / f"{stem}.gt.modern.txt"
    return (modern if modern.exists() else DOCUMENTS / f"{stem}.gt.txt").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "expected"), [*EXPECTED.items(), *FRAKTUR.items()])
def test_quality(recognize, name: str, expected: tuple[float, float | None]) -> None:
    text = recognize(DOCUMENTS / name)
    min_f1, max_cer = expected
    truth = _truth(name)
    assert word_f1(text, truth).f1 >= min_f1 - MARGIN
    if max_cer is not None:
        assert cer(text, truth) <= max_cer + MARGIN


@pytest.mark.slow
@pytest.mark.parametrize(("name", "found"), RECEIPT_FIELDS.items())
def test_receipt_fields(recognize, name: str, found: set[str]) -> None:
    text = recognize(DOCUMENTS / name)
    fields = json.loads((DOCUMENTS / name).with_suffix(".fields.json").read_text())
    present = set()
    if fields["total"] in text:
        present.add("total")
    if any(variant in text for variant in fields["date_as_printed_variants"]):
        present.add("date")
    assert present >= found
