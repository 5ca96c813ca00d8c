"""The page's search in a real browser: a born-digital invoice found by a German word's plural, its snippet with
the found words marked, the hit opened in the viewer on its page with those words' boxes, nothing found, an empty
and a refused query, the German labels, and a snippet that holds more than text and marks."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import EINVOICE, OCR_TIMEOUT_MS, new_page, row, shot, upload
from tests.browser.server import Served
from tests.conftest import DATA

pytestmark = pytest.mark.slow

EINFACH = DATA / "einvoices" / "EN16931_Einfach.pdf"
SEARCH = "/api/v1/documents/search"
TOLERANCE_PX = 3.0


def found(service: Served, q: str) -> list[dict[str, Any]]:
    """What the service answers the page's search, to hold the page's list against."""
    response = httpx.get(service.base + SEARCH, params={"q": q})
    assert response.status_code == 200, response.text
    hits: list[dict[str, Any]] = response.json()["hits"]
    return hits


def search(page: Page, q: str) -> None:
    box = page.locator("#search-q")
    box.fill(q)
    box.press("Enter")


def test_search_opens_the_hit_with_its_words_marked(browser: Browser, service: Served) -> None:
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [EINFACH])
    expect(row(page, EINFACH.name)).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)

    # One hit per page that holds the word, best first; the module's other tests may have filed more documents.
    expected = found(service, "Rechnungen")
    index, hit = next((i, each) for i, each in enumerate(expected) if each["document"]["filename"] == EINFACH.name)
    assert hit["boxes"], hit
    search(page, "Rechnungen")
    expect(page.locator("#search-status")).to_have_text(f"Hits for “Rechnungen”: {len(expected)}")
    item = page.locator("#hits li.hit")
    expect(item).to_have_count(len(expected))
    expect(item.locator(".hit-name")).to_have_text([each["document"]["filename"] for each in expected])
    expect(item.locator(".hit-page")).to_have_text([f"page {each['page']}" for each in expected])
    first = item.nth(index)
    expect(first.locator(".meta")).to_contain_text(f"Engine: {hit['engine']}")
    marked = first.locator(".snippet mark")
    expect(marked.first).to_be_visible()
    assert all("rechnung" in text.lower() for text in marked.all_text_contents()), marked.all_text_contents()
    # The snippet's text is the service's, and its only elements are the marks.
    snippet = first.locator(".snippet")
    assert snippet.evaluate("p => [...p.children].every(c => c.localName === 'mark')")
    assert snippet.text_content() == html.unescape(re.sub(r"</?mark>", "", hit["snippet"]))
    expect(page.locator("#more-hits")).to_be_hidden()
    shot(page, "20-search-hits")

    # From the keyboard: on from the box to the hit, Enter opens it.
    opener = f"Open {EINFACH.name} at page {hit['page']}"
    for _ in range(4 + len(expected)):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('aria-label')") == opener:
            break
    else:
        raise AssertionError(f"Tab did not reach {opener!r}")
    page.keyboard.press("Enter")
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#viewer-title")).to_have_text(EINFACH.name)
    expect(page.locator("#page")).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(page.locator("#page-label")).to_have_text(re.compile(f"^Page {hit['page']} of \\d+$"))
    expect(page.locator("#hit-key")).to_be_visible()
    expect(page.locator("#hit-count")).to_have_text(f"found words: {len(hit['boxes'])}")
    assert_marks_on_boxes(page, hit)
    shot(page, "21-search-hit-open")
    assert page.errors == []  # type: ignore[attr-defined]

    search(page, "Zahnarztpraxis")
    expect(page.locator("#search-status")).to_have_text("Nothing found for “Zahnarztpraxis”.")
    expect(page.locator("#hits li")).to_have_count(0)
    shot(page, "22-search-nothing")

    # An empty box, or one of signs alone, is said without asking the service.
    search(page, "   ")
    expect(page.locator("#search-problem")).to_have_text("Enter a word to search for.")
    expect(page.locator("#search-q")).to_be_focused()
    expect(page.locator("#search-status")).to_be_empty()
    search(page, "!!!")
    expect(page.locator("#search-problem")).to_have_text("Enter a word to search for.")
    # A total that is no amount is the service's 400, shown.
    page.locator("#search-total").evaluate("(box, value) => { box.value = value; }", "zwölf")
    search(page, "Rechnung")
    expect(page.locator("#search-problem")).to_contain_text("malformed")
    expect(page.locator("#hits li")).to_have_count(0)
    shot(page, "23-search-refused")
    context.close()


def assert_marks_on_boxes(page: Page, hit: dict[str, Any]) -> None:
    """One mark over each of the hit's boxes, scaled to the displayed image, within a few pixels."""
    marks = page.locator("#boxes .hit-box")
    expect(marks).to_have_count(len(hit["boxes"]))
    image = page.locator("#page-image").bounding_box()
    assert image is not None and image["width"] > 0
    scale = image["width"] / hit["page_width"]
    shown = marks.evaluate_all(
        "marks => marks.map(m => { const r = m.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })"
    )
    for (x0, y0, x1, y1), got in zip(hit["boxes"], shown, strict=True):
        expected = (image["x"] + x0 * scale, image["y"] + y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale)
        assert all(abs(a - b) <= TOLERANCE_PX for a, b in zip(got, expected, strict=True)), (got, expected)


def test_search_in_german(browser: Browser, service: Served) -> None:
    context, page = new_page(browser, "de-DE")
    page.goto(service.base + "/")
    upload(page, [EINFACH])
    expect(row(page, EINFACH.name)).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Dokumente durchsuchen")).to_be_visible()
    page.get_by_label("Suchen nach").fill("Lieferantenstrasse")
    page.get_by_role("button", name="Suchen", exact=True).click()
    expect(page.locator("#search-status")).to_have_text(re.compile("^Treffer für „Lieferantenstrasse“: [1-9]"))
    # ss finds ß.
    expect(page.locator("#hits .snippet mark").first).to_have_text(re.compile("Lieferantenstraße"))
    expect(page.locator("#hits .hit-open").first).to_have_attribute(
        "aria-label", re.compile(f"^{re.escape(EINFACH.name)} auf Seite \\d+ öffnen$")
    )
    # The list follows a change of language without searching again.
    page.get_by_label("Sprache", exact=True).select_option("en")
    expect(page.locator("#search-status")).to_have_text(re.compile("^Hits for “Lieferantenstrasse”: [1-9]"))
    expect(page.locator("#hits .hit-page").first).to_have_text(re.compile(r"^page \d+$"))
    page.get_by_label("Language", exact=True).select_option("de")
    search(page, "")
    expect(page.locator("#search-problem")).to_have_text("Bitte ein Wort zum Suchen eingeben.")
    shot(page, "24-search-deutsch")
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_filters_and_a_hit_without_page_images(browser: Browser, service: Served) -> None:
    """An XRechnung is found by its XML's text and seller; it opens on its text, with no page to mark words on."""
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [EINVOICE], engine="auto")
    expect(row(page, EINVOICE.name)).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    hits = page.locator("#hits li.hit")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Seller").fill("lieferant")
    page.get_by_label("Invoice total").fill("529,87")
    search(page, "Rechnung")
    expect(hits.filter(has_text=EINVOICE.name)).to_have_count(1)
    expect(hits.first.locator(".meta")).to_contain_text("Seller: Lieferant GmbH · Invoice total: 529.87")
    page.get_by_label("Seller").fill("Zahnarzt")
    search(page, "Rechnung")
    expect(page.locator("#search-status")).to_have_text("Nothing found for “Rechnung”.")
    page.get_by_label("Seller").fill("")
    page.get_by_label("Invoice total").fill("")
    search(page, "Rechnung")
    hits.filter(has_text=EINVOICE.name).get_by_role("button").click()
    expect(page.locator("#viewer-title")).to_have_text(EINVOICE.name)
    expect(page.locator("#panel-text")).to_contain_text("Rechnung")
    expect(page.locator("#page")).to_be_hidden()
    expect(page.locator("#hit-key")).to_be_hidden()
    shot(page, "25-search-filters-xml")
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_snippet_keeps_only_text_and_marks(browser: Browser, service: Served) -> None:
    context, page = new_page(browser)
    page.goto(service.base + "/")
    built = page.evaluate(
        """async () => {
             const { snippetNodes } = await import('/static/search.js');
             const p = document.createElement('p');
             p.append(...snippetNodes('a &lt;b&gt; &amp; <mark>R<b>e</b>chnung</mark> <i>kursiv</i>'
               + '<img src="/nothing" onerror="window.hacked = 1"><script>window.hacked = 2</script><!-- c -->'));
             return [p.innerHTML, window.hacked ?? null];
           }"""
    )
    assert built == ["a &lt;b&gt; &amp; <mark>Rechnung</mark> kursivwindow.hacked = 2", None]
    context.close()


def test_a_page_flagged_for_review_shows_in_the_job_list_and_the_hits(browser: Browser, service: Served) -> None:
    # A Fraktur line read with a broken word ("Gru d") and a hyphen's stub: 2 of its 8 words are doubtful.
    line = DATA / "documents" / "de_fraktur_line_andreas_fenitschka_1898_0033_026.tif"
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [line])
    job = row(page, line.name)
    expect(job).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    expect(job).to_have_attribute("data-flagged", "1")
    expect(job.locator(".meta")).to_contain_text("to check: page 1")
    search(page, "Heimat verehren")
    hit = page.locator("#hits li.hit").filter(has_text=line.name)
    expect(hit).to_have_attribute("data-flagged", "true")
    expect(hit.locator(".meta")).to_contain_text("to check:")
    shot(page, "26-flagged")
    context.close()
