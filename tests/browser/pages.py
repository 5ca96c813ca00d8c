"""What the browser tests share: the documents they upload, and the steps of driving the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page

from tests.browser.conftest import ARTIFACTS
from tests.browser.server import ENGINE
from tests.conftest import DOCUMENTS
from tests.images import encode, load

PREFIX = "/api/v1/cpu"
PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"
INVOICE = DOCUMENTS / "de_invoice_ferd_einfach.png"
EINVOICE = DOCUMENTS.parent / "einvoices" / "XRECHNUNG_Einfach.cii.xml"
PHOTOTEST_PNG = encode(load(PHOTOTEST), "PNG")
OCR_TIMEOUT_MS = 240_000


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


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


def row(page: Page, filename: str) -> Locator:
    return page.locator("li.job", has=page.locator(".job-name", has_text=re.compile(f"^{re.escape(filename)}$")))
