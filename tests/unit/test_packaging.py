"""The distribution installs two import packages of its own names, and lists every package folder."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import distribution
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _package_folders() -> set[str]:
    found = set()
    for root, prefix in ((REPO / "shared", ""), (REPO / "services", "ablage_services")):
        for module in root.rglob("*.py"):
            relative = module.parent.relative_to(root)
            parts = [part for part in (prefix, *relative.parts) if part]
            found.add(".".join(parts))
    return found


def test_every_package_folder_is_listed() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert _package_folders() == listed


def test_top_level_names_are_the_projects_own() -> None:
    top_level = distribution("ablage-system").read_text("top_level.txt") or ""
    assert sorted(top_level.split()) == ["ablage", "ablage_services"]


def test_python_dash_m_ablage_runs_the_cli() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "ablage", "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert "Usage: ablage" in shown.stdout and "storage" in shown.stdout
