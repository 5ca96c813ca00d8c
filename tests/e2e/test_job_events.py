"""Live progress and what the result viewer reads, on both backends: the events stream of a multi-page job in
order and resumable, the caller's job list page by page, and page images the word boxes fit."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import httpx
import pytest
from ablage.settings import Settings
from PIL import Image

from tests.apps import RunningApp, running_app, served_over_http
from tests.conftest import DOCUMENTS
from tests.e2e.test_tenants import assert_no_such_job
from tests.fakes.engines import FAKE, FAKE_HELD, held_pages
from tests.images import load, multipage_tiff
from tests.jobs import run_job, submit, wait_for

pytestmark = pytest.mark.anyio

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"


def parse_events(body: str) -> list[dict[str, str]]:
    """The events of a text/event-stream body (comments and pings dropped)."""
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
        if "data" in fields:
            events.append(fields)
    return events


async def stream(client: httpx.AsyncClient, url: str, last_event_id: str | None = None) -> list[dict[str, str]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_events((await response.aread()).decode())


async def test_events_arrive_in_order_and_resume(client: httpx.AsyncClient) -> None:
    pages = [load(PHOTOTEST), load(INVOICE).resize((1240, 1754)), load(PHOTOTEST).rotate(180)]
    accepted = await submit(client, multipage_tiff(pages), filename="three.tif")
    assert accepted.status_code == 202
    url = f"{accepted.headers['location']}/events"
    events = await stream(client, url)
    kinds = [event["event"] for event in events]
    assert kinds[0] == "status" and kinds[-1] == "end"
    page_events = [event for event in events if event["event"] == "page"]
    assert [event["id"] for event in page_events] == ["1", "2", "3"]
    assert [json.loads(event["data"])["page_number"] for event in page_events] == [1, 2, 3]
    assert all(json.loads(event["data"])["pages_total"] == 3 for event in page_events)
    end = json.loads(events[-1]["data"])
    assert events[-1]["id"] == "end" and end["status"] == "succeeded"
    assert end["progress"] == {"pages_done": 3, "pages_total": 3}
    # Statuses only move forward, and every page event comes before the end.
    statuses = [json.loads(event["data"])["status"] for event in events if event["event"] == "status"]
    order = ["queued", "running", "succeeded"]
    assert statuses == sorted(statuses, key=order.index)

    # A client that saw page 1 and lost the connection gets pages 2 and 3 and the end, and nothing twice.
    resumed = await stream(client, url, last_event_id="1")
    assert [event["id"] for event in resumed if "id" in event] == ["2", "3", "end"]
    assert [event["event"] for event in await stream(client, url, last_event_id="end")] == ["end"]


async def test_events_of_another_tenants_job_are_404(contract_app: RunningApp) -> None:
    _, token_a = contract_app.state.auth.keys.create("tenant-a")
    _, token_b = contract_app.state.auth.keys.create("tenant-b")
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        job = await run_job(a, PHOTOTEST)
        assert_no_such_job(await b.get(f"{job['links']['self']}/events"))
        assert_no_such_job(await b.get(f"{job['links']['self']}/pages/1/image"))
        assert (await b.get("/api/v1/cpu/jobs")).json() == {"jobs": [], "next": None}
        assert_no_such_job(await b.get("/api/v1/cpu/jobs", params={"before": job["id"]}))


async def test_job_list_pages_newest_first(client: httpx.AsyncClient) -> None:
    made = [
        await run_job(client, PHOTOTEST, filename=f"{n}.tif", languages=lang)
        for n, lang in enumerate(("de", "en", "de,en"))
    ]
    first = (await client.get("/api/v1/cpu/jobs", params={"limit": 2})).json()
    assert [job["id"] for job in first["jobs"]] == [made[2]["id"], made[1]["id"]]
    rest = (await client.get("/api/v1/cpu/jobs", params={"limit": 2, "before": first["next"]})).json()
    assert [job["id"] for job in rest["jobs"]] == [made[0]["id"]] and rest["next"] is None
    assert (await client.get("/api/v1/cpu/jobs", params={"limit": 0})).status_code == 400


async def test_page_images_fit_the_word_boxes(ocr_client: httpx.AsyncClient) -> None:
    """Real OCR on a page uploaded sideways: the image comes back upright, with the words under their boxes."""
    client = ocr_client
    upright, turned = load(INVOICE), load(PHOTOTEST).rotate(90, expand=True)
    job = await run_job(
        client, multipage_tiff([upright.convert("L"), turned.convert("L")]), pages="2", engine="tesseract"
    )
    assert job["status"] == "succeeded"
    result = (await client.get(job["links"]["result"])).json()
    (page,) = result["pages"]
    response = await client.get(f"{job['links']['self']}/pages/2/image", params={"width": 800})
    assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(response.content))
    # The page as it was read: turned upright, so it has the result's proportions, not the upload's.
    assert image.width == 800 and abs(image.height - round(800 * page["height"] / page["width"])) <= 1
    scale = image.width / page["width"]
    grey = image.convert("L")
    words = [w for block in page["blocks"] for line in block["lines"] for w in line["words"]]
    assert words
    for word in words:
        x0, y0, x1, y1 = (round(v * scale) for v in word["bbox"])
        # Ink under every word's box: the boxes sit on text, not on the empty margin.
        assert grey.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))).getextrema()[0] < 128, word
    cached = await client.get(f"{job['links']['self']}/pages/2/image", params={"width": 800})
    assert cached.content == response.content
    assert (await client.get(f"{job['links']['self']}/pages/1/image")).json()["type"] == "/problems/page-not-found"
    assert (await client.get(f"{job['links']['self']}/pages/2/image", params={"width": 801})).status_code == 400


async def test_page_image_is_409_until_the_job_succeeded(client: httpx.AsyncClient) -> None:
    with held_pages():
        accepted = await submit(client, PHOTOTEST, engine=FAKE_HELD)
        early = await client.get(f"{accepted.headers['location']}/pages/1/image")
        assert early.status_code == 409
    await wait_for(client, accepted.headers["location"])


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["production"])
async def test_events_reach_a_replica_that_runs_no_workers(make_settings: Callable[..., Settings]) -> None:
    """The pages are read by the workers of one replica; a client of another follows them live, through Redis."""
    working = make_settings(ocr={"enabled_engines": [FAKE, FAKE_HELD]})
    serving = make_settings(ocr={"enabled_engines": [FAKE, FAKE_HELD]}, queue={"embedded_workers": False})
    pages = [load(PHOTOTEST), load(INVOICE).resize((1240, 1754)), load(PHOTOTEST).rotate(180)]
    async with running_app(working, [FAKE_HELD]), running_app(serving) as front:
        with served_over_http(front) as base, held_pages() as gate:
            client = httpx.AsyncClient(base_url=base, timeout=60)
            accepted = await submit(client, multipage_tiff(pages), engine=FAKE_HELD)
            assert accepted.status_code == 202
            received: list[dict[str, str]] = []
            async with client.stream("GET", f"{accepted.headers['location']}/events") as response:
                lines = response.aiter_lines()
                block: dict[str, str] = {}
                async for line in lines:
                    if line:
                        name, _, value = line.partition(":")
                        block[name] = value.strip()
                        continue
                    if "data" in block:
                        received.append(block)
                        if block.get("event") == "status" and json.loads(block["data"])["status"] == "running":
                            gate.open.set()  # running on the other replica: let its pages go
                        if block.get("event") == "end":
                            break
                    block = {}
            await client.aclose()
    assert [event["id"] for event in received if event.get("event") == "page"] == ["1", "2", "3"]
    assert json.loads(received[-1]["data"])["status"] == "succeeded"
