"""Plain text in reading order: lines by newline, blocks by a blank line, pages by a form feed."""

from __future__ import annotations

from ablage.results.model import Page


def page_text(page: Page) -> str:
    return "\n\n".join("\n".join(line.text for line in block.lines) for block in page.blocks if block.lines)


def render_text(pages: list[Page]) -> str:
    return "\f".join(page_text(page) for page in pages) + "\n"
