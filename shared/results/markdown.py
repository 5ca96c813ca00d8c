"""Markdown: a paragraph per text block, headings for title blocks, list items and tables kept as lines."""

from __future__ import annotations

import re

from shared.results.model import Block, BlockKind, Page

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


def _block_markdown(block: Block) -> str:
    texts = [line.text for line in block.lines if line.text.strip()]
    if not texts:
        return ""
    if block.kind is BlockKind.title:
        return "## " + _escape(_join_lines(texts))
    if block.kind is BlockKind.list:
        return "\n".join("- " + _escape(text.lstrip("-•*· ").strip()) for text in texts)
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
