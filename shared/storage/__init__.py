"""Object storage in three areas: originals, processed results, thumbnails."""

from shared.storage.base import Area, Storage, StorageError
from shared.storage.local import LocalStorage

__all__ = ["Area", "LocalStorage", "Storage", "StorageError"]
