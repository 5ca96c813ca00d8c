"""S3Storage against a real S3-protocol server on loopback: round trips, encryption, multipart, versions, failures."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ablage.storage.s3 as s3_module
import httpx
import pytest
from ablage.storage.base import Area, StorageError
from ablage.storage.provision import provision_buckets
from ablage.storage.s3 import Encryption, MiB, S3Storage

from tests.integration.s3_server import s3_config_for, s3_endpoint, s3_storage

pytestmark = pytest.mark.integration
__all__ = ["s3_endpoint", "s3_storage"]  # fixtures, imported for pytest


def head(storage: S3Storage, area: Area, key: str) -> dict[str, object]:
    return dict(storage.client.head_object(Bucket=storage.bucket(area), Key=key))


def test_bytes_and_files_round_trip(s3_storage: S3Storage, tmp_path: Path) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.7 original")
    s3_storage.put_file(Area.originals, "abc", source)
    result = '{"text": "Grüße"}'.encode()
    s3_storage.put_bytes(Area.processed, "job1/result.json", result)

    assert s3_storage.get_bytes(Area.originals, "abc") == b"%PDF-1.7 original"
    assert s3_storage.get_bytes(Area.processed, "job1/result.json") == result
    with s3_storage.local_path(Area.processed, "job1/result.json") as path:
        assert path.suffix == ".json"
        assert path.read_bytes() == result
    assert not path.exists()


def test_exists_copy_and_delete(s3_storage: S3Storage) -> None:
    s3_storage.put_bytes(Area.processed, "job1/result.txt", b"text")
    assert s3_storage.exists(Area.processed, "job1/result.txt")
    assert not s3_storage.exists(Area.processed, "job2/result.txt")

    s3_storage.copy(Area.processed, "job1/result.txt", "job2/result.txt")
    assert s3_storage.get_bytes(Area.processed, "job2/result.txt") == b"text"
    assert head(s3_storage, Area.processed, "job2/result.txt")["ServerSideEncryption"] == "AES256"

    s3_storage.delete(Area.processed, "job1/result.txt")
    s3_storage.delete(Area.processed, "job1/result.txt")  # deleting twice is no error, as on disk
    assert not s3_storage.exists(Area.processed, "job1/result.txt")
    assert s3_storage.exists(Area.processed, "job2/result.txt")


def test_delete_prefix_takes_the_path_and_nothing_beside_it(
    s3_storage: S3Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # S3 takes at most 1000 keys per DeleteObjects; a batch of 10 exercises the same splitting with 25 keys
    # instead of a thousand uploads.
    assert s3_module._DELETE_BATCH <= 1000
    monkeypatch.setattr(s3_module, "_DELETE_BATCH", 10)
    keys = [f"job1/page-{number:04}.txt" for number in range(25)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3_storage.put_bytes(Area.processed, key, b"x"), keys))
    s3_storage.put_bytes(Area.processed, "job10/result.txt", b"neighbour")
    s3_storage.put_bytes(Area.thumbnails, "job1/page-1.webp", b"other area")

    # moto accepts any number of keys per DeleteObjects, so watch the requests instead of relying on a refusal.
    batches: list[int] = []
    s3_storage.client.meta.events.register(
        "provide-client-params.s3.DeleteObjects",
        lambda params, **_: batches.append(len(params["Delete"]["Objects"])),
    )
    s3_storage.delete_prefix(Area.processed, "job1")

    listed = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket(Area.processed))
    assert [item["Key"] for item in listed["Contents"]] == ["job10/result.txt"]
    assert max(batches) <= 10 and len(batches) == 3
    assert sum(batches) == 1 + len(keys)  # the prefix itself, as a key, is deleted too
    assert s3_storage.exists(Area.thumbnails, "job1/page-1.webp")
    s3_storage.delete_prefix(Area.processed, "nothing-here")


def test_objects_are_encrypted_at_rest(s3_storage: S3Storage, tmp_path: Path) -> None:
    source = tmp_path / "small.png"
    source.write_bytes(b"png")
    s3_storage.put_file(Area.thumbnails, "abc/page-1.webp", source)
    s3_storage.put_bytes(Area.processed, "job1/result.txt", b"text")

    assert head(s3_storage, Area.thumbnails, "abc/page-1.webp")["ServerSideEncryption"] == "AES256"
    assert head(s3_storage, Area.processed, "job1/result.txt")["ServerSideEncryption"] == "AES256"


def test_kms_encryption_names_the_key(s3_endpoint: str) -> None:
    storage = S3Storage(s3_config_for(s3_endpoint, encryption=Encryption.kms, kms_key_id="alias/ablage"))
    provision_buckets(storage)
    storage.put_bytes(Area.originals, "abc", b"data")

    stored = head(storage, Area.originals, "abc")
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"] == "alias/ablage"


def test_large_file_goes_up_in_parts_and_comes_back_whole(s3_endpoint: str, tmp_path: Path) -> None:
    storage = S3Storage(s3_config_for(s3_endpoint, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    provision_buckets(storage)
    source = tmp_path / "large.pdf"
    with source.open("wb") as handle:
        for _ in range(12):
            handle.write(os.urandom(MiB))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    storage.put_file(Area.originals, "large", source)

    stored = head(storage, Area.originals, "large")
    assert str(stored["ETag"]).strip('"').endswith("-3")  # 5 + 5 + 2 MiB
    assert stored["ServerSideEncryption"] == "AES256"
    with storage.local_path(Area.originals, "large") as path:
        assert path.stat().st_size == 12 * MiB
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_originals_are_versioned(s3_storage: S3Storage) -> None:
    client = s3_storage.client
    assert client.get_bucket_versioning(Bucket=s3_storage.bucket(Area.originals))["Status"] == "Enabled"
    assert "Status" not in client.get_bucket_versioning(Bucket=s3_storage.bucket(Area.processed))

    s3_storage.put_bytes(Area.originals, "abc", b"first")
    s3_storage.put_bytes(Area.originals, "abc", b"second")
    s3_storage.delete(Area.originals, "abc")

    listed = client.list_object_versions(Bucket=s3_storage.bucket(Area.originals), Prefix="abc")
    assert len(listed["Versions"]) == 2
    assert len(listed["DeleteMarkers"]) == 1
    assert not s3_storage.exists(Area.originals, "abc")


def test_provisioning_again_keeps_the_storage_usable(s3_storage: S3Storage) -> None:
    provision_buckets(s3_storage)
    s3_storage.check()


def test_presigned_url_serves_the_object(s3_storage: S3Storage) -> None:
    s3_storage.put_bytes(Area.processed, "job1/result.pdf", b"%PDF searchable")

    url = s3_storage.presigned_url(
        Area.processed, "job1/result.pdf", expires=60, filename="Rechnung März.pdf", content_type="application/pdf"
    )
    answer = httpx.get(url)

    assert answer.status_code == 200
    assert answer.content == b"%PDF searchable"
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"
    )
    assert "X-Amz-Expires=3600" in s3_storage.presigned_url(Area.processed, "job1/result.pdf")


def test_missing_keys_are_file_not_found(s3_storage: S3Storage) -> None:
    with pytest.raises(FileNotFoundError):
        s3_storage.get_bytes(Area.originals, "missing")
    with pytest.raises(FileNotFoundError), s3_storage.local_path(Area.originals, "missing"):
        pass
    with pytest.raises(FileNotFoundError):
        s3_storage.copy(Area.processed, "missing/result.txt", "job2/result.txt")


def test_keys_that_local_disk_would_resolve_are_refused(s3_storage: S3Storage) -> None:
    for key in ("", "/abc", "a/../b", "a//b", "./a"):
        with pytest.raises(ValueError):
            s3_storage.put_bytes(Area.processed, key, b"x")


def test_check_passes_with_all_buckets_and_fails_without_one(s3_storage: S3Storage, s3_endpoint: str) -> None:
    s3_storage.check()

    unmade = S3Storage(s3_config_for(s3_endpoint))
    with pytest.raises(StorageError, match="originals"):
        unmade.check()
    with pytest.raises(StorageError, match="NoSuchBucket"):
        unmade.get_bytes(Area.originals, "abc")


def test_unreachable_endpoint_fails_fast_as_storage_error(s3_endpoint: str, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storage = S3Storage(s3_config_for(f"http://127.0.0.1:{port}"))
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF")

    for attempt in (
        storage.check,
        lambda: storage.get_bytes(Area.originals, "abc"),
        lambda: storage.put_file(Area.originals, "abc", source),
        lambda: storage.exists(Area.originals, "abc"),
    ):
        started = time.monotonic()
        with pytest.raises(StorageError) as raised:
            attempt()
        assert time.monotonic() - started < 5
        assert "testing" not in str(raised.value)  # no credentials in the message
