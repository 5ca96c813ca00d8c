"""A job's options, and the key that says two uploads asked for the same work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class JobOptions:
    languages: tuple[str, ...]
    engine: str
    pages: tuple[int, ...]
    force_ocr: bool

    def key(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
