"""Small uploads that would expand into gigabytes — a `pages` field of huge ranges, a ZIP bomb DOCX, a TIFF of
thousands of frames, a PNG whose header claims ten billion pixels — are refused with their 4xx within 2 s, and
the API process (this process: the app runs in it over ASGI) grows by less than 50 MB meanwhile."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import FAKE_OCR, ClientFactory
from tests.e2e.test_bad_input import assert_problem
from tests.images import encode, text_image

pytestmark = pytest.mark.anyio

RSS_GROWTH_LIMIT = 50 * 1024 * 1024
WITHIN = 2.0


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 resets VmHWM to the current RSS (Linux ≥ 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def _pages_bomb() -> tuple[bytes, dict[str, str]]:
    ranges = ",".join(f"{i * 100_000 + 1}-{(i + 1) * 100_000}" for i in range(200))
    assert len(ranges) < 4096
    return encode(text_image("Seite"), "PNG"), {"pages": ranges}


def _zip_bomb_docx() -> tuple[bytes, dict[str, str]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(300):
                entry.write(zeros)
    return buffer.getvalue(), {}


def _many_frames_tiff() -> tuple[bytes, dict[str, str]]:
    frames = [Image.new("L", (8, 8), 255) for _ in range(1500)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue(), {}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pixel_bomb_png() -> tuple[bytes, dict[str, str]]:
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""), {}


@pytest.mark.parametrize(
    ("build", "status", "slug"),
    [
        pytest.param(_pages_bomb, 422, "invalid-option", id="pages-ranges"),
        pytest.param(_zip_bomb_docx, 413, "document-too-large", id="zip-bomb-docx"),
        pytest.param(_many_frames_tiff, 422, "too-many-pages", id="many-frame-tiff"),
        pytest.param(_pixel_bomb_png, 422, "too-many-pixels", id="pixel-bomb-png"),
    ],
)
async def test_a_bomb_is_refused_at_once_without_growing_the_api(
    client_for: ClientFactory, build: Callable[[], tuple[bytes, dict[str, Any]]], status: int, slug: str
) -> None:
    body, fields = build()
    upload = {"allowed_extensions": ["pdf", "png", "tiff", "docx"]}
    async with client_for(upload=upload, ocr=FAKE_OCR) as client:
        # One ordinary upload first: the app's lazy parts are in place before the measurement.
        warm = await client.post("/api/v1/cpu/jobs", files={"file": ("warm.png", encode(text_image("a"), "PNG"))})
        assert warm.status_code == 202
        _reset_peak()
        before = _status_kib("VmRSS")
        started = time.monotonic()
        response: httpx.Response = await client.post("/api/v1/cpu/jobs", files={"file": ("upload", body)}, data=fields)
        elapsed = time.monotonic() - started
        grown = (_status_kib("VmHWM") - before) * 1024
        assert_problem(response, status, f"/problems/{slug}")
        assert elapsed < WITHIN, f"answered after {elapsed:.2f} s"
        assert grown < RSS_GROWTH_LIMIT, f"the API process grew by {grown / 1e6:.1f} MB"
        assert (await client.get("/health")).status_code == 200
