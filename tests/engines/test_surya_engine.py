"""The Surya adapter end to end: a tiny random-weight detector loaded offline from SURYA_MODEL_DIR, recognition
through an OpenAI-compatible server on loopback, pages in and the shared result model out."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from ablage.engines.surya import SuryaEngine, html_lines, place_lines
from ablage.errors import EngineUnavailable
from ablage.results.model import BlockKind
from ablage.settings import OcrSettings, Settings
from PIL import Image

from tests.conftest import DOCUMENTS, ClientFactory
from tests.engines.surya_fixtures import RecognitionServer
from tests.jobs import run_job

pytest.importorskip("surya", reason="surya-ocr is not installed (the surya extra)")

INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"


def surya_settings(model_dir: Path | None, url: str | None) -> Settings:
    return Settings(ocr=OcrSettings(surya_model_dir=model_dir, surya_inference_url=url, enabled_engines=["surya"]))


def test_page_in_result_model_out(surya_model_dir: Path, recognition_server: RecognitionServer) -> None:
    engine = SuryaEngine(surya_settings(surya_model_dir, recognition_server.url))
    image = Image.open(INVOICE)
    page = engine.recognize(image, page_number=1, dpi=300, languages=["de"])
    assert page.engine == "surya" and (page.width, page.height) == image.size
    text = " ".join(line.text for line in page.lines())
    assert "Rechnung" in text and "Lieferant GmbH" in text
    assert page.blocks and all(block.lines for block in page.blocks)
    for block in page.blocks:
        x0, y0, x1, y1 = block.bbox
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
        for line in block.lines:
            for word in line.words:
                assert x0 <= word.bbox[0] <= word.bbox[2] <= x1
    assert 0.9 < page.confidence <= 1.0  # the server's token probabilities
    # One full-page request carried the page image.
    assert recognition_server.requests[-1]["model"] == "datalab-to/surya-ocr-2"


def test_tables_and_lines_from_the_models_html() -> None:
    lines, rows = html_lines("<table><tr><th>Pos</th><th>Betrag</th></tr><tr><td>1</td><td>19,99 €</td></tr></table>")
    assert rows == [["Pos", "Betrag"], ["1", "19,99 €"]] and lines == ["Pos | Betrag", "1 | 19,99 €"]
    lines, rows = html_lines("<p>Rechnung Nr. 4711<br>vom 1. März</p><p>Seite 1</p>")
    assert rows is None and lines == ["Rechnung Nr. 4711", "vom 1. März", "Seite 1"]
    # Detector lines are used where they match the text's line count, else the block is shared out.
    placed = place_lines(["a b", "c"], (0, 0, 100, 40), [(0, 0, 100, 18), (0, 22, 60, 40), (0, 90, 9, 99)], 0.8)
    assert [line.bbox for line in placed] == [(0, 0, 100, 18), (0, 22, 60, 40)]
    shared = place_lines(["a", "b"], (0, 0, 100, 40), [], 0.8)
    assert [line.bbox for line in shared] == [(0, 0, 100, 20), (0, 20, 100, 40)]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("case", ["unset", "missing-weights", "no-server"])
def test_missing_parts_fail_fast_and_name_them(
    case: str, tmp_path: Path, surya_model_dir: Path, recognition_server: RecognitionServer
) -> None:
    model_dir, url = surya_model_dir, recognition_server.url
    expected = ""
    if case == "unset":
        model_dir, expected = None, "SURYA_MODEL_DIR"
    elif case == "missing-weights":
        model_dir = tmp_path / "empty"
        expected = str(model_dir / "text_detection" / "config.json")
    else:
        url = f"http://127.0.0.1:{_closed_port()}/v1"
        expected = url
    started = time.monotonic()
    with pytest.raises(EngineUnavailable) as failure:
        SuryaEngine(surya_settings(model_dir, url))
    assert time.monotonic() - started < 10
    assert expected in failure.value.detail


def test_engine_is_tried_again_once_its_server_is_up(surya_model_dir: Path) -> None:
    from ablage.engines.supervisor import EngineState, EngineSupervisor

    port = _closed_port()
    settings = surya_settings(surya_model_dir, f"http://127.0.0.1:{port}/v1")
    settings.ocr.engine_retry_initial, settings.ocr.engine_retry_max = 0.2, 0.4
    engines = EngineSupervisor(settings)
    engines.start(["surya"])
    try:
        failed = engines.wait("surya", 30)
        assert failed.state is EngineState.failed and str(port) in (failed.reason or "")
        with RecognitionServer(port=port):
            deadline = time.monotonic() + 60
            while not engines.is_available("surya") and time.monotonic() < deadline:
                time.sleep(0.1)
            status = engines.status("surya")
            assert status.available and status.failures == 0, status
    finally:
        engines.close()


@pytest.mark.anyio
async def test_api_selects_surya_per_request(
    client_for: ClientFactory, surya_model_dir: Path, recognition_server: RecognitionServer
) -> None:
    ocr = {
        "surya_model_dir": surya_model_dir,
        "surya_inference_url": recognition_server.url,
        "enabled_engines": ["surya", "tesseract"],
    }
    async with client_for(ocr=ocr) as client:
        engines = (await client.get("/api/v1/cpu/engines")).json()["engines"]
        surya = next(entry for entry in engines if entry["name"] == "surya")
        assert surya["loaded"] and surya["version"].startswith("0.22") and surya["languages"] == ["de", "en"]
        status = await run_job(client, INVOICE, engine="surya")
        assert status["status"] == "succeeded", status["error"]
        result = (await client.get(status["links"]["result"], params={"format": "json"})).json()
        assert [page["engine"] for page in result["pages"]] == ["surya"]
        assert "Rechnung" in result["text"]
        # auto prefers Surya on this service when it is available.
        auto = await run_job(client, INVOICE)
        assert auto["engine"] == "surya"


@pytest.mark.anyio
async def test_unknown_or_unavailable_engine_is_a_problem(client_for: ClientFactory) -> None:
    async with client_for(ocr={"enabled_engines": ["tesseract"]}) as client:
        unknown = await client.post(
            "/api/v1/cpu/jobs", files={"file": ("a.png", INVOICE.read_bytes())}, data={"engine": "nope"}
        )
        assert unknown.status_code == 422 and unknown.json()["type"] == "/problems/invalid-option"
        off = await client.post(
            "/api/v1/cpu/jobs", files={"file": ("a.png", INVOICE.read_bytes())}, data={"engine": "surya"}
        )
        assert off.status_code == 503 and "not enabled" in off.json()["detail"]
        assert off.headers["content-type"] == "application/problem+json"


@pytest.mark.models
def test_real_weights() -> None:
    model_dir, url = os.environ.get("SURYA_MODEL_DIR"), os.environ.get("SURYA_INFERENCE_URL")
    if not model_dir or not url:
        pytest.skip("SURYA_MODEL_DIR and SURYA_INFERENCE_URL are not set: Surya's real weights are absent")
    engine = SuryaEngine(surya_settings(Path(model_dir), url))
    page = engine.recognize(Image.open(INVOICE), page_number=1, dpi=300, languages=["de"])
    text = " ".join(line.text for line in page.lines())
    assert "Rechnung" in text and any(block.kind is BlockKind.title for block in page.blocks)
    httpx.get(url.removesuffix("/v1") + "/health").raise_for_status()


def test_pages_from_several_workers_share_batches(surya_model_dir: Path, recognition_server: RecognitionServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from prometheus_client import REGISTRY

    settings = surya_settings(surya_model_dir, recognition_server.url)
    engine = SuryaEngine(settings.model_copy(update={"ocr": settings.ocr.model_copy(update={"workers": 4})}))
    before = REGISTRY.get_sample_value("ablage_engine_batch_size_sum", {"engine": "surya"}) or 0.0
    # Decoded up front: one lazily loaded image read from two threads at once would be corrupt.
    images = [Image.open(path).convert("RGB") for path in (INVOICE, DOCUMENTS / "mixed_tesseract_phototest.tif") * 2]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(
            pool.map(
                lambda item: engine.recognize(item[1], page_number=item[0], dpi=300, languages=["de"]),
                enumerate(images, 1),
            )
        )
    engine.close()
    # Every worker got its own page back, whichever batch carried it.
    texts = [" ".join(line.text for line in page.lines()) for page in pages]
    assert all("Rechnung" in texts[i] for i in (0, 2)) and all("quick brown dog" in texts[i] for i in (1, 3))
    assert [page.number for page in pages] == [1, 2, 3, 4]
    after = REGISTRY.get_sample_value("ablage_engine_batch_size_sum", {"engine": "surya"}) or 0.0
    assert after - before == 4


def test_a_page_lost_to_a_stopped_server_is_retried_not_blank(
    surya_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Surya's client and the OpenAI client under it back off between their own retries (about half a minute in
    # all); the waits are theirs, not what is tested here, so they return at once.
    from openai import _base_client
    from surya.inference.backends import openai_client

    no_wait = SimpleNamespace(**{name: getattr(time, name) for name in dir(time) if not name.startswith("_")})
    no_wait.sleep = lambda _seconds: None
    monkeypatch.setattr(openai_client, "time", no_wait)
    monkeypatch.setattr(_base_client, "time", no_wait)
    with RecognitionServer() as server:
        engine = SuryaEngine(surya_settings(surya_model_dir, server.url))
    # The server is gone: Surya's client gives up on the page, and the engine reports it as a connection failure,
    # which the job processor retries (TRANSIENT), instead of a blank page.
    with pytest.raises(ConnectionError, match="does not answer"):
        engine.recognize(Image.open(INVOICE), page_number=1, dpi=300, languages=["de"], timeout=120)
    engine.close()
