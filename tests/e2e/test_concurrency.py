"""Many uploads at once: every job finishes, none is lost, and no result lands on the wrong job (the test
engine's text is a fingerprint of the page it read)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.fakes.engines import expected_text
from tests.images import encode, text_image
from tests.jobs import submit, wait_for

pytestmark = pytest.mark.anyio

UPLOADS = 20


async def test_twenty_concurrent_uploads(client: httpx.AsyncClient) -> None:
    numbers = [f"{10_000 + 37 * i}" for i in range(UPLOADS)]
    images = {n: text_image(f"Rechnung Nr. {n}") for n in numbers}
    documents = {n: encode(image, "PNG") for n, image in images.items()}
    expected = {n: expected_text(image) for n, image in images.items()}
    assert len(set(expected.values())) == UPLOADS

    async def one(number: str) -> tuple[str, dict, str]:
        # Half through the async endpoint, half through the synchronous one.
        if int(number) % 2:
            response = await submit(client, documents[number], filename=f"{number}.png")
            assert response.status_code == 202, response.text
            status = await wait_for(client, response.headers["location"])
        else:
            response = await client.post("/api/v1/cpu", files={"file": (f"{number}.png", documents[number])})
            assert response.status_code == 200, response.text
            status = (await client.get(response.headers["location"])).json()
        text = (await client.get(status["links"]["result"], params={"format": "text"})).text
        return number, status, text

    results = await asyncio.gather(*(one(n) for n in numbers))
    assert len({status["id"] for _, status, _ in results}) == UPLOADS
    for number, status, text in results:
        assert status["status"] == "succeeded", status
        assert status["document"]["filename"] == f"{number}.png"
        assert text.strip() == expected[number], (number, text)
    metrics = (await client.get("/metrics")).text
    assert 'ablage_queue_depth{queue="cpu"} 0.0' in metrics
