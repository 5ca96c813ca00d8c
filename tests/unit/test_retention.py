"""Retention on local disk: each area keeps files for its period, measured by mtime."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ablage.storage.base import Area
from ablage.storage.local import LocalStorage
from ablage.storage.retention import RETENTION_DAYS, prune

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def put(storage: LocalStorage, area: Area, key: str, age: timedelta) -> Path:
    storage.put_bytes(area, key, b"x")
    path = storage.root / area / key
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_periods() -> None:
    assert RETENTION_DAYS == {Area.originals: 90, Area.processed: 30, Area.thumbnails: 7}


def test_each_area_keeps_files_for_its_own_period(storage: LocalStorage) -> None:
    kept, expired = [], []
    for area, days in RETENTION_DAYS.items():
        period = timedelta(days=days)
        kept.append(put(storage, area, "young/a", period - HOUR))
        expired.append(put(storage, area, "old/a", period + HOUR))
    # A thumbnail's age would be young for the other areas: periods are per area, not global.
    expired.append(put(storage, Area.thumbnails, "middle/a", timedelta(days=10)))
    kept.append(put(storage, Area.processed, "middle/a", timedelta(days=10)))

    assert prune(storage, now=NOW) == {Area.originals: 1, Area.processed: 1, Area.thumbnails: 2}

    assert all(path.exists() for path in kept)
    assert not any(path.exists() for path in expired)


def test_dry_run_counts_but_deletes_nothing(storage: LocalStorage) -> None:
    old = put(storage, Area.processed, "job1/result.txt", timedelta(days=31))
    put(storage, Area.processed, "job2/result.txt", timedelta(days=1))

    assert prune(storage, now=NOW, dry_run=True) == {Area.originals: 0, Area.processed: 1, Area.thumbnails: 0}
    assert old.exists()
    assert prune(storage, now=NOW) == {Area.originals: 0, Area.processed: 1, Area.thumbnails: 0}
    assert not old.exists()


def test_emptied_directories_go_and_the_area_roots_stay(storage: LocalStorage) -> None:
    put(storage, Area.processed, "job1/pages/1.txt", timedelta(days=40))
    put(storage, Area.processed, "job1/pages/2.txt", timedelta(days=40))
    put(storage, Area.processed, "job2/old.txt", timedelta(days=40))
    put(storage, Area.processed, "job2/new.txt", timedelta(days=2))
    put(storage, Area.thumbnails, "abc/page-1.webp", timedelta(days=8))

    prune(storage, now=NOW)

    assert sorted(path.name for path in (storage.root / Area.processed).iterdir()) == ["job2"]
    assert [path.name for path in (storage.root / Area.processed / "job2").iterdir()] == ["new.txt"]
    assert not any((storage.root / Area.thumbnails).iterdir())
    assert all((storage.root / area).is_dir() for area in Area)
    storage.check()


def test_partial_writes_go_after_a_day_whatever_the_area(storage: LocalStorage) -> None:
    in_progress = put(storage, Area.originals, ".part-live", timedelta(hours=23))
    abandoned = put(storage, Area.originals, ".part-crashed", timedelta(hours=25))
    original = put(storage, Area.originals, "abc", timedelta(hours=25))

    assert prune(storage, now=NOW) == {Area.originals: 1, Area.processed: 0, Area.thumbnails: 0}

    assert in_progress.exists()
    assert not abandoned.exists()
    assert original.exists()


def test_now_defaults_to_the_present(storage: LocalStorage) -> None:
    fresh = put(storage, Area.thumbnails, "abc/page-1.webp", timedelta(0))
    stale = put(storage, Area.thumbnails, "def/page-1.webp", timedelta(0))
    os.utime(fresh)
    week_ago = (datetime.now(UTC) - timedelta(days=7) - HOUR).timestamp()
    os.utime(stale, (week_ago, week_ago))

    assert prune(storage) == {Area.originals: 0, Area.processed: 0, Area.thumbnails: 1}
    assert fresh.exists()
    assert not stale.exists()
