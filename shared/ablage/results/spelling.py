"""Modern spelling for historical print: what Fraktur models read as printed (long s, e above a vowel for the
umlaut, the double hyphen) written as a reader today searches for it. Each changed word keeps what was printed.
"""

from __future__ import annotations

import re
from enum import StrEnum

from ablage.results.model import Block, Line, Page, Word


class Spelling(StrEnum):
    printed = "printed"
    """As the engine read it: ſ, aͤ and ⸗ stay."""
    modern = "modern"
    """ſ→s, aͤ→ä, ⸗→-, ligatures split; each changed word keeps the printed form in ``printed``."""


_COMBINING_E = "\u0364"
_UMLAUTS = {"a": "ä", "o": "ö", "u": "ü", "A": "Ä", "O": "Ö", "U": "Ü"}
_CHARACTERS = str.maketrans(
    {
        "ſ": "s",
        "ꝛ": "r",  # r rotunda
        "⸗": "-",  # double oblique hyphen, Fraktur's hyphen
        "⹀": "-",
        "ﬀ": "ff",
        "ﬁ": "fi",
        "ﬂ": "fl",
        "ﬃ": "ffi",
        "ﬄ": "ffl",
        "ﬅ": "st",
        "ﬆ": "st",
    }
)
_E_ABOVE = re.compile(f"([aouAOU]){_COMBINING_E}")
# Tesseract's Fraktur models read the double hyphen at a line's end as "=" (a word break, never an equals sign
# in running Fraktur text).
_BREAK = re.compile(r"(?<=\w)=$")


def modern_word(text: str, *, line_end: bool = False) -> str:
    modern = _E_ABOVE.sub(lambda match: _UMLAUTS[match.group(1)], text).translate(_CHARACTERS)
    modern = modern.replace(_COMBINING_E, "")
    return _BREAK.sub("-", modern) if line_end else modern


def _line(line: Line, fraktur: bool) -> Line:
    if not line.words:
        return line.model_copy(update={"text": " ".join(modern_word(part) for part in line.text.split(" "))})
    last = len(line.words) - 1
    words: list[Word] = []
    for index, word in enumerate(line.words):
        modern = modern_word(word.text, line_end=fraktur and index == last)
        words.append(word if modern == word.text else word.model_copy(update={"text": modern, "printed": word.text}))
    return line.model_copy(update={"words": words, "text": " ".join(word.text for word in words)})


def modernise(page: Page, *, fraktur: bool) -> Page:
    """``fraktur``: the page was read as Fraktur, where a line-end "=" is the double hyphen."""
    blocks: list[Block] = []
    for block in page.blocks:
        rows = [[modern_word(cell) for cell in row] for row in block.rows] if block.rows is not None else None
        blocks.append(block.model_copy(update={"lines": [_line(line, fraktur) for line in block.lines], "rows": rows}))
    return page.model_copy(update={"blocks": blocks, "spelling": Spelling.modern.value})
