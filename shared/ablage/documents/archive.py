"""Office uploads are ZIP archives (DOCX, XLSX, PPTX): their declared contents are checked before any engine
unpacks them, against ZIP bombs (a few kilobytes that inflate to gigabytes) and archives of millions of entries."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ablage.errors import DocumentTooLarge, InvalidDocument
from ablage.settings import UploadSettings


def check_archive(path: Path, limits: UploadSettings) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidDocument(f"the archive cannot be read: {exc}") from None
    if len(entries) > limits.max_archive_entries:
        raise DocumentTooLarge(
            f"the archive has {len(entries):,} entries; the limit is {limits.max_archive_entries:,} "
            "(MAX_ARCHIVE_ENTRIES)"
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_archive_size:
        raise DocumentTooLarge(
            f"the archive unpacks to {total:,} bytes; the limit is {limits.max_archive_size:,} (MAX_ARCHIVE_SIZE)"
        )
    for entry in entries:
        # Tiny entries compress by any ratio without harm; a large one that compresses 1000-fold is a bomb.
        if entry.file_size > 1_000_000 and entry.file_size > limits.max_compression_ratio * max(entry.compress_size, 1):
            ratio = entry.file_size / max(entry.compress_size, 1)
            raise DocumentTooLarge(
                f"the archive entry {entry.filename[:80]!r} inflates {ratio:,.0f}-fold; the limit is "
                f"{limits.max_compression_ratio:g} (MAX_COMPRESSION_RATIO)"
            )
