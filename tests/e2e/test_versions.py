"""A document's versions on both backends: the stored original read again with other options is a new version
(never the old result); earlier versions stay readable; one is current and searched; two compare by text and
per-page confidence; deleting the document removes every version, its search entries and the original."""

from __future__ import annotations

import httpx
import pytest

from tests.apps import RunningApp
from tests.conftest import DATA, DOCUMENTS
from tests.e2e.test_bad_input import assert_problem
from tests.jobs import run_job, wait_for

pytestmark = pytest.mark.anyio

EINFACH = DATA / "einvoices" / "EN16931_Einfach.pdf"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
DOCUMENTS_API = "/api/v1/documents"


async def _new_version(client: httpx.AsyncClient, sha256: str, **options: object) -> dict:
    response = await client.post(f"{DOCUMENTS_API}/{sha256}/versions", json=options)
    assert response.status_code == 202, response.text
    return await wait_for(client, response.headers["location"])


async def _searched(client: httpx.AsyncClient, q: str) -> set[str]:
    response = await client.get(f"{DOCUMENTS_API}/search", params={"q": q})
    assert response.status_code == 200, response.text
    return {hit["job_id"] for hit in response.json()["hits"]}


async def test_versions_are_read_listed_compared_chosen_and_deleted(client: httpx.AsyncClient) -> None:
    first = await run_job(client, EINFACH, filename="einfach.pdf")
    sha256 = first["document"]["sha256"]
    # Read again with OCR instead of the text layer: a new job, not the earlier result.
    second = await _new_version(client, sha256, force_ocr=True)
    assert second["status"] == "succeeded" and second["id"] != first["id"] and second["force_ocr"] is True
    assert second["reused_result_of"] is None and second["document"]["filename"] == "einfach.pdf"
    # The same options again are read again too: a re-read is asked for, so it is done.
    third = await _new_version(client, sha256, force_ocr=True)
    assert third["reused_result_of"] is None and third["id"] != second["id"]

    listed = (await client.get(f"{DOCUMENTS_API}/{sha256}/versions")).json()
    versions = [version["job"]["id"] for version in listed["versions"]]
    assert versions == [third["id"], second["id"], first["id"]]
    assert [version["current"] for version in listed["versions"]] == [True, False, False]
    assert all(version["pages"] and 0 <= version["pages"][0]["confidence"] <= 1 for version in listed["versions"])

    # Every version stays readable; the current one is searched.
    for job in (first, second, third):
        assert (await client.get(job["links"]["result"], params={"format": "text"})).status_code == 200
    assert await _searched(client, "Prüfsumme") == {third["id"]}
    assert await _searched(client, "Lieferant") == set()

    compared = (
        await client.get(f"{DOCUMENTS_API}/{sha256}/versions/compare", params={"a": first["id"], "b": third["id"]})
    ).json()
    assert 0 <= compared["similarity"] < 1 and compared["diff"][0].startswith("---")
    assert any(line.startswith("+Seite 1 Prüfsumme") for line in compared["diff"])
    assert compared["pages"][0]["number"] == 1 and compared["pages"][0]["confidence_b"] is not None

    # The first version made current: the search finds its words again, and not the others'.
    made = await client.put(f"{DOCUMENTS_API}/{sha256}/versions/{first['id']}/current")
    assert made.status_code == 204, made.text
    assert await _searched(client, "Lieferant") == {first["id"]}
    assert await _searched(client, "Prüfsumme") == set()

    # Deleting one version keeps the others; deleting the document removes them all and the original.
    assert (await client.delete(second["links"]["self"])).status_code == 204
    remaining = (await client.get(f"{DOCUMENTS_API}/{sha256}/versions")).json()["versions"]
    assert [version["job"]["id"] for version in remaining] == [third["id"], first["id"]]
    assert (await client.delete(f"{DOCUMENTS_API}/{sha256}")).status_code == 204
    assert_problem(await client.get(f"{DOCUMENTS_API}/{sha256}/versions"), 404, "/problems/document-not-found")
    for job in (first, third):
        assert (await client.get(job["links"]["self"])).status_code == 404
    assert await _searched(client, "Lieferant") == set()
    again = await run_job(client, EINFACH, filename="einfach.pdf")
    assert again["reused_result_of"] is None  # the original was stored anew: nothing of the old one remained


async def test_another_tenants_document_and_bad_requests(contract_app: RunningApp) -> None:
    _, token_a = contract_app.state.auth.keys.create("tenant-a")
    _, token_b = contract_app.state.auth.keys.create("tenant-b")
    async with contract_app.client(token_a) as a, contract_app.client(token_b) as b:
        job = await run_job(a, EINFACH, filename="einfach.pdf")
        sha256 = job["document"]["sha256"]
        versions = f"{DOCUMENTS_API}/{sha256}/versions"
        for response in (
            await b.get(versions),
            await b.post(versions, json={}),
            await b.delete(f"{DOCUMENTS_API}/{sha256}"),
            await b.put(f"{versions}/{job['id']}/current"),
        ):
            assert_problem(response, 404, "/problems/document-not-found")
        assert_problem(await a.get(f"{DOCUMENTS_API}/{'0' * 64}/versions"), 404, "/problems/document-not-found")
        assert_problem(await a.get(f"{DOCUMENTS_API}/not-a-hash/versions"), 404, "/problems/document-not-found")
        assert_problem(await a.get(f"{DOCUMENTS_API}/{'0' * 63}%00/versions"), 404, "/problems/document-not-found")
        compare = f"{versions}/compare"
        assert_problem(await a.get(compare, params={"a": job["id"], "b": "x\x00"}), 404, "/problems/job-not-found")
        assert_problem(await a.post(versions, json={"colour": "blue"}), 400)
        assert_problem(await a.post(versions, json={"script": "gothic"}), 400)
        assert_problem(await a.post(versions, json={"service": "nowhere"}), 422, "/problems/invalid-option")
        assert_problem(await a.post(versions, json={"engine": "no-such-engine"}), 422)
        # Nothing of that was a new version.
        assert len((await a.get(versions)).json()["versions"]) == 1


async def test_a_scan_read_again_with_another_engine_and_language(
    ocr_client: httpx.AsyncClient, auto_engine: str
) -> None:
    first = await run_job(ocr_client, PHOTOTEST, filename="phototest.tif", engine="tesseract", languages="en")
    assert first["status"] == "succeeded"
    sha256 = first["document"]["sha256"]
    second = await _new_version(ocr_client, sha256, engine=auto_engine, languages="de")
    assert (second["status"], second["engine"], second["languages"]) == ("succeeded", auto_engine, ["de"])
    texts = [(await ocr_client.get(job["links"]["result"], params={"format": "text"})).text for job in (first, second)]
    assert all("quick brown" in text for text in texts)
    assert await _searched(ocr_client, '"quick brown"') == {second["id"]}
