"""OCR quality on real documents, asserted at what each engine reaches today, less a small margin.

Invoices' ground truth is the PDF text layer in content-stream order, so they are held to word F1
(order-insensitive); CER is asserted where the ground truth follows the reading order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ablage.engines.scripts import FRAKTUR_ENGINE, Script, fraktur_installed
from ablage.engines.supervisor import EngineSupervisor
from ablage.errors import EngineUnavailable
from ablage.evaluation import cer, word_f1
from ablage.executor.page import ReadingOptions
from ablage.jobs.pipeline import ocr_file
from ablage.lexicon import lexicon
from ablage.results.spelling import Spelling
from ablage.settings import Settings

from tests.conftest import DOCUMENTS

MARGIN = 0.03
# auto's Fraktur floors are held tighter: they are the figures the Fraktur models are chosen for.
AUTO_FRAKTUR_MARGIN = 0.01

# engine → document → (minimum word F1, maximum CER or None when the ground truth is not in reading order).
# Measured with `python -m bench.accuracy --engine NAME`.
EXPECTED: dict[str, dict[str, tuple[float, float | None]]] = {
    "tesseract": {
        "de_invoice_ferd_einfach.png": (0.98, None),
        "de_invoice_ferd_miete.png": (1.00, None),
        "de_invoice_ferd_rabatte.png": (0.98, None),
        "de_invoice_hetzner_2016.png": (0.95, None),
        "de_invoice_mustang_499.png": (0.98, None),
        "en_invoice_amazonwebservices.png": (0.79, None),
        "mixed_tesseract_phototest.tif": (1.00, 0.00),
        # Fraktur with the modern German model: a hard case, scored against the modernised ground truth.
        "de_fraktur_bnl_newspaper_block0.tif": (0.72, 0.062),
        "de_fraktur_kant1784_p0017.tif": (0.52, 0.127),
        "de_fraktur_line_spyri_heidi_1880_0130_013.tif": (0.90, 0.018),
        "de_fraktur_line_fontane_irrungen_1888_0033_025.tif": (0.50, 0.164),
        "de_fraktur_line_poersch_gewerkschaftsbewegung_1897_0028_024.tif": (0.55, 0.172),
        "de_fraktur_line_andreas_fenitschka_1898_0033_026.tif": (0.12, 0.192),
    },
    "rapidocr": {
        "de_invoice_ferd_einfach.png": (1.00, None),
        "de_invoice_ferd_miete.png": (1.00, None),
        "de_invoice_ferd_rabatte.png": (1.00, None),
        "de_invoice_hetzner_2016.png": (0.98, None),
        "de_invoice_mustang_499.png": (0.99, None),
        "en_invoice_amazonwebservices.png": (0.97, None),
        "mixed_tesseract_phototest.tif": (1.00, 0.00),
        "de_fraktur_bnl_newspaper_block0.tif": (0.71, 0.053),
        "de_fraktur_kant1784_p0017.tif": (0.64, 0.071),
        "de_fraktur_line_spyri_heidi_1880_0130_013.tif": (1.00, 0.00),
        "de_fraktur_line_fontane_irrungen_1888_0033_025.tif": (0.30, 0.123),
        "de_fraktur_line_poersch_gewerkschaftsbewegung_1897_0028_024.tif": (0.66, 0.079),
        "de_fraktur_line_andreas_fenitschka_1898_0033_026.tif": (0.37, 0.171),
    },
}
# auto as the CPU service reads: RapidOCR, and pages found to be German Fraktur read by Tesseract's Fraktur models,
# in modern spelling where the ground truth is modernised. Measured with `ablage eval … --engine auto`.
AUTO_PREFERS = "rapidocr"
EXPECTED["auto"] = {
    **{name: floors for name, floors in EXPECTED["rapidocr"].items() if "_fraktur_" not in name},
    "de_fraktur_bnl_newspaper_block0.tif": (0.93, 0.008),
    "de_fraktur_kant1784_p0017.tif": (0.79, 0.044),
    "de_fraktur_line_spyri_heidi_1880_0130_013.tif": (1.00, 0.00),
    "de_fraktur_line_fontane_irrungen_1888_0033_025.tif": (0.83, 0.020),
    "de_fraktur_line_poersch_gewerkschaftsbewegung_1897_0028_024.tif": (1.00, 0.00),
    "de_fraktur_line_andreas_fenitschka_1898_0033_026.tif": (0.70, 0.043),
}
# Receipts have key fields only; these are the fields each engine finds today.
RECEIPT_FIELDS = {
    "tesseract": {
        "de_receipt_aldi_18042020_11_00883.jpg": {"date"},
        "de_receipt_lidl_02032020_02_00716.jpg": {"total"},
    },
    "rapidocr": {
        "de_receipt_aldi_18042020_11_00883.jpg": {"date", "total"},
        "de_receipt_lidl_02032020_02_00716.jpg": {"date", "total"},
    },
}
RECEIPT_FIELDS["auto"] = RECEIPT_FIELDS["rapidocr"]


@pytest.fixture(scope="module", params=list(EXPECTED))
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def recognize(engine_name: str) -> object:
    settings = Settings()
    engines = EngineSupervisor(settings)
    auto = engine_name == "auto"
    names = [AUTO_PREFERS, FRAKTUR_ENGINE] if auto else [engine_name]
    engines.start(names)
    for name in names:
        engines.wait(name, 300)
    try:
        engine = engines.pages(AUTO_PREFERS if auto else engine_name)
        fraktur = engines.pages(FRAKTUR_ENGINE) if auto else None
    except EngineUnavailable as exc:
        engines.close()
        pytest.skip(f"{engine_name} is not available here: {exc.detail}")
    if auto and not fraktur_installed():
        engines.close()
        pytest.skip("auto's Fraktur models are not installed (Debian: tesseract-ocr-frk, tesseract-ocr-script-frak)")
    if auto and lexicon("de") is None:
        engines.close()
        pytest.skip("the German word list that corrects Fraktur misreadings is not installed (Debian: wngerman)")
    read: dict[Path, str] = {}

    def run(path: Path) -> str:
        if path in read:
            return read[path]
        modern = path.with_name(path.name.split(".")[0] + ".gt.modern.txt").exists()
        reading = ReadingOptions(
            script=Script.auto if auto else Script.latin,
            fraktur_engine=FRAKTUR_ENGINE,
            spelling=Spelling.modern if modern and auto else Spelling.printed,
        )
        pages = ocr_file(
            path,
            engine,
            settings.upload,
            languages=["de", "en"],
            pages=[1],
            timeout=300,
            reading=reading,
            fraktur=fraktur,
        )
        read[path] = "\n".join(line.text for page in pages for line in page.lines())
        return read[path]

    yield run
    engines.close()


def _truth(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    modern = DOCUMENTS / f"{stem}.gt.modern.txt"
    return (modern if modern.exists() else DOCUMENTS / f"{stem}.gt.txt").read_text(encoding="utf-8")


DOCUMENT_NAMES = sorted({name for table in EXPECTED.values() for name in table})
RECEIPT_NAMES = sorted({name for table in RECEIPT_FIELDS.values() for name in table})


@pytest.mark.slow
@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_quality(recognize, engine_name: str, name: str) -> None:
    text = recognize(DOCUMENTS / name)
    min_f1, max_cer = EXPECTED[engine_name][name]
    truth = _truth(name)
    margin = AUTO_FRAKTUR_MARGIN if engine_name == "auto" and "_fraktur_" in name else MARGIN
    assert word_f1(text, truth).f1 >= min_f1 - margin
    if max_cer is not None:
        assert cer(text, truth) <= max_cer + margin


@pytest.mark.slow
@pytest.mark.parametrize("engine_name", ["auto"], indirect=True)
def test_auto_reads_fraktur_to_the_archive_targets(recognize, engine_name: str) -> None:
    """Over the Fraktur group, against the modernised ground truth: CER at most 0.03, word F1 at least 0.85."""
    names = [name for name in DOCUMENT_NAMES if "_fraktur_" in name]
    texts = [(recognize(DOCUMENTS / name), _truth(name)) for name in names]
    assert sum(cer(text, truth) for text, truth in texts) / len(texts) <= 0.03
    assert sum(word_f1(text, truth).f1 for text, truth in texts) / len(texts) >= 0.85


@pytest.mark.slow
@pytest.mark.parametrize("name", RECEIPT_NAMES)
def test_receipt_fields(recognize, engine_name: str, name: str) -> None:
    text = recognize(DOCUMENTS / name)
    fields = json.loads((DOCUMENTS / name).with_suffix(".fields.json").read_text())
    present = set()
    if fields["total"] in text:
        present.add("total")
    if any(variant in text for variant in fields["date_as_printed_variants"]):
        present.add("date")
    assert present >= RECEIPT_FIELDS[engine_name][name]
