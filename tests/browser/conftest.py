"""Says where the browser tests' screenshots are, at the end of every run that made some (pytest captures the
tests' own output)."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent.parent / ".artifacts" / "browser"
"""Git-ignored; CI keeps the folder as an artifact."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ARTIFACTS.is_dir() and any(ARTIFACTS.glob("*.png")):
        terminalreporter.write_line(f"browser test screenshots: {ARTIFACTS}")
