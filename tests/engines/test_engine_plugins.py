"""Engines as plugins at the API: a package found through its entry point serves jobs, and requests, /ready and
/engines only read the supervisor's state, whatever an engine's load is doing."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from ablage.engines.registry import plugin_engines, register_engine, registrations, unregister_engine
from ablage.settings import OcrSettings, Settings

from tests.conftest import DOCUMENTS, ClientFactory
from tests.engines.fake_engines import Flaky, Slow
from tests.images import encode, text_image
from tests.jobs import run_job, submit

PAGE = encode(text_image("Rechnung 4711"), "PNG")

_PLUGIN = '''
"""A third party's engine: reads every page as the word "plugin"."""
from ablage.engines.base import EngineInfo, EngineHost, EngineInput
from ablage.results.layout import ocr_page
from ablage.results.model import Block, Line, Word


class PluginEngine:
    name = "echo-plugin"
    reads = EngineInput.pages
    host = EngineHost.page_process

    def __init__(self, settings):
        self.languages = list(settings.ocr.languages)

    def info(self):
        return EngineInfo(name=self.name, version="0.1", languages=self.languages, loaded=True)

    def warm_up(self, languages):
        pass

    def recognize(self, image, *, page_number, dpi, languages, timeout=None):
        box = (0, 0, image.width, image.height)
        line = Line(bbox=box, text="plugin", confidence=1.0, words=[Word(bbox=box, text="plugin", confidence=1.0)])
        return ocr_page(self.name, page_number, image.size, dpi, [Block(bbox=box, lines=[line])])

    def close(self):
        pass
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package installed the way pip leaves one: its module and its dist-info with entry_points.txt."""
    site = tmp_path / "site"
    dist_info = site / "ablage_echo_plugin-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: ablage-echo-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent("""\
            [ablage.engines]
            echo-plugin = ablage_echo_plugin:PluginEngine
            """)
    )
    (site / "ablage_echo_plugin.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    return "echo-plugin"


@pytest.fixture
def fake_engines() -> Iterator[None]:
    register_engine("slow", "tests.engines.fake_engines:Slow")
    register_engine("flaky", "tests.engines.fake_engines:Flaky")
    Slow.release.clear()
    Flaky.failures_left, Flaky.unexpected, Flaky.attempts = 0, False, []
    yield
    Slow.release.set()
    Flaky.failures_left = 0
    unregister_engine("slow")
    unregister_engine("flaky")


def test_an_installed_package_declares_an_engine(installed_plugin: str) -> None:
    found = registrations()
    assert found[installed_plugin].distribution == "ablage-echo-plugin"
    assert found[installed_plugin].target == "ablage_echo_plugin:PluginEngine"
    assert not found[installed_plugin].builtin and found["tesseract"].builtin
    settings = Settings(ocr=OcrSettings(enabled_engines=["tesseract", installed_plugin]))
    assert plugin_engines(settings) == [installed_plugin]


@pytest.mark.anyio
async def test_a_plugin_engine_serves_jobs(client_for: ClientFactory, installed_plugin: str) -> None:
    async with client_for(ocr={"enabled_engines": [installed_plugin]}) as client:
        engines = (await client.get("/api/v1/cpu/engines")).json()["engines"]
        plugin = next(entry for entry in engines if entry["name"] == installed_plugin)
        assert plugin["state"] == "ready" and plugin["version"] == "0.1" and plugin["reads"] == "pages"
        # The only enabled engine that reads pages: auto picks it.
        status = await run_job(client, PAGE, filename="page.png")
        assert status["status"] == "succeeded" and status["engine"] == installed_plugin, status
        text = (await client.get(status["links"]["result"], params={"format": "text"})).text
        assert text.strip() == "plugin"


async def _ready(client: httpx.AsyncClient, name: str) -> bool:
    engines = (await client.get("/api/v1/cpu/engines")).json()["engines"]
    return any(entry["name"] == name and entry["state"] == "ready" for entry in engines)


async def _timed(client: httpx.AsyncClient, path: str) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await client.get(path)
    return time.monotonic() - started, response


@pytest.mark.anyio
async def test_ready_and_engines_do_not_wait_for_a_slow_engine(client_for: ClientFactory, fake_engines: None) -> None:
    ocr = {"enabled_engines": ["tesseract", "slow"], "engine_start_wait": 0}
    async with client_for(ocr=ocr) as client:
        for path in ("/ready", "/api/v1/cpu/engines", "/ready"):
            seconds, response = await _timed(client, path)
            assert seconds < 1.0 and response.status_code == 200, (path, seconds, response.text)
        ready = (await client.get("/ready")).json()
        cpu = {entry["name"]: entry for entry in ready["checks"]["services"]["cpu"]["engines"]}
        assert cpu["slow"]["state"] == "loading" and cpu["tesseract"]["state"] == "ready"
        assert cpu["surya"]["state"] == "not_enabled"
        # A request for it is refused at once, with when to ask again.
        started = time.monotonic()
        refused = await submit(client, PAGE, filename="page.png", engine="slow")
        assert time.monotonic() - started < 5
        assert refused.status_code == 503 and "still loading" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "5"
        assert refused.headers["content-type"] == "application/problem+json"
        # auto meanwhile uses what is ready.
        assert (await run_job(client, PAGE, filename="page.png"))["engine"] == "tesseract"
        Slow.release.set()
        deadline = time.monotonic() + 30
        while not await _ready(client, "slow"):
            assert time.monotonic() < deadline
            await anyio.sleep(0.05)
        status = await run_job(client, PAGE, filename="page.png", engine="slow")
        assert status["status"] == "succeeded" and status["engine"] == "slow"


@pytest.mark.anyio
async def test_a_failed_engine_is_a_503_with_retry_after_from_its_next_attempt(
    client_for: ClientFactory, fake_engines: None
) -> None:
    Flaky.failures_left = 1_000
    ocr = {"enabled_engines": ["tesseract", "flaky"], "engine_retry_initial": 40, "engine_retry_max": 60}
    async with client_for(ocr=ocr) as client:
        refused = await submit(client, DOCUMENTS / "de_invoice_ferd_einfach.png", filename="a.png", engine="flaky")
        assert refused.status_code == 503, refused.text
        assert "its server does not answer" in refused.json()["detail"]
        assert 30 <= int(refused.headers["retry-after"]) <= 40
        engines = {e["name"]: e for e in (await client.get("/api/v1/cpu/engines")).json()["engines"]}
        flaky = engines["flaky"]
        assert flaky["state"] == "failed" and flaky["failures"] == 1 and 30 <= flaky["retry_in"] <= 40
        assert flaky["detail"] == "its server does not answer" and not flaky["loaded"]
    # One attempt: no request built or probed it again.
    assert len(Flaky.attempts) == 1


@pytest.mark.anyio
async def test_an_enabled_engine_nobody_installed_shows_in_ready(client_for: ClientFactory) -> None:
    async with client_for(ocr={"enabled_engines": ["tesseract", "no-such-engine"]}) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 200
        engines = {e["name"]: e for e in ready.json()["checks"]["services"]["cpu"]["engines"]}
        assert engines["no-such-engine"]["state"] == "not_installed"
        refused = await submit(client, PAGE, filename="page.png", engine="no-such-engine")
        assert refused.status_code == 503 and "not installed" in refused.json()["detail"]


@pytest.mark.anyio
async def test_auto_without_a_ready_engine_says_when_to_retry(client_for: ClientFactory, fake_engines: None) -> None:
    Flaky.failures_left = 1_000
    ocr = {"enabled_engines": ["flaky"], "engine_retry_initial": 40, "engine_retry_max": 60}
    async with client_for(ocr=ocr) as client:
        assert (await client.get("/ready")).status_code == 503
        refused = await submit(client, PAGE, filename="page.png")
        assert refused.status_code == 503 and "no OCR engine is available" in refused.json()["detail"]
        assert 30 <= int(refused.headers["retry-after"]) <= 40
