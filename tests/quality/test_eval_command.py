"""`ablage eval` scores engines on a corpus folder and writes the scores as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ablage.cli.main import app
from typer.testing import CliRunner

from tests.conftest import DOCUMENTS


@pytest.mark.slow
def test_eval_command(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (
        "mixed_tesseract_phototest.tif",
        "mixed_tesseract_phototest.gt.txt",
        "de_receipt_lidl_02032020_02_00716.jpg",
        "de_receipt_lidl_02032020_02_00716.fields.json",
        "de_fraktur_line_spyri_heidi_1880_0130_013.tif",
        "de_fraktur_line_spyri_heidi_1880_0130_013.gt.txt",
        "de_fraktur_line_spyri_heidi_1880_0130_013.gt.modern.txt",
    ):
        shutil.copy(DOCUMENTS / name, corpus / name)
    (corpus / "no_truth.png").write_bytes((DOCUMENTS / "de_invoice_ferd_miete.png").read_bytes())
    output = tmp_path / "scores.json"
    result = CliRunner().invoke(app, ["eval", str(corpus), "--engine", "tesseract", "-o", str(output)])
    assert result.exit_code == 0, result.output
    for heading in ("fraktur — tesseract", "receipt — tesseract", "other — tesseract"):
        assert heading in result.output
    scores = {score["document"]: score for score in json.loads(output.read_text())}
    assert set(scores) == {
        "mixed_tesseract_phototest.tif",
        "de_receipt_lidl_02032020_02_00716.jpg",
        "de_fraktur_line_spyri_heidi_1880_0130_013.tif",
    }
    assert scores["mixed_tesseract_phototest.tif"]["cer"] == 0.0
    assert scores["mixed_tesseract_phototest.tif"]["word_f1"] == 1.0
    receipt = scores["de_receipt_lidl_02032020_02_00716.jpg"]
    assert receipt["cer"] is None and receipt["fields_total"] == 2
    assert {name: field["expected"] for name, field in receipt["fields"].items()} == {
        "issue_date": "2020-03-02",
        "total": "7.16",
    }
    assert receipt["fields_correct"] == sum(field["correct"] for field in receipt["fields"].values())
    assert f"{receipt['fields_correct']}/2" in result.output
    assert scores["de_fraktur_line_spyri_heidi_1880_0130_013.tif"]["group"] == "fraktur"
