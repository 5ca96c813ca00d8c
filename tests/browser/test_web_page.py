"""The web page in a real browser (Debian's headless Chromium, driven by Playwright): upload a real scan,
watch its pages finish, check the word boxes against the JSON result, download the searchable PDF, read a
problem in German and English, sign in with a key, reach everything with the keyboard, and fit a phone.

Screenshots of each step land in tests/.artifacts/browser/ (git-ignored; CI keeps them as artifacts)."""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backends import unavailable
from tests.browser.conftest import ARTIFACTS
from tests.browser.server import ENGINE, Served, served
from tests.conftest import DOCUMENTS
from tests.images import encode, load, multipage_tiff

pytestmark = pytest.mark.slow

PREFIX = "/api/v1/cpu"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
EINVOICE = DOCUMENTS.parent / "einvoices" / "XRECHNUNG_Einfach.cii.xml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The boxes are placed in percent of the page; what is left is the browser's rounding to device pixels.
TOLERANCE_PX = 3.0
OCR_TIMEOUT_MS = 240_000
SMALL_LIMIT = 1024 * 1024
PHOTOTEST_PNG = encode(load(PHOTOTEST), "PNG")
LONG_PAGES = 16
# Names of the tests' own: they share the open service, and any order of them must find its own row.
KEYBOARD = "keyboard.png"
PHONE = "phone.png"

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        unavailable("playwright is not installed (the dev extra has it)")
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
    print(f"browser screenshots in {ARTIFACTS}")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Open to local callers: no key exists."""
    with served(tmp_path_factory.mktemp("web-open") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def small_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Takes uploads up to 1 MiB."""
    with served(tmp_path_factory.mktemp("web-small") / "data", max_upload_size=SMALL_LIMIT) as running:
        yield running


@pytest.fixture(scope="module")
def keyed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str, str]]:
    with served(tmp_path_factory.mktemp("web-keyed") / "data") as running:
        key, token = running.state.auth.keys.create("tenant-a")
        yield running, key.id, token


def new_page(browser: Browser, locale: str = "en-US", **options: Any) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale=locale, accept_downloads=True, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(f"{message.text} {message.location}") if message.type == "error" else None,
    )
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def upload(page: Page, files: list[dict[str, Any]] | list[Path], engine: str = ENGINE) -> None:
    page.get_by_label(re.compile(r"^(Documents|Dokumente) \(")).set_input_files(files)  # type: ignore[arg-type]
    page.get_by_label("Engine", exact=True).select_option(engine)
    page.locator("#upload").click()


def scan_named(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/png", "buffer": PHOTOTEST_PNG}


def row(page: Page, filename: str) -> Any:
    return page.locator("li.job", has=page.locator(".job-name", has_text=re.compile(f"^{re.escape(filename)}$")))


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


def test_keyboard_reaches_upload_and_job_actions(browser: Browser, service: Served) -> None:
    context, page = new_page(browser)
    page.goto(service.base + "/")
    upload(page, [scan_named(KEYBOARD)])
    job = row(page, KEYBOARD)
    expect(job).to_have_attribute("data-status", "succeeded", timeout=OCR_TIMEOUT_MS)
    page.reload()
    expect(job).to_have_count(1)  # the list comes from the service, not from the tab

    labelled = {
        "files": page.get_by_label(re.compile(r"^Documents \(")),
        "languages": page.get_by_label("Languages"),
        "engine": page.get_by_label("Engine", exact=True),
        "pages": page.get_by_label("Pages", exact=True),
        "force-ocr": page.get_by_label(re.compile("^Force OCR")),
    }
    for element_id, locator in labelled.items():
        assert locator.get_attribute("id") == element_id
    wanted = {
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
