"""Configuration from the environment, one class per concern.

The variable names (``DATABASE_URL``, ``MAX_UPLOAD_SIZE``, ...) are the contract shared with compose,
Kubernetes and Ansible. Unset means the embedded default: SQLite and local disk under ``DATA_DIR``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
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

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class UploadSettings(_Env):
    max_upload_size: int = Field(104_857_600, gt=0, description="bytes; reading stops here (413)")
    allowed_extensions: CommaList = Field(default_factory=lambda: ["pdf", "png", "jpg", "jpeg", "tiff"])
    max_pages: int = Field(1000, gt=0, description="pages per document (422 above)")
    max_image_pixels: int = Field(
        150_000_000, gt=0, description="pixels of an uploaded raster image (decompression bombs, 422)"
    )
    max_render_pixels: int = Field(
        60_000_000, gt=0, description="pixels of a rendered PDF page; larger pages render at a lower dpi"
    )
    render_dpi: int = Field(300, ge=72, le=600)

    _split = field_validator("allowed_extensions", mode="before")(_split_commas)


class OcrSettings(_Env):
    languages: CommaList = Field(default_factory=lambda: ["de", "en"])
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), gt=0)
    processing_timeout: float = Field(600, gt=0, description="seconds a job may run")
    sync_timeout: float = Field(120, gt=0, description="seconds POST {prefix} waits before answering 202")
    max_queue_depth: int = Field(1000, gt=0, description="queued jobs before uploads get 503")
    detect_orientation: bool = True
    model_name: str | None = None

    _split = field_validator("languages", mode="before")(_split_commas)


class DatabaseSettings(_Env):
    database_url: str | None = None


class Settings(_Env):
    """All settings; sub-settings read their own variables, so tests can override any one."""

    service: ServiceSettings = Field(default_factory=lambda: ServiceSettings())
    upload: UploadSettings = Field(default_factory=lambda: UploadSettings())
    ocr: OcrSettings = Field(default_factory=lambda: OcrSettings())
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if not self.upload.allowed_extensions:
            raise ValueError("ALLOWED_EXTENSIONS must name at least one type")
        if self.ocr.sync_timeout > self.ocr.processing_timeout:
            self.ocr.sync_timeout = self.ocr.processing_timeout
        return self

    @property
    def database_url(self) -> str:
        if self.database.database_url:
            return self.database.database_url
        return f"sqlite:///{(self.service.data_dir / 'ablage.db').resolve()}"

    @property
    def storage_dir(self) -> Path:
        return self.service.data_dir / "storage"

    @property
    def upload_tmp_dir(self) -> Path:
        return self.service.data_dir / "tmp"
