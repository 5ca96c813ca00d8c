"""The ``pages`` option: ``1-3,5`` → [1, 2, 3, 5]."""

from __future__ import annotations

import re

from ablage.errors import BadRequest, InvalidOption

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_pages(spec: str | None) -> list[int] | None:
    """None means every page; numbers are 1-based and returned sorted and unique."""
    if spec is None or not spec.strip():
        return None
    pages: set[int] = set()
    for part in spec.split(","):
        match = _RANGE.match(part)
        if not match:
            raise BadRequest(f"pages: {part.strip()!r} is not a page number or range like 1-3")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first:
            raise BadRequest(f"pages: {part.strip()!r} is not an ascending range of 1-based pages")
        if last - first > 100_000:
            raise BadRequest(f"pages: {part.strip()!r} is too long a range")
        pages.update(range(first, last + 1))
    return sorted(pages)


def select_pages(requested: list[int] | None, page_count: int) -> list[int]:
    if requested is None:
        return list(range(1, page_count + 1))
    beyond = [p for p in requested if p > page_count]
    if beyond:
        raise InvalidOption(f"pages: page {beyond[0]} was requested but the document has {page_count} page(s)")
    return requested
