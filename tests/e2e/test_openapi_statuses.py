"""The OpenAPI document lists what each operation answers: every status, media type and required header the
running service sends for it, success and problem alike."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from ablage.api.problems import Problem
from ablage.storage.base import Area, Storage

from tests.conftest import ClientFactory
from tests.fakes.engines import FAKE_HELD, held_pages
from tests.images import encode, text_image
from tests.jobs import submit, wait_for

pytestmark = pytest.mark.anyio

CPU = "/api/v1/cpu"
JOB = f"{CPU}/jobs/{{job_id}}"
UPLOAD_LIMIT = 200_000
LETTER = encode(text_image("Rechnung 2024"), "PNG")
GIF = encode(text_image("GIF"), "GIF")  # a real image of a type not allowed by default


class Answers:
    """Checks each response against its operation in the document and records which statuses were seen."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.seen: dict[tuple[str, str], set[str]] = {}
        self.undocumented: list[str] = []

    def check(self, response: httpx.Response, template: str) -> httpx.Response:
        method = response.request.method.lower()
        status = str(response.status_code)
        label = f"{method.upper()} {template} {status}"
        self.seen.setdefault((method, template), set()).add(status)
        documented = self.document["paths"][template][method]["responses"].get(status)
        if documented is None:
            self.undocumented.append(f"{label}: status not documented ({response.text[:200]})")
            return response
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        content = documented.get("content", {})
        if content and media_type not in content:
            self.undocumented.append(f"{label}: {media_type} not among {sorted(content)}")
        if not content and response.content:
            self.undocumented.append(f"{label}: a body where none is documented")
        for name, header in documented.get("headers", {}).items():
            if header.get("required") and name not in response.headers:
                self.undocumented.append(f"{label}: required header {name} missing")
        if media_type == "application/problem+json":
            Problem.model_validate(response.json())
        return response


async def _job(client: httpx.AsyncClient, answers: Answers, data: bytes, **fields: str) -> dict[str, Any]:
    accepted = answers.check(await submit(client, data, filename="upload", **fields), f"{CPU}/jobs")
    assert accepted.status_code == 202, accepted.text
    return await wait_for(client, accepted.headers["location"])


async def test_every_answer_is_documented(client_for: ClientFactory, storage: Storage) -> None:
    # A 10 ms SYNC_TIMEOUT lets the synchronous form answer both ways: 200 for a result it has, 202 otherwise.
    # fake-held besides the real engines: a job that is certainly running when it is cancelled.
    ocr = {"sync_timeout": 0.01, "enabled_engines": ["rapidocr", "tesseract", FAKE_HELD]}
    async with client_for(upload={"max_upload_size": UPLOAD_LIMIT}, ocr=ocr) as client:
        answers = Answers((await client.get("/openapi.json")).json())
        check = answers.check

        check(await client.get("/health"), "/health")
        check(await client.get("/ready"), "/ready")
        check(await client.get("/metrics"), "/metrics")
        engines = check(await client.get(f"{CPU}/engines"), f"{CPU}/engines").json()["engines"]

        done = await _job(client, answers, LETTER)
        assert done["status"] == "succeeded", done
        failed = await _job(client, answers, LETTER[: len(LETTER) // 2])
        assert failed["status"] == "failed", failed

        for template in (f"{CPU}/jobs", CPU):

            async def post(data: bytes, template: str = template, **fields: str) -> httpx.Response:
                return check(await client.post(template, files={"file": ("upload", data)}, data=fields), template)

            assert (await post(LETTER)).status_code == (200 if template == CPU else 202)
            assert check(await client.post(template, data={"pages": "1"}), template).status_code == 400
            assert (await post(LETTER, pages="3-1")).status_code == 400
            assert (await post(LETTER, force_ocr="maybe")).status_code == 400
            assert (await post(b"\0" * (UPLOAD_LIMIT + 1))).status_code == 413
            assert (await post(GIF)).status_code == 415
            assert (await post(LETTER, pages="7")).status_code == 422
            assert (await post(LETTER, engine="nonexistent")).status_code == 422
            unloaded = [engine["name"] for engine in engines if not engine["loaded"]]
            if unloaded:
                assert (await post(LETTER, engine=unloaded[0])).status_code == 503
        fresh = encode(text_image("Lieferschein"), "PNG")
        assert check(await client.post(CPU, files={"file": ("new.png", fresh)}), CPU).status_code == 202

        status_url, result_url = done["links"]["self"], done["links"]["result"]
        assert check(await client.get(status_url), JOB).status_code == 200
        assert check(await client.get(f"{CPU}/jobs/unknown"), JOB).status_code == 404
        result = f"{JOB}/result"
        for fmt in ("json", "text", "markdown", "hocr", "alto", "pdf"):
            assert check(await client.get(result_url, params={"format": fmt}), result).status_code == 200
        assert check(await client.get(result_url, params={"format": "docx"}), result).status_code == 400
        assert check(await client.get(f"{CPU}/jobs/unknown/result"), result).status_code == 404
        assert check(await client.get(failed["links"]["result"]), result).status_code == 409
        storage.delete(Area.processed, f"{done['id']}/text.txt")
        assert check(await client.get(result_url, params={"format": "text"}), result).status_code == 410

        thumbnail = f"{JOB}/thumbnail"
        assert check(await client.get(f"{status_url}/thumbnail"), thumbnail).status_code == 200
        assert check(await client.get(f"{CPU}/jobs/unknown/thumbnail"), thumbnail).status_code == 404

        deliveries = f"{JOB}/deliveries"
        assert check(await client.get(f"{status_url}/deliveries"), deliveries).status_code == 200
        assert check(await client.get(f"{CPU}/jobs/unknown/deliveries"), deliveries).status_code == 404

        cancel = f"{JOB}/cancel"
        assert check(await client.post(f"{status_url}/cancel"), cancel).status_code == 409
        assert check(await client.post(f"{CPU}/jobs/unknown/cancel"), cancel).status_code == 404
        with held_pages() as gate:
            held = await client.post(
                f"{CPU}/jobs",
                files={"file": ("held.png", encode(text_image("Auftrag"), "PNG"))},
                data={"engine": FAKE_HELD},
            )
            assert await anyio.to_thread.run_sync(gate.entered.wait, 60)
            assert check(await client.post(f"{held.headers['location']}/cancel"), cancel).status_code == 200

        listing = f"{CPU}/jobs"
        assert check(await client.get(listing, params={"limit": 2}), listing).status_code == 200
        assert check(await client.get(listing, params={"limit": 0}), listing).status_code == 400
        assert check(await client.get(listing, params={"before": "unknown"}), listing).status_code == 404

        events = f"{JOB}/events"
        assert check(await client.get(f"{status_url}/events"), events).status_code == 200
        assert check(await client.get(f"{CPU}/jobs/unknown/events"), events).status_code == 404

        image = f"{JOB}/pages/{{number}}/image"
        assert check(await client.get(f"{status_url}/pages/1/image"), image).status_code == 200
        assert check(await client.get(f"{status_url}/pages/2/image"), image).status_code == 404
        assert check(await client.get(f"{status_url}/pages/1/image", params={"width": 7}), image).status_code == 400
        assert check(await client.get(f"{failed['links']['self']}/pages/1/image"), image).status_code == 409
        assert check(await client.get(f"{CPU}/jobs/unknown/pages/1/image"), image).status_code == 404

        assert check(await client.delete(status_url), JOB).status_code == 204
        assert check(await client.delete(status_url), JOB).status_code == 404

    assert not answers.undocumented, "\n".join(answers.undocumented)
    operations = {
        (method, path)
        for path, entries in answers.document["paths"].items()
        if path.startswith(CPU) or not path.startswith("/api/")
        for method in entries
    }
    assert operations <= set(answers.seen), f"not exercised: {sorted(operations - set(answers.seen))}"
