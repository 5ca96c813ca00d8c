"""The operator commands against real servers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ablage.db.migrate import head_revision

pytestmark = pytest.mark.integration


def ablage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ablage.cli.main", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_current_downgrade(empty_postgres_url: str) -> None:
    before = ablage("db", "current", DATABASE_URL=empty_postgres_url)
    assert before.returncode == 0, before.stderr
    assert f"database: None  release: {head_revision()}" in before.stdout
    upgraded = ablage("db", "upgrade", DATABASE_URL=empty_postgres_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {head_revision()}" in upgraded.stdout
    assert ablage("db", "downgrade", "base", DATABASE_URL=empty_postgres_url).returncode == 0
    assert "database: None" in ablage("db", "current", DATABASE_URL=empty_postgres_url).stdout


def test_worker_needs_redis(tmp_path) -> None:
    result = ablage("worker", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
