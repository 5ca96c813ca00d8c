"""S3 storage for production: one bucket per area, the same keys as on local disk, encrypted at rest."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.exceptions import RetriesExceededError

from ablage.storage.base import Area, StorageError

MiB = 1 << 20
# HEAD answers have no body, so there a missing key is only its status code.
_MISSING_KEY = frozenset({"NoSuchKey", "NotFound", "404"})
MISSING_BUCKET = frozenset({"NoSuchBucket", "NotFound", "404"})
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 refuses longer
_DELETE_BATCH = 1000  # DeleteObjects' limit per request
# Everything boto3 and s3transfer raise for a failing store; OSError (the local file) passes through.
_STORE_ERRORS = (ClientError, BotoCoreError, Boto3Error, RetriesExceededError)


class Encryption(StrEnum):
    aes256 = "AES256"
    kms = "aws:kms"


@dataclass(frozen=True, kw_only=True)
class S3Config:
    buckets: Mapping[Area, str]
    endpoint_url: str | None = None  # None: AWS itself
    region: str = "eu-central-1"
    encryption: Encryption = Encryption.aes256
    kms_key_id: str | None = None  # None with aws:kms: the account's aws/s3 key
    multipart_threshold: int = 16 * MiB
    multipart_chunksize: int = 16 * MiB
    max_concurrency: int = 4
    presign_expires: int = 3600
    # Short, so that an unreachable endpoint fails /ready within seconds instead of hanging a worker.
    connect_timeout: float = 5
    read_timeout: float = 30
    max_attempts: int = 3
    path_style: bool | None = None  # None: path-style for a custom endpoint (MinIO, moto), virtual-hosted on AWS
    tmp_dir: Path | None = None  # where local_path downloads; None: the system's temporary directory

    def __post_init__(self) -> None:
        missing = [str(area) for area in Area if not self.buckets.get(area)]
        if missing:
            raise ValueError(f"no bucket for {', '.join(missing)}")
        # Areas share key prefixes (originals/<sha> and thumbnails/<sha>/...), so one bucket would mix them.
        if len({self.buckets[area] for area in Area}) != len(Area):
            raise ValueError("every area needs its own bucket")
        if self.kms_key_id and self.encryption is not Encryption.kms:
            raise ValueError("kms_key_id needs encryption aws:kms")
        if self.multipart_chunksize < 5 * MiB:
            raise ValueError("multipart_chunksize must be at least 5 MiB (S3's smallest part)")
        if not 0 < self.presign_expires <= _MAX_PRESIGN_SECONDS:
            raise ValueError(f"presign_expires must be 1..{_MAX_PRESIGN_SECONDS} seconds")


class S3Storage:
    def __init__(self, config: S3Config) -> None:
        self.config = config
        path_style = config.path_style if config.path_style is not None else config.endpoint_url is not None
        # A session of its own: boto3's default session is shared process state and not thread-safe.
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=config.endpoint_url,
            region_name=config.region,
            config=Config(
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                retries={"mode": "standard", "max_attempts": config.max_attempts},
                s3={"addressing_style": "path" if path_style else "auto"},
                max_pool_connections=max(10, config.max_concurrency),
            ),
        )
        self._transfer = TransferConfig(
            multipart_threshold=config.multipart_threshold,
            multipart_chunksize=config.multipart_chunksize,
            max_concurrency=config.max_concurrency,
            preferred_transfer_client="classic",  # the CRT client ignores these settings when installed
        )
        self._sse: dict[str, str] = {"ServerSideEncryption": config.encryption.value}
        if config.kms_key_id:
            self._sse["SSEKMSKeyId"] = config.kms_key_id

    def bucket(self, area: Area) -> str:
        return self.config.buckets[area]

    def put_file(self, area: Area, key: str, path: Path) -> None:
        with _translated("upload", area, _checked(key)):
            self.client.upload_file(str(path), self.bucket(area), key, ExtraArgs=dict(self._sse), Config=self._transfer)

    def put_bytes(self, area: Area, key: str, data: bytes) -> None:
        with _translated("put", area, _checked(key)):
            self.client.put_object(Bucket=self.bucket(area), Key=key, Body=data, **self._sse)

    def get_bytes(self, area: Area, key: str) -> bytes:
        with _translated("get", area, _checked(key)):
            body = self.client.get_object(Bucket=self.bucket(area), Key=key)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

    @contextmanager
    def local_path(self, area: Area, key: str) -> Iterator[Path]:
        suffix = PurePosixPath(_checked(key)).suffix  # some libraries go by the extension
        with tempfile.NamedTemporaryFile(suffix=suffix, dir=self.config.tmp_dir) as handle:
            with _translated("download", area, key):
                self.client.download_fileobj(self.bucket(area), key, handle, Config=self._transfer)
            handle.flush()
            yield Path(handle.name)

    def exists(self, area: Area, key: str) -> bool:
        try:
            with _translated("head", area, _checked(key)):
                self.client.head_object(Bucket=self.bucket(area), Key=key)
        except FileNotFoundError:
            return False
        return True

    def copy(self, area: Area, source: str, target: str) -> None:
        # Server-side, so nothing passes through this process; copy_object's limit is 5 GB, far above uploads.
        bucket = self.bucket(area)
        with _translated("copy", area, _checked(source)):
            self.client.copy_object(
                Bucket=bucket, Key=_checked(target), CopySource={"Bucket": bucket, "Key": source}, **self._sse
            )

    def delete(self, area: Area, key: str) -> None:
        # On the versioned originals bucket this leaves a delete marker; lifecycle rules expire the old versions.
        with _translated("delete", area, _checked(key)):
            self.client.delete_object(Bucket=self.bucket(area), Key=key)

    def delete_prefix(self, area: Area, prefix: str) -> None:
        # As on local disk, the prefix is a path: "job1" removes "job1" and "job1/...", never "job10/...".
        prefix = _checked(prefix.rstrip("/"))
        bucket = self.bucket(area)
        with _translated("delete", area, prefix):
            batch = [prefix]
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
                for item in page.get("Contents", []):
                    batch.append(item["Key"])
                    if len(batch) == _DELETE_BATCH:
                        self._delete_batch(area, batch)
                        batch = []
            if batch:
                self._delete_batch(area, batch)

    def _delete_batch(self, area: Area, keys: list[str]) -> None:
        answer = self.client.delete_objects(
            Bucket=self.bucket(area), Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
        )
        # DeleteObjects answers 200 even when single keys fail.
        if errors := answer.get("Errors"):
            raise StorageError(f"S3 delete {area}/{errors[0].get('Key')} failed: {errors[0].get('Code')}")

    def check(self) -> None:
        for area in Area:
            with _translated("head bucket", area):
                try:
                    self.client.head_bucket(Bucket=self.bucket(area))
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in MISSING_BUCKET:
                        raise StorageError(f"S3 bucket for {area} is missing: run `ablage storage init`") from None
                    raise

    def presigned_url(
        self,
        area: Area,
        key: str,
        *,
        expires: int | None = None,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """A GET URL for the object, valid ``expires`` seconds (default: the config's); signing needs no request."""
        expires = self.config.presign_expires if expires is None else expires
        if not 0 < expires <= _MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires must be 1..{_MAX_PRESIGN_SECONDS} seconds")
        params = {"Bucket": self.bucket(area), "Key": _checked(key)}
        if filename:
            params["ResponseContentDisposition"] = _attachment(filename)
        if content_type:
            params["ResponseContentType"] = content_type
        with _translated("presign", area, key):
            return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires))


@contextmanager
def _translated(action: str, area: Area, key: str | None = None) -> Iterator[None]:
    """Missing keys become FileNotFoundError, everything else StorageError naming only the error code."""
    try:
        yield
    except _STORE_ERRORS as exc:
        # boto3 wraps an upload's ClientError in S3UploadFailedError (implicitly chained); the code is inside.
        cause = (exc.__cause__ or exc.__context__ or exc) if isinstance(exc, Boto3Error) else exc
        code = cause.response.get("Error", {}).get("Code", "") if isinstance(cause, ClientError) else ""
        if key is not None and code in _MISSING_KEY:
            raise FileNotFoundError(f"{area}/{key}") from exc
        where = f"{area}/{key}" if key is not None else str(area)
        # Error codes and class names only: botocore's messages can carry endpoints, ARNs and principals.
        raise StorageError(f"S3 {action} {where} failed: {code or type(cause).__name__}") from exc


def _checked(key: str) -> str:
    # Local disk resolves "a/../b" to "b" and refuses escapes; S3 would keep such keys literally, so refuse them here.
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def _attachment(filename: str) -> str:
    # RFC 6266: an ASCII fallback for old clients, and filename* for umlauts and the like.
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
