"""Embedded mode and a service with the default ENABLED_ENGINES never import torch, even where the cpu and gpu
extras are installed: Surya, Docling and the GPU engines load only when enabled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json, sys
import anyio, httpx
from asgi_lifespan import LifespanManager
from ablage_services.embedded import create_app

async def main():
    app = create_app()
    async with LifespanManager(app, startup_timeout=120) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ablage.test") as client:
            engines = (await client.get("/api/v1/cpu/engines")).json()["engines"]
    loaded = {engine["name"]: engine["loaded"] for engine in engines}
    heavy = {name: name in sys.modules for name in ("torch", "transformers")}
    print(json.dumps({"loaded": loaded, **heavy}))

anyio.run(main)
"""


def test_default_engines_leave_torch_unimported(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True, timeout=300
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["loaded"]["tesseract"] and not report["loaded"]["surya"] and not report["loaded"]["docling"]
    assert report["torch"] is False and report["transformers"] is False
