"""``ablage storage init`` against a real S3-protocol server: what it sets up, read back through boto3."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import replace
from typing import Any

import pytest
from ablage.storage.base import Area, StorageError
from ablage.storage.provision import provision_buckets
from ablage.storage.retention import RETENTION_DAYS
from ablage.storage.s3 import Encryption, S3Storage

from tests.integration.s3_server import s3_config_for

pytestmark = pytest.mark.integration


def _encryption(storage: S3Storage, area: Area) -> dict[str, str]:
    answer = storage.client.get_bucket_encryption(Bucket=storage.bucket(area))
    (rule,) = answer["ServerSideEncryptionConfiguration"]["Rules"]
    return dict(rule["ApplyServerSideEncryptionByDefault"])


def _lifecycle(storage: S3Storage, area: Area) -> dict[str, Any]:
    (rule,) = storage.client.get_bucket_lifecycle_configuration(Bucket=storage.bucket(area))["Rules"]
    return dict(rule)


def test_init_sets_up_every_bucket_and_a_second_run_changes_nothing(s3_endpoint: str) -> None:
    storage = S3Storage(s3_config_for(s3_endpoint))
    with pytest.raises(StorageError, match="ablage storage init"):
        storage.check()

    first = provision_buckets(storage)
    again = provision_buckets(storage)

    assert [report.area for report in first] == list(Area)
    assert all(report.changes[0] == "created" for report in first)
    assert [report.changes for report in again] == [[], [], []]
    storage.check()
    client = storage.client
    assert client.get_bucket_versioning(Bucket=storage.bucket(Area.originals))["Status"] == "Enabled"
    for area in Area:
        bucket = storage.bucket(area)
        assert _encryption(storage, area) == {"SSEAlgorithm": "AES256"}
        blocked = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert blocked == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )
        rule = _lifecycle(storage, area)
        assert rule["Status"] == "Enabled"
        assert rule["Expiration"] == {"Days": RETENTION_DAYS[area]}
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
        assert rule.get("Filter", {}).get("Prefix", "") == ""
    for area in (Area.processed, Area.thumbnails):
        assert "Status" not in client.get_bucket_versioning(Bucket=storage.bucket(area))


def test_init_changes_only_what_differs_from_the_settings(s3_endpoint: str) -> None:
    config = s3_config_for(s3_endpoint)
    provision_buckets(S3Storage(config))
    storage = S3Storage(replace(config, encryption=Encryption.kms, kms_key_id="alias/ablage"))
    thumbnails = storage.bucket(Area.thumbnails)
    storage.client.put_bucket_lifecycle_configuration(
        Bucket=thumbnails,
        LifecycleConfiguration={
            "Rules": [{"ID": "keep-a-year", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 365}}]
        },
    )

    reports = {report.area: report.changes for report in provision_buckets(storage)}

    assert reports[Area.originals] == ["default encryption aws:kms"]
    assert reports[Area.processed] == ["default encryption aws:kms"]
    assert reports[Area.thumbnails] == ["default encryption aws:kms", "lifecycle: expire after 7 days"]
    assert _encryption(storage, Area.originals) == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/ablage"}
    assert _lifecycle(storage, Area.thumbnails)["Expiration"] == {"Days": RETENTION_DAYS[Area.thumbnails]}


def _ablage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ablage", *args], env=os.environ | env, capture_output=True, text=True, timeout=120
    )


def test_the_command_reports_per_bucket_and_then_nothing_to_change(s3_endpoint: str, tmp_path: Any) -> None:
    name = f"ablage-cli-{uuid.uuid4().hex[:8]}"
    env = {
        "DATA_DIR": str(tmp_path),
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET_ORIGINALS": f"{name}-originals",
        "S3_BUCKET_PROCESSED": f"{name}-processed",
        "S3_BUCKET_THUMBNAILS": f"{name}-thumbnails",
    }

    first = _ablage("storage", "init", **env)
    second = _ablage("storage", "init", **env)

    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith(f"{name}-originals (originals): created; versioning enabled; default encryption AES256")
    assert lines[0].endswith("lifecycle: expire after 90 days")
    assert lines[-1] == "s3 storage ready: 13 changes"
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        f"{name}-originals (originals): unchanged",
        f"{name}-processed (processed): unchanged",
        f"{name}-thumbnails (thumbnails): unchanged",
        "s3 storage ready: nothing to change",
    ]
