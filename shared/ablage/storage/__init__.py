"""Object storage in three areas: originals, processed results, thumbnails."""

from ablage.storage.base import Area, Storage, StorageError
from ablage.storage.local import LocalStorage

__all__ = ["Area", "LocalStorage", "Storage", "StorageError"]
