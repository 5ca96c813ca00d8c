"""The storage that the settings name: folders under DATA_DIR, or S3 (AWS, MinIO)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ablage.settings import Settings, StorageBackend
from ablage.storage.base import Area, Storage
from ablage.storage.local import LocalStorage

if TYPE_CHECKING:
    from ablage.storage.s3 import S3Config


def s3_config(settings: Settings) -> S3Config:
    from ablage.storage.s3 import Encryption, S3Config

    config = settings.storage
    return S3Config(
        buckets={area: settings.bucket(area.value) for area in Area},
        endpoint_url=config.s3_endpoint_url,
        region=config.s3_region,
        encryption=Encryption(config.s3_sse),
        kms_key_id=config.s3_kms_key_id,
        presign_expires=config.s3_presign_expiry,
        tmp_dir=settings.upload_tmp_dir,
    )


def build_storage(settings: Settings) -> Storage:
    if settings.storage.backend is StorageBackend.local:
        return LocalStorage(settings.storage_dir)
    from ablage.storage.s3 import S3Storage

    return S3Storage(s3_config(settings))
