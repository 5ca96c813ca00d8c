"""Retention for local-disk storage: files older than their area's period go; S3 has lifecycle rules instead.

Age is the file's mtime, i.e. when it was last written. The database is the caller's business.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ablage.storage.base import Area
from ablage.storage.local import LocalStorage

RETENTION_DAYS: dict[Area, int] = {Area.originals: 90, Area.processed: 30, Area.thumbnails: 7}
# LocalStorage writes through ".part-*" files; a young one may be a write in progress, an old one was abandoned.
PART_PREFIX = ".part-"
PART_GRACE = timedelta(days=1)


InUse = Callable[[Area, str], bool]


def prune(
    storage: LocalStorage, now: datetime | None = None, dry_run: bool = False, in_use: InUse | None = None
) -> dict[Area, int]:
    """Delete expired files (and abandoned partial writes) per area; return how many went, or would go.

    ``in_use(area, key)`` spares an expired file that is still needed: an original a recent job reads.
    """
    # Timestamps compare with mtimes directly, and accept a naive ``now`` (local time) as well as an aware one.
    moment = (now or datetime.now(UTC)).timestamp()
    part_cutoff = moment - PART_GRACE.total_seconds()
    pruned = {}
    for area, days in RETENTION_DAYS.items():
        cutoff = moment - timedelta(days=days).total_seconds()
        pruned[area] = _prune_area(area, storage.root / area, cutoff, part_cutoff, dry_run, in_use)
    return pruned


def _prune_area(area: Area, root: Path, cutoff: float, part_cutoff: float, dry_run: bool, in_use: InUse | None) -> int:
    removed = 0
    emptied: set[Path] = set()
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            try:
                written = path.stat().st_mtime
            except FileNotFoundError:  # deleted or renamed into place meanwhile
                continue
            partial = name.startswith(PART_PREFIX)
            if written >= (part_cutoff if partial else cutoff):
                continue
            if not partial and in_use is not None and in_use(area, path.relative_to(root).as_posix()):
                continue
            removed += 1
            if not dry_run:
                path.unlink(missing_ok=True)
                emptied.add(path.parent)
    for parent in sorted(emptied, key=lambda path: len(path.parts), reverse=True):
        _remove_empty(parent, root)
    return removed


def _remove_empty(directory: Path, root: Path) -> None:
    # Only directories this run emptied, and rmdir rather than rmtree: a file written meanwhile keeps its directory.
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:  # not empty (any more), or already gone
            return
        directory = directory.parent
