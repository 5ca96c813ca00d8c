"""Test helpers for driving jobs over HTTP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx


async def submit(
    client: httpx.AsyncClient,
    content: bytes | Path,
    filename: str = "document",
    prefix: str = "/api/v1/cpu",
    **fields: str,
) -> httpx.Response:
    data = content.read_bytes() if isinstance(content, Path) else content
    return await client.post(f"{prefix}/jobs", files={"file": (filename, data)}, data=fields)


async def wait_for(client: httpx.AsyncClient, location: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = (await client.get(location)).json()
        if status["status"] in ("succeeded", "failed", "cancelled"):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job did not finish within {timeout} s: {status}")
        await asyncio.sleep(0.1)


async def run_job(client: httpx.AsyncClient, content: bytes | Path, **kwargs: Any) -> dict[str, Any]:
    response = await submit(client, content, **kwargs)
    assert response.status_code == 202, response.text
    return await wait_for(client, response.headers["location"])
