"""Markdown: a paragraph per text block, headings for title blocks, list items and tables kept as lines."""

from __future__ import annotations

import re

from ablage.results.model import Block, BlockKind, Page

# Characters that would turn a recognised line into Markdown syntax at the start of a paragraph.
_LEADING_SYNTAX = re.compile(r"^(\s*)([#>*+=-]|\d+[.)](?=\s))")
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>|])")
# German suspended compounds ("Liefer- und Leistungsdatum") keep their hyphen across a line break.
_CONJUNCTIONS = ("und ", "oder ", "bzw", "sowie ", "bis ", "and ", "or ")


def _escape(text: str) -> str:
    text = _INLINE_SYNTAX.sub(r"\\\1", text)
    return _LEADING_SYNTAX.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines; undo end-of-line hyphenation only where the next line continues a word."""
    out = ""
    for line in lines:
        line = line.strip()
        if not out:
            out = line
        elif (
            out.endswith("-")
            and len(out) > 1
            and out[-2].isalpha()
            and line[:1].islower()
            and not line.startswith(_CONJUNCTIONS)
        ):
            out = out[:-1] + line
        else:
            out = f"{out} {line}"
    return out


def _cell(text: str) -> str:
    return _INLINE_SYNTAX.sub(r"\\\1", " ".join(text.split()))


def _table(rows: list[list[str]]) -> str:
    """A GFM table; the first row is the header, as in the documents this service reads."""
    width = max(len(row) for row in rows)
    padded = [[_cell(cell) for cell in row] + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(padded[0]) + " |", "|" + " --- |" * width]
    lines.extend("| " + " | ".join(row) + " |" for row in padded[1:])
    return "\n".join(lines)


def _block_markdown(block: Block) -> str:
    texts = [line.text for line in block.lines if line.text.strip()]
    if not texts:
        return ""
    if block.kind is BlockKind.title:
        return "## " + _escape(_join_lines(texts))
    if block.kind is BlockKind.list:
        return "\n".join("- " + _escape(text.lstrip("-•*· ").strip()) for text in texts)
    if block.kind is BlockKind.table and block.rows:
        return _table(block.rows)
    if block.kind is BlockKind.table:
        return "\n".join(_escape(text) + "  " for text in texts).rstrip()
    if block.kind is BlockKind.figure:
        return ""
    return _escape(_join_lines(texts))


def render_markdown(pages: list[Page]) -> str:
    parts: list[str] = []
    for index, page in enumerate(pages):
        if index:
            parts.append(f"<!-- page {page.number} -->")
        parts.extend(md for md in (_block_markdown(block) for block in page.blocks) if md)
    return "\n\n".join(parts) + "\n"
