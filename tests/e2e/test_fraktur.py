"""German Fraktur over HTTP, embedded, with the real engines: ``auto`` finds the Fraktur page and reads it with
Tesseract's Fraktur models, in modern spelling on request with the printed words kept; a modern page next to it
is read as Latin by the preferred engine; each page says how it was read."""

from __future__ import annotations

import httpx
import pytest
from ablage.engines.scripts import fraktur_installed
from ablage.evaluation import word_f1

from tests.conftest import DOCUMENTS, embedded_only
from tests.e2e.test_bad_input import assert_problem
from tests.jobs import run_job

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    embedded_only,
    pytest.mark.skipif(
        not fraktur_installed(),
        reason="Tesseract's Fraktur models are not installed (Debian: tesseract-ocr-frk, tesseract-ocr-script-frak)",
    ),
]

FRAKTUR = DOCUMENTS / "de_fraktur_bnl_newspaper_block0.tif"
FRAKTUR_MODERN = (DOCUMENTS / "de_fraktur_bnl_newspaper_block0.gt.modern.txt").read_text(encoding="utf-8")
LINE = DOCUMENTS / "de_fraktur_line_spyri_heidi_1880_0130_013.tif"
MODERN = DOCUMENTS / "mixed_tesseract_phototest.tif"


def _words(page: dict) -> list[dict]:
    return [word for block in page["blocks"] for line in block["lines"] for word in line["words"]]


async def test_auto_reads_a_fraktur_page_with_the_fraktur_models(ocr_client: httpx.AsyncClient) -> None:
    response = await ocr_client.post(
        "/api/v1/cpu", files={"file": ("zeitung.tif", FRAKTUR.read_bytes())}, data={"spelling": "modern"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    page = body["pages"][0]
    assert page["engine"] == "tesseract" and page["spelling"] == "modern"
    assert page["reading"]["script"] == "fraktur" and "Fraktur" in page["reading"]["reason"]
    assert word_f1(body["text"], FRAKTUR_MODERN).f1 >= 0.90
    assert "ſ" not in body["text"]
    printed = [word for word in _words(page) if word["printed"] is not None]
    assert printed and all(
        "ſ" in word["printed"] or "⸗" in word["printed"] or "=" in word["printed"] for word in printed
    )


async def test_auto_keeps_the_printed_spelling_unless_asked(ocr_client: httpx.AsyncClient) -> None:
    status = await run_job(ocr_client, LINE, filename="heidi.tif", languages="de")
    assert status["status"] == "succeeded" and (status["script"], status["spelling"]) == ("auto", "printed")
    result = (await ocr_client.get(status["links"]["result"])).json()
    page = result["pages"][0]
    # Script detection names the line Fraktur, or (too little text for it) both model sets read it and the
    # Fraktur ones win: either way the reason says which.
    assert page["reading"]["script"] == "fraktur" and "Fraktur" in page["reading"]["reason"]
    assert "ſ" in result["text"] and all(word["printed"] is None for word in _words(page))


async def test_auto_reads_a_modern_page_with_its_preferred_engine(
    ocr_client: httpx.AsyncClient, auto_engine: str
) -> None:
    response = await ocr_client.post("/api/v1/cpu", files={"file": ("modern.tif", MODERN.read_bytes())})
    assert response.status_code == 200, response.text
    page = response.json()["pages"][0]
    assert page["engine"] == auto_engine
    assert page["reading"]["script"] == "latin" and "Latin" in page["reading"]["reason"]


async def test_script_fraktur_and_latin_are_followed(ocr_client: httpx.AsyncClient) -> None:
    status = await run_job(ocr_client, MODERN, filename="modern.tif", script="fraktur", languages="de")
    assert (status["status"], status["engine"], status["script"]) == ("succeeded", "tesseract", "fraktur")
    page = (await ocr_client.get(status["links"]["result"])).json()["pages"][0]
    assert (page["reading"]["script"], page["reading"]["reason"]) == ("fraktur", "script=fraktur")

    status = await run_job(ocr_client, FRAKTUR, filename="zeitung.tif", script="latin")
    assert status["script"] == "latin"
    page = (await ocr_client.get(status["links"]["result"])).json()["pages"][0]
    assert page["reading"]["script"] == "latin" and page["reading"]["reason"] == "the job's engine"

    refused = await ocr_client.post(
        "/api/v1/cpu", files={"file": ("m.tif", MODERN.read_bytes())}, data={"script": "fraktur", "engine": "rapidocr"}
    )
    assert_problem(refused, 422, "/problems/invalid-option")
