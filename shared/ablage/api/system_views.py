"""The bodies of /health, /ready and ``{prefix}/engines``. Open to members added later (``extra="allow"``), so
a new readiness check or engine attribute reaches clients without a schema change here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Health(BaseModel):
    status: Literal["ok"]


class EngineView(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    version: str = Field(description="empty while the engine is not loaded")
    languages: list[str] = Field(description="ISO 639-1 codes it reads")
    loaded: bool
    device: str = Field(description="cpu or cuda")
    detail: str | None = Field(None, description="why it is not loaded")
    extra: dict[str, str] = Field(default_factory=dict)


class OfferedEngine(EngineView):
    preferred: bool = Field(description="one of this prefix's own engines, not a fallback")
    document_engine: bool = Field(description="converts whole documents (office files) rather than page images")


class EngineList(BaseModel):
    engines: list[OfferedEngine]


class Check(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: str = Field(description="ok when usable; otherwise what it is (unavailable, pending, ...)")
    backend: str | None = None
    detail: str | None = None


class ServiceReadiness(BaseModel):
    model_config = ConfigDict(extra="allow")

    prefix: str
    status: str = Field(description="ok when one of its own engines (or, lacking any, a fallback) is usable")
    engines: list[EngineView]
    detail: str | None = None


class Checks(BaseModel):
    model_config = ConfigDict(extra="allow")

    database: Check
    storage: Check
    queue: Check
    warm_up: Check
    services: dict[str, ServiceReadiness]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: Checks
