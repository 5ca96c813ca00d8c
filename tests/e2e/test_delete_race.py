"""Deleting a document's last job while the same bytes are uploaded again: the upload either comes first and
keeps the original, or comes after and stores it again. Every accepted job succeeds; nothing answers 500."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import FAKE_OCR, ClientFactory
from tests.images import encode, text_image
from tests.jobs import submit, wait_for

pytestmark = pytest.mark.anyio

ROUNDS = 50


async def test_delete_racing_a_same_bytes_upload_loses_nothing(client_for: ClientFactory) -> None:
    page = encode(text_image("Rechnung 2026-12"), "PNG")
    async with client_for(ocr=FAKE_OCR) as client:
        first = await submit(client, page, filename="first.png")
        assert first.status_code == 202
        location = first.headers["location"]
        assert (await wait_for(client, location, timeout=30))["status"] == "succeeded"
        for round_ in range(ROUNDS):
            # force_ocr changes the options, so the new upload is a job of its own, not a reused result.
            deleted, uploaded = await asyncio.gather(
                client.delete(location),
                submit(client, page, filename=f"again-{round_}.png", force_ocr="true" if round_ % 2 else "false"),
            )
            assert deleted.status_code == 204, deleted.text
            assert uploaded.status_code == 202, uploaded.text
            location = uploaded.headers["location"]
            status = await wait_for(client, location, timeout=30)
            assert status["status"] == "succeeded", (round_, status["error"])
            result: httpx.Response = await client.get(status["links"]["result"], params={"format": "text"})
            assert result.status_code == 200 and result.text.startswith("Seite 1")
