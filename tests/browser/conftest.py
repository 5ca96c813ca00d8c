"""The browser tests' Chromium and the services it talks to; at the end of a run, where the screenshots are."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.backends import unavailable
from tests.browser.server import Served, served

ARTIFACTS = Path(__file__).parent.parent / ".artifacts" / "browser"
"""Git-ignored; CI keeps the folder as an artifact."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SMALL_LIMIT = 1024 * 1024


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # pytest captures what the tests print; this line shows in every run that made screenshots.
    if ARTIFACTS.is_dir() and any(ARTIFACTS.glob("*.png")):
        terminalreporter.write_line(f"browser test screenshots: {ARTIFACTS}")


# Module scope: each test module gets its own browser and services, closed before the next module's tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
    print(f"browser screenshots in {ARTIFACTS}")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Open to local callers: no key exists."""
    with served(tmp_path_factory.mktemp("web-open") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def small_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Takes uploads up to 1 MiB."""
    with served(tmp_path_factory.mktemp("web-small") / "data", max_upload_size=SMALL_LIMIT) as running:
        yield running


@pytest.fixture(scope="module")
def keyed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str, str]]:
    with served(tmp_path_factory.mktemp("web-keyed") / "data") as running:
        key, token = running.state.auth.keys.create("tenant-a")
        yield running, key.id, token
