"""The web page's problems, sign-in and accessibility in a real browser: a bad file's message in German and
English, the catalogue's sentences, a key asked for and revoked, the keyboard, labels, and the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SMALL_LIMIT
from tests.browser.pages import OCR_TIMEOUT_MS, PHOTOTEST, new_page, row, scan_named, shot, upload
from tests.browser.server import Served

pytestmark = pytest.mark.slow

# A name of this test's own: the tests share the open service, and any order of them must find its own row.
KEYBOARD = "keyboard.png"


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("de-DE", "Dieses Dateiformat wird nicht unterstützt"),
        ("en-US", "This file type is not supported"),
    ],
)
def test_bad_file_shows_its_problem(browser: Browser, service: Served, locale: str, message: str) -> None:
    context, page = new_page(browser, locale)
    page.goto(service.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
    bad = {"name": "notes.png", "mimeType": "image/png", "buffer": b"just some text, not an image\n" * 20}
    upload(page, [bad], engine="auto")
    problem = page.locator("#upload-errors li")
    expect(problem).to_have_text(re.compile(f"^notes.png: {message}"))
    assert problem.get_attribute("data-problem") == "/problems/unsupported-media-type"
    shot(page, f"08-bad-file-{locale}")
    context.close()


@pytest.mark.parametrize(
    ("locale", "message"),
    [("de-DE", "Die Datei ist für diesen Dienst zu groß"), ("en-US", "The file is too large for this service")],
)
def test_too_large_file_shows_its_problem(browser: Browser, small_service: Served, locale: str, message: str) -> None:
    context, page = new_page(browser, locale)
    page.goto(small_service.base + "/")
    big = {"name": "big.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * SMALL_LIMIT)}
    upload(page, [big], engine="auto")
    problem = page.locator("#upload-errors li")
    expect(problem).to_have_text(re.compile(f"^big.png: {message}"))
    assert problem.get_attribute("data-problem") == "/problems/document-too-large"
    shot(page, f"08-too-large-{locale}")
    context.close()


def test_keyboard_reaches_upload_and_job_actions(browser: Browser, service: Served) -> None:
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [scan_named(KEYBOARD)])
    job = row(page, KEYBOARD)
    expect(job).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    page.reload()
    expect(job).to_have_count(1)  # the list comes from the service, not from the tab

    labelled = {
        "search-q": page.get_by_label("Search for"),
        "files": page.get_by_label(re.compile(r"^Documents \(")),
        "languages": page.get_by_label("Languages"),
        "engine": page.get_by_label("Engine", exact=True),
        "pages": page.get_by_label("Pages", exact=True),
        "force-ocr": page.get_by_label(re.compile("^Force OCR")),
        "script": page.get_by_label("Script", exact=True),
        "spelling": page.get_by_label("Spelling", exact=True),
        "pdf-output": page.get_by_label("Archive PDF"),
    }
    for element_id, locator in labelled.items():
        assert locator.get_attribute("id") == element_id
    wanted = {
        "search-q",
        "search-go",
        "files",
        "upload",
        f"Open result of {KEYBOARD}",
        f"Delete {KEYBOARD}",
    }
    reached: list[str] = []
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate("() => document.activeElement.getAttribute('aria-label') || document.activeElement.id")
        )
    assert wanted <= set(reached), reached
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, input, select, [role="tab"]')]
             .filter(e => e.offsetParent !== null)
             .filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()))
             .map(e => e.outerHTML)"""
    )
    assert unnamed == [], unnamed
    shot(page, "09-keyboard")

    # Delete from the keyboard: focus on the button, Enter.
    page.get_by_role("button", name=f"Delete {KEYBOARD}").focus()
    page.keyboard.press("Enter")
    expect(job).to_have_count(0)
    expect(page.locator("#notice")).to_have_text(f"{KEYBOARD} deleted.")
    context.close()


def test_sign_in_with_a_key(browser: Browser, keyed_service: tuple[Served, str, str]) -> None:
    service, key_id, token = keyed_service
    context, page = new_page(browser)
    page.goto(service.base + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    page.get_by_label("API key").fill("abl_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_have_text("This key was not accepted.")
    shot(page, "14-sign-in-refused")

    page.get_by_label("API key").fill(token)
    page.get_by_label("API key").press("Enter")
    expect(page.locator("#app")).to_be_visible()
    assert token not in page.url
    assert page.evaluate("() => sessionStorage.getItem('ablage.key')") == token
    assert page.evaluate("() => Object.keys(localStorage).some(k => localStorage[k].includes('abl'))") is False
    upload(page, [PHOTOTEST])
    expect(row(page, PHOTOTEST.name)).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    page.reload()
    expect(row(page, PHOTOTEST.name)).to_have_count(1)
    shot(page, "15-signed-in")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('ablage.key')") is None

    # A key revoked while the page is open: the next call's 401 brings the form back.
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(row(page, PHOTOTEST.name)).to_have_count(1)
    assert service.state.auth.keys.revoke(key_id) is not None
    row(page, PHOTOTEST.name).get_by_role("button", name=f"Delete {PHOTOTEST.name}").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#sign-in-error")).to_have_text("This key was not accepted.")
    expect(page.locator("#app")).to_be_hidden()
    shot(page, "16-key-revoked")
    context.close()


def test_language_switch(browser: Browser, service: Served) -> None:
    context, page = new_page(browser, "en-US")
    page.goto(service.base + "/")
    expect(page.get_by_role("heading", name="Upload documents")).to_be_visible()
    page.get_by_label("Language", exact=True).select_option("de")
    expect(page.get_by_role("heading", name="Dokumente hochladen")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_label("Sprachen", exact=True)).to_be_visible()
    page.reload()  # the choice outlasts the browser's Accept-Language
    expect(page.get_by_role("heading", name="Dokumente hochladen")).to_be_visible()
    shot(page, "17-deutsch")
    context.close()


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "de-DE",
            [
                "Zu viele Anfragen auf einmal. Bitte in 7 s erneut versuchen.",
                "Das Seitenkontingent dieses Kontos ist aufgebraucht. Bitte in 3600 s erneut versuchen.",
                "Die Datei ist für diesen Dienst zu groß.",
                "Mit diesen Optionen nicht möglich. (pages: page 9 was requested but the document has 2 page(s))",
                "Something new: it has its own words",
            ],
        ),
        (
            "en-US",
            [
                "Too many requests at once. Try again in 7 s.",
                "The page quota of this account is used up. Try again in 3600 s.",
                "The file is too large for this service.",
                "Not possible with these options. (pages: page 9 was requested but the document has 2 page(s))",
                "Something new: it has its own words",
            ],
        ),
    ],
)
def test_problem_messages(browser: Browser, service: Served, locale: str, expected: list[str]) -> None:
    """The catalogue's sentences (with Retry-After), and a problem it does not know in the problem's own words."""
    context, page = new_page(browser, locale)
    page.goto(service.base + "/")
    messages = page.evaluate(
        """async () => {
             const { problemMessage } = await import('/static/i18n.js');
             return [
               problemMessage({type: '/problems/rate-limited', status: 429, title: 'Too Many Requests'}, '7'),
               problemMessage({type: '/problems/quota-exceeded', status: 429}, '3600'),
               problemMessage({type: '/problems/document-too-large', status: 413}),
               problemMessage({type: '/problems/invalid-option', status: 422,
                               detail: 'pages: page 9 was requested but the document has 2 page(s)'}),
               problemMessage({type: '/problems/brand-new', status: 422, title: 'Something new',
                               detail: 'it has its own words'}),
             ];
           }"""
    )
    assert messages == expected
    context.close()
