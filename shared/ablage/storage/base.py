"""The storage seam: local disk when embedded, S3 in production, same keys in both."""

from __future__ import annotations

from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Area(StrEnum):
    originals = "originals"
    processed = "processed"
    thumbnails = "thumbnails"


class StorageError(Exception):
    """The store itself failed (unreachable, full); not a missing key."""


class Storage(Protocol):
    def put_file(self, area: Area, key: str, path: Path) -> None:
        """Store ``path``'s content under ``key``; the caller may delete ``path`` afterwards."""
        ...

    def put_bytes(self, area: Area, key: str, data: bytes) -> None: ...

    def get_bytes(self, area: Area, key: str) -> bytes:
        """Raises FileNotFoundError for a missing key."""
        ...

    def local_path(self, area: Area, key: str) -> AbstractContextManager[Path]:
        """A path on local disk holding the object, for libraries that need a file."""
        ...

    def exists(self, area: Area, key: str) -> bool: ...

    def copy(self, area: Area, source: str, target: str) -> None: ...

    def delete(self, area: Area, key: str) -> None: ...

    def delete_prefix(self, area: Area, prefix: str) -> None: ...

    def check(self) -> None:
        """Raise StorageError unless every area can be written and read."""
        ...
