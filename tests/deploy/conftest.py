"""The validators live in .venv-deploy (scripts/deploy-tools), apart from the app's dependencies."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.backends import unavailable

REPO = Path(__file__).resolve().parents[2]
DEPLOY_PYTHON = REPO / ".venv-deploy/bin/python"
LINT = REPO / "deploy/lint.py"

RunCheck = Callable[[str, Path], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def deploy_tools() -> Path:
    installed = subprocess.run([str(REPO / "scripts/deploy-tools")], capture_output=True, text=True, check=False)
    if installed.returncode != 0:
        # Under CI=true a failure: CI runs the validators only here.
        unavailable(f"the deployment validators could not be installed: {installed.stderr[-2000:]}")
    return DEPLOY_PYTHON


@pytest.fixture(scope="session")
def run_check(deploy_tools: Path) -> RunCheck:
    def run(check: str, root: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(deploy_tools), str(LINT), check, "--root", str(root)], capture_output=True, text=True, check=False
        )

    return run
