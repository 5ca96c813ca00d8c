"""An uploaded ZUGFeRD / Factur-X PDF's invoice comes back in the result JSON, read from its XML, on both
backends; a scan without XML has none."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from ablage.invoices.embedded import embedded_invoice

from tests.conftest import DOCUMENTS
from tests.jobs import run_job

pytestmark = pytest.mark.anyio

EINVOICES = Path(__file__).parents[1] / "data" / "einvoices"


async def test_the_embedded_invoice_is_in_the_result(client: httpx.AsyncClient) -> None:
    source = EINVOICES / "EN16931_Rabatte.pdf"
    job = await run_job(client, source, filename="rechnung.pdf")
    assert job["status"] == "succeeded", job
    invoice = (await client.get(job["links"]["result"])).json()["invoice"]
    expected = embedded_invoice(source)
    assert expected is not None
    assert invoice == expected.invoice.model_dump(mode="json")
    assert (invoice["number"], invoice["syntax"], invoice["source"], invoice["valid"]) == ("471102", "CII", "xml", True)
    assert Decimal(invoice["totals"]["payable"]) == Decimal("165.07")
    assert [line["rate"] for line in invoice["tax_breakdown"]] == ["7.00", "19.00"]


async def test_a_scan_has_no_invoice(client: httpx.AsyncClient) -> None:
    job = await run_job(client, DOCUMENTS / "de_invoice_ferd_einfach.png")
    assert (await client.get(job["links"]["result"])).json()["invoice"] is None
