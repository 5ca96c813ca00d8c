"""The ``pages`` option: ``1-3,5`` → [1, 2, 3, 5].

Parsed into ranges first and bounded by MAX_PAGES, then expanded only against the document's real page count: a
short field like ``1-100000,100001-200000,…`` must not become millions of numbers before it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ablage.errors import BadRequest, InvalidOption

_RANGE = re.compile(r"^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?$")


@dataclass(frozen=True)
class PageRanges:
    ranges: tuple[tuple[int, int], ...]
    """Sorted, merged, inclusive ranges of 1-based pages."""

    @property
    def last(self) -> int:
        return self.ranges[-1][1]

    def pages(self) -> list[int]:
        return [page for first, last in self.ranges for page in range(first, last + 1)]


def parse_pages(spec: str | None, max_pages: int) -> PageRanges | None:
    """None means every page. A page beyond ``max_pages`` (MAX_PAGES) can be in no accepted document: 422."""
    if spec is None or not spec.strip():
        return None
    parts = spec.split(",")
    if len(parts) > max_pages:
        raise BadRequest(f"pages: {len(parts)} ranges, more than MAX_PAGES ({max_pages}) pages")
    ranges: list[tuple[int, int]] = []
    for part in parts:
        match = _RANGE.match(part)
        if not match:
            raise BadRequest(f"pages: {part.strip()[:40]!r} is not a page number or range like 1-3")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first:
            raise BadRequest(f"pages: {part.strip()!r} is not an ascending range of 1-based pages")
        if last > max_pages:
            raise InvalidOption(f"pages: page {last} is beyond MAX_PAGES ({max_pages}); no document has it here")
        ranges.append((first, last))
    ranges.sort()
    merged = [ranges[0]]
    for first, last in ranges[1:]:
        if first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return PageRanges(tuple(merged))


def select_pages(requested: PageRanges | None, page_count: int) -> list[int]:
    if requested is None:
        return list(range(1, page_count + 1))
    if requested.last > page_count:
        beyond = next(max(first, page_count + 1) for first, last in requested.ranges if last > page_count)
        raise InvalidOption(f"pages: page {beyond} was requested but the document has {page_count} page(s)")
    return requested.pages()
