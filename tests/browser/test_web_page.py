"""The web page in a real browser (Debian's headless Chromium, driven by Playwright): upload a real scan, watch
its pages finish, check the word boxes against the JSON result, download the searchable PDF; drop several files,
cancel from the list, an e-invoice without pages, and a phone-sized screen.

Screenshots of each step land in tests/.artifacts/browser/ (git-ignored; CI keeps them as artifacts)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import (
    EINVOICE,
    INVOICE,
    OCR_TIMEOUT_MS,
    PHOTOTEST,
    PHOTOTEST_PNG,
    PREFIX,
    new_page,
    row,
    scan_named,
    shot,
    upload,
)
from tests.browser.server import ENGINE, Served
from tests.images import load, multipage_tiff

pytestmark = pytest.mark.slow

# The boxes are placed in percent of the page; what is left is the browser's rounding to device pixels.
TOLERANCE_PX = 3.0
LONG_PAGES = 16
PHONE = "phone.png"


def test_upload_progress_viewer_and_pdf(browser: Browser, service: Served, tmp_path: Path) -> None:
    scan = tmp_path / "three-pages.tif"
    scan.write_bytes(multipage_tiff([load(PHOTOTEST), load(INVOICE), load(PHOTOTEST)]))
    context, page = new_page(browser)
    page.goto(service.base + "/")
    expect(page.locator("#app")).to_be_visible()
    shot(page, "01-start")

    # Every progress text the row shows, as it changes: the list is live, not only right at the end.
    page.evaluate(
        """() => { window.seen = []; new MutationObserver(() => {
             const count = document.querySelector('li.job .count');
             if (count && window.seen.at(-1) !== count.textContent) window.seen.push(count.textContent);
           }).observe(document.getElementById('jobs'), {subtree: true, childList: true, characterData: true}); }"""
    )
    page.get_by_label("Archive PDF").select_option("pdfa-3b")
    upload(page, [scan])
    job = row(page, "three-pages.tif")
    expect(job).to_have_count(1)
    expect(job.locator(".count")).to_have_text(re.compile(r"\d / 3 pages"))
    shot(page, "02-uploaded")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    expect(job.locator(".count")).to_have_text("3 / 3 pages")
    assert job.locator("progress").evaluate("p => [p.value, p.max]") == [3, 3]
    seen = page.evaluate("() => window.seen")
    done = [int(text.split(" / ")[0]) for text in seen]
    assert done == sorted(done) and done[-1] == 3, seen
    print(f"progress seen: {seen}")
    shot(page, "03-finished")

    job.get_by_role("button", name="Open result of three-pages.tif").click()
    figure = page.locator("#page")
    expect(figure).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(page.locator("#page-label")).to_have_text("Page 1 of 3")
    shot(page, "04-viewer")

    job_id = job.get_attribute("data-job")
    result = httpx.get(f"{service.base}{PREFIX}/jobs/{job_id}/result", params={"format": "json"}).json()
    assert_boxes_on_words(page, result["pages"][0])

    box = page.locator(".box").first
    box.hover()
    word = result["pages"][0]["blocks"][0]["lines"][0]["words"][0]
    expect(page.locator("#tip")).to_contain_text(word["text"])
    expect(page.locator("#tip")).to_contain_text(f"{round(100 * word['confidence'])} %")
    shot(page, "05-hover")

    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#page-label")).to_have_text("Page 2 of 3")
    expect(figure).to_have_attribute("data-ready", "true", timeout=30_000)
    assert_boxes_on_words(page, result["pages"][1])
    shot(page, "06-page-2")

    page.get_by_role("tab", name="JSON").click()
    expect(page.locator("#panel-json")).to_contain_text('"engine"')
    page.get_by_role("tab", name="Markdown").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Text")).to_have_attribute("aria-selected", "true")
    shot(page, "07-tabs")

    with page.expect_download() as pending:
        page.get_by_role("button", name="Download Searchable PDF").click()
    download = pending.value
    assert download.suggested_filename == "three-pages.pdf"
    pdf = Path(download.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    with pikepdf.open(pdf) as archive:  # the format chosen in the form
        assert archive.open_metadata()["pdfaid:part"] == "3" and len(archive.pages) == 3
    for name in ("hOCR", "ALTO XML", "JSON", "Text", "Markdown"):
        expect(page.get_by_role("button", name=f"Download {name}")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def assert_boxes_on_words(page: Page, result_page: dict[str, Any]) -> None:
    """Every word's box on screen is the JSON box scaled to the displayed image, within a few pixels."""
    words = [word for block in result_page["blocks"] for line in block["lines"] for word in line["words"]]
    assert words, "the page has no words to compare"
    image = page.locator("#page-image").bounding_box()
    assert image is not None and image["width"] > 0
    scale = image["width"] / result_page["width"]
    assert abs(image["height"] - result_page["height"] * scale) <= TOLERANCE_PX
    shown = page.locator(".box").evaluate_all(
        "boxes => boxes.map(b => { const r = b.getBoundingClientRect();"
        " return {bbox: b.dataset.bbox, word: b.dataset.word, x: r.left, y: r.top, w: r.width, h: r.height}; })"
    )
    origin = (image["x"], image["y"])
    assert len(shown) == len(words)
    for box, word in zip(shown, words, strict=True):
        x0, y0, x1, y1 = word["bbox"]
        assert box["word"] == word["text"]
        expected = (origin[0] + x0 * scale, origin[1] + y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale)
        got = (box["x"], box["y"], box["w"], box["h"])
        assert all(abs(a - b) <= TOLERANCE_PX for a, b in zip(got, expected, strict=True)), (word, got, expected)


def test_drop_several_files(browser: Browser, service: Served) -> None:
    """Two files dropped on the zone at once: the readable one becomes a job, the other says why not."""
    context, page = new_page(browser)
    page.goto(service.base + "/")
    transfer = page.evaluate_handle(
        """([png]) => {
             const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
             const transfer = new DataTransfer();
             transfer.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
             transfer.items.add(new File(["not an image"], "dropped-notes.png", {type: "image/png"}));
             return transfer;
           }""",
        [base64.b64encode(PHOTOTEST_PNG).decode()],
    )
    zone = page.locator("#drop-zone")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bover\b"))
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.locator("#chosen li")).to_have_text(["dropped.png", "dropped-notes.png"])
    shot(page, "09-dropped")
    page.get_by_label("Engine", exact=True).select_option(ENGINE)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(row(page, "dropped.png")).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    expect(row(page, "dropped-notes.png")).to_have_count(0)
    expect(page.locator("#upload-errors li")).to_have_text(re.compile("^dropped-notes.png: This file type"))
    context.close()


def test_cancel_from_the_list(browser: Browser, service: Served, tmp_path: Path) -> None:
    # Real pages, enough of them to be still running when the button is pressed. (fake-held would be surer, but
    # its gate is shared by the pytest workers: opening it here would release another test's held pages.)
    scan = tmp_path / "long.tif"
    scan.write_bytes(multipage_tiff([load(INVOICE)] * LONG_PAGES))
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [scan])
    job = row(page, "long.tif")
    expect(job).to_have_attribute("data-status", "running", timeout=60_000)
    shot(page, "10-running")
    job.get_by_role("button", name="Cancel long.tif").click()
    expect(job).to_have_attribute("data-status", "cancelled", timeout=30_000)
    expect(job.get_by_role("button", name="Cancel long.tif")).to_be_hidden()
    expect(page.locator("#notice")).to_have_text("long.tif cancelled.")
    done = int(job.locator("progress").evaluate("p => p.value"))
    assert done < LONG_PAGES
    shot(page, "11-cancelled")
    context.close()


def test_e_invoice_without_pages(browser: Browser, service: Served) -> None:
    """An XRechnung is read from its XML: no page image, but its text and JSON."""
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [EINVOICE], engine="auto")
    job = row(page, EINVOICE.name)
    expect(job).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    job.get_by_role("button", name=f"Open result of {EINVOICE.name}").click()
    expect(page.locator("#panel-json")).to_contain_text('"pages": []')
    expect(page.locator("#page")).to_be_hidden()
    expect(page.locator("#panel-text")).not_to_be_empty()
    expect(page.locator("#panel-text")).not_to_have_text("Loading …")
    with page.expect_download() as pending:
        page.get_by_role("button", name="Download JSON").click()
    assert pending.value.suggested_filename == "XRECHNUNG_Einfach.cii.json"
    assert page.errors == []  # type: ignore[attr-defined]
    # No searchable PDF of an XML: the 422 is said next to the buttons.
    page.get_by_role("button", name="Download Searchable PDF").click()
    expect(page.locator("#download-problem")).to_have_text(
        re.compile(r"^XRECHNUNG_Einfach\.cii\.pdf: Not possible with these options\. \(.*no searchable PDF.*\)$")
    )
    shot(page, "12-e-invoice")
    context.close()


def test_phone_has_no_horizontal_scrolling(browser: Browser, service: Served) -> None:
    context, page = new_page(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page.goto(service.base + "/")
    upload(page, [scan_named(PHONE)])
    job = row(page, PHONE)
    expect(job).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    job.get_by_role("button", name=re.compile("^Open result")).click()
    expect(page.locator("#page")).to_have_attribute("data-ready", "true", timeout=30_000)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    shot(page, "13-phone")
    context.close()
