"""Configuration from the environment, one class per concern.

The variable names (``DATABASE_URL``, ``MAX_UPLOAD_SIZE``, ...) are the contract shared with compose,
Kubernetes and Ansible. Unset means the embedded default: SQLite and local disk under ``DATA_DIR``.
"""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import ByteSize, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip().lower() for item in value.split(",") if item.strip()]
    return value


class _Env(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)


class Environment(StrEnum):
    development = "development"
    dev = "dev"
    staging = "staging"
    prod = "prod"
    production = "production"


class LogLevel(StrEnum):
    debug = "DEBUG"
    info = "INFO"
    warning = "WARNING"
    error = "ERROR"


class ServiceSettings(_Env):
    environment: Environment = Environment.development
    log_level: LogLevel = LogLevel.info
    data_dir: Path = Path("./data")
    docs_enabled: bool = Field(True, description="serve /docs, /redoc and /openapi.json")
    metrics_enabled: bool = Field(True, description="serve /metrics (scrapes count the queued jobs in the database)")
    web_ui_enabled: bool = Field(True, description="serve the web page for people at / (its assets at /static)")
    max_concurrent_requests: int = Field(
        256, gt=0, description="connections and requests ablage serve handles at once; beyond, uvicorn answers 503"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class UploadSettings(_Env):
    max_upload_size: int = Field(104_857_600, gt=0, description="bytes; reading stops here (413)")
    allowed_extensions: CommaList = Field(default_factory=lambda: ["pdf", "png", "jpg", "jpeg", "tiff", "xml"])
    max_pages: int = Field(1000, gt=0, description="pages per document (422 above)")
    max_image_pixels: int = Field(
        150_000_000, gt=0, description="pixels of an uploaded raster image (decompression bombs, 422)"
    )
    max_render_pixels: int = Field(
        60_000_000, gt=0, description="pixels of a rendered PDF page; larger pages render at a lower dpi"
    )
    render_dpi: int = Field(300, ge=72, le=600)
    max_archive_entries: int = Field(10_000, gt=0, description="entries of an office (ZIP) upload (413 above)")
    max_archive_size: int = Field(
        1024**3, gt=0, description="bytes an office (ZIP) upload may unpack to, all entries together (413 above)"
    )
    max_compression_ratio: float = Field(
        200, gt=1, description="how many times a large entry of an office upload may inflate (413 above)"
    )

    _split = field_validator("allowed_extensions", mode="before")(_split_commas)


class OcrSettings(_Env):
    languages: CommaList = Field(default_factory=lambda: ["de", "en"])
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), gt=0)
    processing_timeout: float = Field(600, gt=0, description="seconds a job may run; its pages are killed after")
    page_timeout: float = Field(
        120,
        gt=0,
        description="seconds one page (render, orientation, OCR, text layer) may take; its process is then killed",
    )
    page_memory_limit: ByteSize = Field(
        ByteSize(4 * 1024**3),
        ge=0,
        description="memory of each page process (RLIMIT_DATA), e.g. 4GiB; a page that needs more fails; 0: none",
    )
    page_processes: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        gt=0,
        description="child processes that read pages, shared by the jobs of this process",
    )
    inspect_timeout: float = Field(
        30, gt=0, description="seconds opening an upload (type, page count) may take at submit time"
    )
    sync_timeout: float = Field(120, gt=0, description="seconds POST {prefix} waits before answering 202")
    max_queue_depth: int = Field(1000, gt=0, description="queued jobs before uploads get 503")
    detect_orientation: bool = True
    deskew: bool = Field(True, description="straighten scans laid 0.3-10 degrees askew before OCR (DESKEW)")
    second_opinion: bool = Field(
        True, description="a page its engine read unsure (below 0.9) is read by Tesseract too, for its review"
    )
    review_threshold: float = Field(
        0.12, gt=0, le=1, description="share of doubtful words at which a page is flagged for review; per tenant too"
    )
    onnx_threads: int = Field(1, gt=0, description="onnxruntime threads per inference (RapidOCR)")
    model_name: str | None = None
    enabled_engines: CommaList = Field(
        # RapidOCR first: it scored better than Tesseract on every document group measured (README, Engines).
        default_factory=lambda: ["rapidocr", "tesseract"],
        description="engines this process may load; Surya and Docling import torch, so they are opt-in",
    )
    engine_retry_initial: float = Field(
        5, gt=0, description="seconds before a failed engine is tried again; doubles with each failure"
    )
    engine_retry_max: float = Field(300, gt=0, description="the longest wait between two load attempts")
    engine_start_wait: float = Field(
        60, ge=0, description="seconds start-up waits for the engines' first load attempts (run in parallel)"
    )
    torch_threads: int = Field(
        1, gt=0, description="torch intra-op threads per worker (Surya, Docling models); WORKERS sets the rest"
    )
    surya_model_dir: Path | None = Field(
        None, description="folder holding Surya's text detection checkpoint (config.json + weights)"
    )
    surya_inference_url: str | None = Field(
        None, description="OpenAI-compatible server (llama.cpp or vLLM) serving Surya's recognition model"
    )
    surya_model_name: str = Field("datalab-to/surya-ocr-2", description="the model name that server reports")
    docling_artifacts_path: Path | None = Field(
        None, description="Docling's layout and table models; without them Docling reads born-digital files only"
    )

    _split = field_validator("languages", "enabled_engines", mode="before")(_split_commas)


class ModelDevice(StrEnum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"


class OcrOutput(StrEnum):
    plain = "plain"
    markdown = "markdown"


class ModelSettings(_Env):
    """The GPU service's vision-language model; ``MODEL_NAME`` (in OcrSettings) picks it."""

    model_dir: Path | None = Field(
        None, description="a model's own folder (config.json inside), or a folder holding <org>/<name> folders"
    )
    hf_home: Path | None = Field(None, description="Hugging Face cache root; its hub/ is searched offline")
    model_device: ModelDevice = Field(
        ModelDevice.auto, description="auto: CUDA when usable, else the engine is unavailable and jobs use the CPU"
    )
    model_batch_size: int = Field(8, gt=0, description="pages per generate call at most")
    # repr=False: settings' repr is checked for leaked secrets by looking for "token".
    model_batch_tokens: int = Field(
        49_152, gt=0, repr=False, description="prompt plus new tokens of all pages in one batch at most"
    )
    model_batch_wait: float = Field(0.05, ge=0, description="seconds a batch waits for more pages")
    model_max_new_tokens: int = Field(4096, gt=0, repr=False, description="tokens generated per page at most")
    model_max_crops: int = Field(6, gt=0, description="GOT-OCR2: tiles a page is cut into, besides its thumbnail")
    model_output: OcrOutput = Field(OcrOutput.plain, description="GOT-OCR2: plain text or formatted (Markdown)")


class DatabaseSettings(_Env):
    database_url: SecretStr | None = Field(None, description="SQLAlchemy URL; unset means SQLite in DATA_DIR")
    db_pool_size: int = Field(5, gt=0)
    db_max_overflow: int = Field(10, ge=0)
    db_pool_timeout: float = Field(30, gt=0, description="seconds to wait for a pooled connection")
    db_pool_recycle: int = Field(1800, gt=0, description="seconds before a connection is replaced")
    db_auto_migrate: bool | None = Field(
        None, description="apply migrations at start-up; default: yes for SQLite, no for a server database"
    )


class QueueSettings(_Env):
    redis_url: SecretStr | None = Field(None, description="redis:// or rediss://; unset means in-process queue")
    queue_namespace: str = Field("ablage", description="Redis key prefix of the job queue")
    queue_visibility_timeout: float = Field(
        60, gt=0, description="seconds without a heartbeat before a running job's worker counts as dead"
    )
    job_max_attempts: int = Field(3, gt=0, description="deliveries of a job before it fails for good")
    embedded_workers: bool | None = Field(
        None, description="run OCR workers in the API process; default: yes without REDIS_URL"
    )
    sweep_interval: float = Field(15, gt=0, description="seconds between checks for jobs the queue lost")
    requeue_after: float = Field(
        900, gt=0, description="seconds a queued job may wait before it is sent to the queue again"
    )
    worker_health_host: str = Field("127.0.0.1", description="address of ``ablage worker``'s /live and /metrics")
    worker_health_port: int = Field(8090, ge=0, le=65535, description="port of ``ablage worker``'s /live; 0: none")
    worker_stall_timeout: float = Field(
        60, gt=0, description="seconds beyond its limits a worker thread may go without progress before /live fails"
    )

    @property
    def uses_redis(self) -> bool:
        return self.redis_url is not None

    @property
    def runs_embedded_workers(self) -> bool:
        return self.embedded_workers if self.embedded_workers is not None else not self.uses_redis


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"


class StorageSettings(_Env):
    storage_backend: StorageBackend | None = Field(
        None, description="default: s3 when S3_ENDPOINT_URL is set, else local disk under DATA_DIR"
    )
    s3_endpoint_url: str | None = None
    s3_region: str = "eu-central-1"
    s3_bucket_originals: str | None = None
    s3_bucket_processed: str | None = None
    s3_bucket_thumbnails: str | None = None
    s3_sse: str = Field("AES256", description="server-side encryption requested for every object")
    s3_kms_key_id: str | None = None
    s3_presign_expiry: int = Field(300, gt=0, le=604800, description="seconds a presigned result URL is valid")

    @property
    def backend(self) -> StorageBackend:
        if self.storage_backend is not None:
            return self.storage_backend
        return StorageBackend.s3 if self.s3_endpoint_url else StorageBackend.local


class AuthSettings(_Env):
    """Who may call the API. API keys live in the database (``ablage keys``); OIDC is optional."""

    bind_host: str = Field(
        "127.0.0.1", description="the address ``ablage serve`` binds; a service open to all needs a loopback one"
    )
    key_cache_seconds: float = Field(
        5, ge=0, le=60, description="seconds a verified key is trusted before the database is asked again"
    )
    oidc_issuer: str | None = Field(None, description="the issuer (iss) of accepted OIDC tokens; unset: no OIDC")
    oidc_audience: str | None = Field(None, description="the audience (aud) accepted tokens must name")
    oidc_jwks_url: str | None = Field(
        None, description="the issuer's key set; default: jwks_uri of its /.well-known/openid-configuration"
    )
    oidc_tenant_claim: str = Field("tenant", description="the claim that names the caller's tenant")
    oidc_algorithms: CommaList = Field(default_factory=lambda: ["RS256", "ES256"])
    docs_public: bool = Field(
        False, description="with keys or OIDC, serve /docs and /openapi.json without a key (default: a key is needed)"
    )
    # repr=False: settings' repr is checked for leaked secrets by looking for "token".
    metrics_token: SecretStr | None = Field(
        None,
        repr=False,
        description="bearer token /metrics asks for; unset: /metrics needs a tenant's key once keys exist",
    )
    rate_limit: str = Field(
        "50/second;1000/minute", description="API requests per tenant (limits' notation), shared across replicas"
    )
    tenant_max_queued_jobs: int = Field(250, ge=0, description="queued jobs per tenant (429 above); 0: no limit")
    tenant_max_running_jobs: int = Field(
        0, ge=0, description="jobs of one tenant running at once; more wait in the queue; 0: no limit"
    )
    tenant_monthly_pages: int = Field(0, ge=0, description="pages per tenant and calendar month (UTC); 0: no limit")

    _split = field_validator("oidc_algorithms", mode="before")(_split_commas)

    @field_validator("oidc_issuer", "oidc_audience", "oidc_jwks_url", "metrics_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty variable (``METRICS_TOKEN=``) must not switch OIDC on, nor make "Bearer " the metrics token.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("oidc_algorithms", mode="after")
    @classmethod
    def _upper_algorithms(cls, value: list[str]) -> list[str]:
        return [item.upper() for item in value]

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        # Imported here: every page process reads the settings, and limits takes 80 ms to import.
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"RATE_LIMIT {value!r} is not like 20/second;600/minute: {exc}") from None
        return value

    @property
    def uses_oidc(self) -> bool:
        return self.oidc_issuer is not None

    @property
    def binds_loopback(self) -> bool:
        host = self.bind_host.strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


class WebhookSettings(_Env):
    """Deliveries of job events to ``callback_url`` and the tenants' default URLs."""

    webhook_allowed_targets: CommaList = Field(
        default_factory=list,
        description="hostnames and CIDRs a webhook may reach although private or loopback, e.g. 10.1.0.0/16",
    )
    webhook_timeout: float = Field(10, gt=0, description="seconds one delivery attempt may take")
    webhook_retry_hours: float = Field(25, gt=0, description="hours a delivery is retried before it fails for good")
    webhook_initial_backoff: float = Field(5, gt=0, description="seconds before the first retry; doubles each time")
    webhook_max_backoff: float = Field(3600, gt=0, description="the longest wait between two attempts")
    webhook_poll_interval: float = Field(1, gt=0, description="seconds between looks for due deliveries")
    webhook_keep_days: float = Field(
        30, gt=0, description="days delivered and failed deliveries stay listed at /deliveries, like the results"
    )

    _split = field_validator("webhook_allowed_targets", mode="before")(_split_commas)

    @field_validator("webhook_allowed_targets", mode="after")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for entry in value:
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"WEBHOOK_ALLOWED_TARGETS: {entry!r} is not a CIDR") from None
        return value


class Settings(_Env):
    """All settings; sub-settings read their own variables, so tests can override any one."""

    service: ServiceSettings = Field(default_factory=lambda: ServiceSettings())
    upload: UploadSettings = Field(default_factory=lambda: UploadSettings())
    ocr: OcrSettings = Field(default_factory=lambda: OcrSettings())
    model: ModelSettings = Field(default_factory=lambda: ModelSettings())
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())
    queue: QueueSettings = Field(default_factory=lambda: QueueSettings())
    storage: StorageSettings = Field(default_factory=lambda: StorageSettings())
    auth: AuthSettings = Field(default_factory=lambda: AuthSettings())
    webhook: WebhookSettings = Field(default_factory=lambda: WebhookSettings())

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems: list[str] = []
        if not self.upload.allowed_extensions:
            problems.append("ALLOWED_EXTENSIONS must name at least one type")
        if self.ocr.sync_timeout > self.ocr.processing_timeout:
            self.ocr.sync_timeout = self.ocr.processing_timeout
        redis_url = self.queue.redis_url.get_secret_value() if self.queue.redis_url else None
        if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append("REDIS_URL must start with redis://, rediss:// or unix://")
        if not self.queue.uses_redis and self.queue.embedded_workers is False:
            problems.append("EMBEDDED_WORKERS=false needs REDIS_URL: otherwise no worker would ever see a job")
        sqlite = self.database_url.startswith("sqlite")
        if self.service.environment in (Environment.staging, Environment.prod, Environment.production):
            env = self.service.environment.value
            if sqlite:
                problems.append(f"ENVIRONMENT={env} needs DATABASE_URL (PostgreSQL), not the embedded SQLite")
            if not self.queue.uses_redis:
                problems.append(f"ENVIRONMENT={env} needs REDIS_URL: in-process queues lose jobs across replicas")
            if self.storage.backend is StorageBackend.local:
                problems.append(f"ENVIRONMENT={env} needs S3 storage (STORAGE_BACKEND=s3), not local disk")
        if self.auth.uses_oidc and not self.auth.oidc_audience:
            problems.append("OIDC_ISSUER needs OIDC_AUDIENCE: tokens issued for other clients must not be accepted")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def database_url(self) -> str:
        if self.database.database_url:
            return self.database.database_url.get_secret_value()
        return f"sqlite:///{(self.service.data_dir / 'ablage.db').resolve()}"

    @property
    def environment_suffix(self) -> str:
        """The suffix of the deployment's resource names: ablage-original-docs-<suffix>."""
        return {"development": "dev", "production": "prod"}.get(
            self.service.environment.value, self.service.environment.value
        )

    def bucket(self, area: str) -> str:
        configured = {
            "originals": self.storage.s3_bucket_originals,
            "processed": self.storage.s3_bucket_processed,
            "thumbnails": self.storage.s3_bucket_thumbnails,
        }[area]
        default = {"originals": "original-docs", "processed": "processed-docs", "thumbnails": "thumbnails"}[area]
        return configured or f"ablage-{default}-{self.environment_suffix}"

    @property
    def storage_dir(self) -> Path:
        return self.service.data_dir / "storage"

    @property
    def upload_tmp_dir(self) -> Path:
        return self.service.data_dir / "tmp"
