"""``ablage storage init``: the buckets set up as Terraform sets them up on AWS (deploy/terraform/modules/storage),
for MinIO and other S3 servers; the folders for local storage. Each step reads the bucket's setting first and
writes only what differs, so a second run changes nothing.

Per bucket: created if missing; versioning on for originals; default encryption as requested on every object
(S3_SSE, S3_KMS_KEY_ID); public access blocked where the server implements it (MinIO does not, and serves
nothing anonymously unless told to); one lifecycle rule that expires objects after the area's retention period,
their noncurrent versions a day later, and incomplete multipart uploads after a day. Terraform's move to
STANDARD_IA is left out: it is an AWS price class that other servers do not have.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from ablage.settings import Settings, StorageBackend
from ablage.storage.base import Area, StorageError
from ablage.storage.build import s3_config
from ablage.storage.retention import RETENTION_DAYS
from ablage.storage.s3 import MISSING_BUCKET, S3Storage

_NOT_IMPLEMENTED = frozenset({"NotImplemented", "501"})
_REFUSED_CREDENTIALS = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"})
_DENIED = frozenset({"403", "AccessDenied", "AllAccessDisabled"})
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)
_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
# A day's grace, as in Terraform: a noncurrent original (overwritten or deleted) and an abandoned upload go then.
_NONCURRENT_DAYS = 1
_ABORT_UPLOADS_DAYS = 1
_RULE_KEYS = ("ID", "Status", "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")


@dataclass
class AreaReport:
    area: Area
    location: str
    """The bucket's name, or the folder."""
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        done = "; ".join(self.changes) if self.changes else "unchanged"
        return f"{self.location} ({self.area}): {done}" + "".join(f" ({note})" for note in self.notes)


def provision_storage(settings: Settings) -> list[AreaReport]:
    if settings.storage.backend is StorageBackend.local:
        return provision_folders(settings.storage_dir)
    return provision_buckets(S3Storage(s3_config(settings)))


def provision_folders(root: Path) -> list[AreaReport]:
    reports = []
    for area in Area:
        folder = root.resolve() / area
        report = AreaReport(area, str(folder))
        if not folder.is_dir():
            folder.mkdir(parents=True)
            report.changes.append("created")
        reports.append(report)
    return reports


def provision_buckets(storage: S3Storage, retention: Mapping[Area, int] = RETENTION_DAYS) -> list[AreaReport]:
    """Raises StorageError with what to fix when the server is unreachable or refuses the credentials."""
    reports = []
    for area in Area:
        bucket = _Bucket(storage, area)
        report = AreaReport(area, bucket.name)
        if bucket.create():
            report.changes.append("created")
        if area is Area.originals and bucket.enable_versioning():
            report.changes.append("versioning enabled")
        if bucket.encrypt():
            report.changes.append(f"default encryption {storage.config.encryption.value}")
        blocked = bucket.block_public_access()
        if blocked is None:
            report.notes.append("the server has no public access block")
        elif blocked:
            report.changes.append("public access blocked")
        if bucket.expire(retention[area]):
            report.changes.append(f"lifecycle: expire after {retention[area]} days")
        reports.append(report)
    return reports


class _Bucket:
    def __init__(self, storage: S3Storage, area: Area) -> None:
        self._client: Any = storage.client
        self._config = storage.config
        self.name = storage.bucket(area)

    def create(self) -> bool:
        with self._answer("look up"):
            try:
                self._client.head_bucket(Bucket=self.name)
                return False
            except ClientError as exc:
                if _code(exc) not in MISSING_BUCKET:
                    raise
        region = self._config.region
        # us-east-1 is the one region that refuses an explicit LocationConstraint.
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        with self._answer("create"):
            try:
                self._client.create_bucket(Bucket=self.name, **location)
            except ClientError as exc:
                if _code(exc) != "BucketAlreadyOwnedByYou":  # created meanwhile by another run
                    raise
        return True

    def enable_versioning(self) -> bool:
        with self._answer("read versioning of"):
            if self._client.get_bucket_versioning(Bucket=self.name).get("Status") == "Enabled":
                return False
        with self._answer("enable versioning of"):
            self._client.put_bucket_versioning(Bucket=self.name, VersioningConfiguration={"Status": "Enabled"})
        return True

    def encrypt(self) -> bool:
        wanted: dict[str, str] = {"SSEAlgorithm": self._config.encryption.value}
        if self._config.kms_key_id:
            wanted["KMSMasterKeyID"] = self._config.kms_key_id
        with self._answer("read encryption of"):
            try:
                answer = self._client.get_bucket_encryption(Bucket=self.name)
                rules = answer["ServerSideEncryptionConfiguration"]["Rules"]
                current = [rule.get("ApplyServerSideEncryptionByDefault") for rule in rules]
                if current == [wanted]:
                    return False
            except ClientError as exc:
                if _code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                    raise
        rule = {"ApplyServerSideEncryptionByDefault": wanted, "BucketKeyEnabled": True}
        with self._answer("set encryption of", unsupported="MinIO encrypts only with a KMS key (MINIO_KMS_SECRET_KEY)"):
            self._client.put_bucket_encryption(Bucket=self.name, ServerSideEncryptionConfiguration={"Rules": [rule]})
        return True

    def block_public_access(self) -> bool | None:
        """None where the server does not implement public access blocks."""
        with self._answer("read the public access block of"):
            try:
                answer = self._client.get_public_access_block(Bucket=self.name)
                if answer["PublicAccessBlockConfiguration"] == _BLOCK_ALL:
                    return False
            except ClientError as exc:
                if _code(exc) in _NOT_IMPLEMENTED:
                    return None
                if _code(exc) != "NoSuchPublicAccessBlockConfiguration":
                    raise
        with self._answer("block public access to"):
            self._client.put_public_access_block(Bucket=self.name, PublicAccessBlockConfiguration=_BLOCK_ALL)
        return True

    def expire(self, days: int) -> bool:
        wanted = {
            "ID": f"expire-after-{days}-days",
            "Status": "Enabled",
            "Filter": {},
            "Expiration": {"Days": days},
            "NoncurrentVersionExpiration": {"NoncurrentDays": _NONCURRENT_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": _ABORT_UPLOADS_DAYS},
        }
        with self._answer("read the lifecycle rules of"):
            try:
                rules = self._client.get_bucket_lifecycle_configuration(Bucket=self.name)["Rules"]
                if [_comparable(rule) for rule in rules] == [wanted]:
                    return False
            except ClientError as exc:
                if _code(exc) != "NoSuchLifecycleConfiguration":
                    raise
        # The bucket's rules become exactly this one: another rule could expire objects earlier than retention.
        with self._answer("set the lifecycle rules of"):
            self._client.put_bucket_lifecycle_configuration(
                Bucket=self.name, LifecycleConfiguration={"Rules": [wanted]}
            )
        return True

    @contextmanager
    def _answer(self, action: str, unsupported: str = "") -> Iterator[None]:
        """botocore's errors as one line an operator can act on, naming the endpoint, never the secret."""
        endpoint = self._config.endpoint_url or f"AWS S3 ({self._config.region})"
        try:
            yield
        except _UNREACHABLE as exc:
            raise StorageError(f"cannot reach the S3 endpoint {endpoint}: {type(exc).__name__}") from None
        except NoCredentialsError:
            raise StorageError("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from None
        except ClientError as exc:
            code = _code(exc)
            if code in _REFUSED_CREDENTIALS:
                detail = (
                    f"{endpoint} refused the credentials ({code}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                )
            elif code in _DENIED:
                detail = f"{endpoint} denied access ({code}): the credentials are wrong or may not manage buckets"
            elif code in _NOT_IMPLEMENTED:
                detail = f"{endpoint} does not implement it ({code})" + (f"; {unsupported}" if unsupported else "")
            elif code == "BucketAlreadyExists":
                detail = "the name belongs to another account; choose other names (S3_BUCKET_*)"
            else:
                detail = f"{endpoint} answered {code or type(exc).__name__}"
            raise StorageError(f"cannot {action} bucket {self.name}: {detail}") from None
        except BotoCoreError as exc:
            raise StorageError(f"cannot {action} bucket {self.name} at {endpoint}: {type(exc).__name__}") from None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _comparable(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as this module writes it: servers answer an empty filter as ``{"Prefix": ""}``, or as a legacy
    top-level ``Prefix``, or leave it out."""
    kept = {key: rule[key] for key in _RULE_KEYS if key in rule}
    condition = dict(rule.get("Filter", {}))
    if rule.get("Prefix"):
        condition["Prefix"] = rule["Prefix"]
    if condition.get("Prefix") == "":
        del condition["Prefix"]
    kept["Filter"] = condition
    return kept
