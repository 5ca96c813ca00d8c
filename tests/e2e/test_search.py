"""Full-text search on both backends (PostgreSQL's german text search, SQLite FTS5 over the same stems): German
stemming and ß folding, phrases, prefixes, filters, snippets and word boxes; one tenant never finds another's
documents, and a deleted document is gone from the results at once."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from tests.apps import RunningApp
from tests.conftest import DATA, DOCUMENTS
from tests.e2e.test_bad_input import assert_problem
from tests.jobs import run_job

pytestmark = pytest.mark.anyio

EINFACH = DATA / "einvoices" / "EN16931_Einfach.pdf"
RABATTE = DATA / "einvoices" / "EN16931_Rabatte.pdf"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
SEARCH = "/api/v1/documents/search"


async def _search(client: httpx.AsyncClient, q: str, **filters: str) -> list[dict]:
    response = await client.get(SEARCH, params={"q": q, **filters})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _files(hits: list[dict]) -> set[str]:
    return {hit["document"]["filename"] for hit in hits}


async def test_german_words_phrases_prefixes_and_filters(contract_app: RunningApp) -> None:
    _, token_a = contract_app.state.auth.keys.create("tenant-a")
    _, token_b = contract_app.state.auth.keys.create("tenant-b")
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        einfach = await run_job(a, EINFACH, filename="einfach.pdf")
        rabatte = await run_job(a, RABATTE, filename="rabatte.pdf")
        foreign = await run_job(b, EINFACH, filename="fremd.pdf")
        assert {einfach["status"], rabatte["status"], foreign["status"]} == {"succeeded"}

        # Stemming: the plural finds the singular; ß and ss are one letter.
        hits = await _search(a, "Rechnungen")
        assert _files(hits) == {"einfach.pdf", "rabatte.pdf"}
        assert all("<mark>" in hit["snippet"] for hit in hits), hits
        assert _files(await _search(a, "Lieferantenstrasse")) == {"einfach.pdf", "rabatte.pdf"}
        assert _files(await _search(a, "Kundenstraße München")) == {"einfach.pdf", "rabatte.pdf"}

        # Phrases in their order only; prefixes as word starts.
        assert _files(await _search(a, '"Kunden AG"')) == {"einfach.pdf", "rabatte.pdf"}
        assert await _search(a, '"AG Kunden"') == []
        assert _files(await _search(a, "Lieferant*")) == {"einfach.pdf", "rabatte.pdf"}
        assert await _search(a, "Lieferantx*") == []
        # Numbers, dates and codes as printed, on both backends.
        assert _files(await _search(a, "471102")) == {"einfach.pdf", "rabatte.pdf"}
        assert _files(await _search(a, "05.03.2018")) == {"einfach.pdf"}
        assert _files(await _search(a, "DE123456789")) == {"einfach.pdf", "rabatte.pdf"}
        assert await _search(a, "05.03.2019") == []
        # Every word must occur: one that is on neither page finds nothing.
        assert await _search(a, "Rechnung Zahnarzt") == []

        # The hit's boxes lie on its page and are the matching words'.
        hit = (await _search(a, "Lieferant"))[0]
        assert hit["boxes"] and all(
            0 <= x0 < x1 <= hit["page_width"] and 0 <= y0 < y1 <= hit["page_height"] for x0, y0, x1, y1 in hit["boxes"]
        )
        assert hit["links"]["page_image"].endswith(f"/jobs/{hit['job_id']}/pages/1/image")
        assert (await a.get(hit["links"]["page_image"])).status_code == 200

        # Filters: the seller and total from the e-invoice's XML, the upload date, the engine, the language.
        sellers = await _search(a, "Rechnung", seller="lieferant gmbh")
        assert _files(sellers) == {"einfach.pdf", "rabatte.pdf"} and sellers[0]["seller"] == "Lieferant GmbH"
        assert await _search(a, "Rechnung", seller="Zahnarzt") == []
        assert await _search(a, "Rechnung", seller="%") == []  # a letter, not a wildcard
        total = next(h for h in hits if h["document"]["filename"] == "einfach.pdf")["total"]
        assert total is not None and _files(await _search(a, "Rechnung", total=str(total))) == {"einfach.pdf"}
        printed = str(total).replace(".", ",")  # as a German invoice prints it
        assert _files(await _search(a, "Rechnung", total=printed)) == {"einfach.pdf"}
        today = date.today()
        window = {"from": str(today - timedelta(days=1)), "to": str(today)}
        assert _files(await _search(a, "Rechnung", **window)) == {"einfach.pdf", "rabatte.pdf"}
        assert await _search(a, "Rechnung", to=str(today - timedelta(days=2))) == []
        assert _files(await _search(a, "Rechnung", engine=hits[0]["engine"])) == {"einfach.pdf", "rabatte.pdf"}
        assert await _search(a, "Rechnung", engine="no-such-engine") == []
        assert _files(await _search(a, "Rechnung", language="de")) == {"einfach.pdf", "rabatte.pdf"}
        assert await _search(a, "Rechnung", language="fr") == []

        # Paging: a hit is a page; one at a time, in the order of the whole answer, until there is no next.
        everything = [(hit["job_id"], hit["page"]) for hit in await _search(a, "Rechnung", limit="100")]
        paged, offset = [], 0
        while offset is not None:
            answer = (await a.get(SEARCH, params={"q": "Rechnung", "limit": 1, "offset": offset})).json()
            paged += [(hit["job_id"], hit["page"]) for hit in answer["hits"]]
            offset = answer["next"]
        assert paged == everything and len(set(everything)) == len(everything) > 2

        # The other tenant finds its own upload of the same file, and only that.
        theirs = await _search(b, "Rechnung")
        assert {hit["job_id"] for hit in theirs} == {foreign["id"]}
        assert foreign["id"] not in {hit["job_id"] for hit in await _search(a, "Rechnung")}

        # Deleted: gone from the results at once.
        assert (await a.delete(einfach["links"]["self"])).status_code == 204
        assert _files(await _search(a, "Rechnung")) == {"rabatte.pdf"}
        assert {hit["job_id"] for hit in await _search(b, "Rechnung")} == {foreign["id"]}


async def test_a_newer_job_of_the_document_is_its_searched_version(contract_app: RunningApp) -> None:
    async with contract_app.client() as client:
        older = await run_job(client, EINFACH, filename="einfach.pdf")
        newer = await run_job(client, EINFACH, filename="einfach.pdf", force_ocr="true")
        assert (older["status"], newer["status"]) == ("succeeded", "succeeded")
        # The fake engine's OCR text replaces the text layer's: only the newer version is found.
        assert await _search(client, "Lieferant") == []
        assert {hit["job_id"] for hit in await _search(client, "Prüfsumme")} == {newer["id"]}
        # With the newer job deleted, the older one is the document's searched version again.
        assert (await client.delete(newer["links"]["self"])).status_code == 204
        assert {hit["job_id"] for hit in await _search(client, "Lieferant")} == {older["id"]}


async def test_an_ocr_page_is_found_with_the_boxes_of_its_words(ocr_client: httpx.AsyncClient) -> None:
    job = await run_job(ocr_client, PHOTOTEST, filename="phototest.tif", languages="en")
    assert job["status"] == "succeeded"
    hits = await _search(ocr_client, '"quick brown"')
    assert [hit["job_id"] for hit in hits] == [job["id"]]
    result = (await ocr_client.get(job["links"]["result"])).json()
    # Every "quick" and "brown" of the page, and no other word.
    expected = {
        tuple(word["bbox"])
        for block in result["pages"][0]["blocks"]
        for line in block["lines"]
        for word in line["words"]
        if word["text"].strip(".,").lower() in ("quick", "brown")
    }
    assert len(expected) >= 2 and {tuple(box) for box in hits[0]["boxes"]} == expected
    assert "<mark>quick</mark> <mark>brown</mark>" in hits[0]["snippet"]


@pytest.mark.parametrize("q", ["", " ", '"', "***", "x" * 501, "a\x00b"], ids=repr)
async def test_a_query_without_words_or_too_long_is_a_400(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get(SEARCH, params={"q": q})
    assert_problem(response, 400)


async def test_bad_filters_are_a_400(client: httpx.AsyncClient) -> None:
    for params in (
        {"from": "gestern"},
        {"total": "viel"},
        {"limit": "0"},
        {"limit": "101"},
        {"language": "deu"},
        {"seller": "a\x00b"},
        {"engine": "\x00"},
    ):
        response = await client.get(SEARCH, params={"q": "Rechnung", **params})
        assert_problem(response, 400)
