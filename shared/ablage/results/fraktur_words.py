"""Fraktur misreadings corrected with the German word list.

Tesseract's Fraktur models confuse letters that Fraktur type draws almost alike: the long s with f (``ift`` for
``iſt``) and, more rarely, with j; the ch ligature with ``<`` (``dur<``); the tz ligature with ß or y (``Nußens``,
``Gesey``); and the double hyphen at a line's end with an s (``Unmüns`` / ``digkeit``). A word the list does not
know is tried with these letters swapped back, fewest changes first, and takes the first form the list knows (in
modern spelling: ``iſt`` is known as ``ist``). A word the list knows is never changed, so ``auf`` stays even where
``aus`` was printed: the list cannot tell those apart.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from ablage.lexicon import Lexicon
from ablage.results.model import Block, Line, Page
from ablage.results.spelling import modern_word

# What each misread character may stand for, in the order tried.
_CONFUSIONS: dict[str, tuple[str, ...]] = {
    "f": ("ſ",),
    "j": ("ſ",),
    "<": ("ch", "h", "c"),
    "ß": ("tz",),
    "y": ("tz",),
}
# More confusable characters than this in one word is not a word misread but noise; trying every combination
# would cost more than it could repair.
_MAX_PLACES = 6
_PUNCTUATION = frozenset(".,;:!?\"'()[]{}»«„“”‚‘’…*/—–-=⸗")
_HYPHENS = frozenset("-=⸗¬")


def _split(text: str) -> tuple[str, str, str]:
    start, end = 0, len(text)
    while start < end and text[start] in _PUNCTUATION:
        start += 1
    while end > start and text[end - 1] in _PUNCTUATION:
        end -= 1
    return text[:start], text[start:end], text[end:]


def _known(lexicon: Lexicon, core: str) -> bool:
    return lexicon.knows(modern_word(core))


def _variants(core: str) -> Iterator[str]:
    places = [index for index, char in enumerate(core) if char in _CONFUSIONS]
    if not places or len(places) > _MAX_PLACES:
        return
    options = [(core[index], *_CONFUSIONS[core[index]]) for index in places]
    combinations = sorted(
        itertools.product(*options), key=lambda chosen: sum(a != b for a, b in zip(chosen, options, strict=True))
    )
    for chosen in combinations[1:]:
        chars = list(core)
        for index, replacement in zip(places, chosen, strict=True):
            chars[index] = replacement
        yield "".join(chars)


def correct_word(text: str, lexicon: Lexicon) -> str:
    """The word with its misread letters put right where that makes a known word; else as it was."""
    lead, core, trail = _split(text)
    if not core or any(char.isdigit() for char in core) or _known(lexicon, core):
        return text
    for variant in _variants(core):
        if _known(lexicon, variant):
            return lead + variant + trail
    return text


def _hyphen_read_as_letter(word: str, following: str, lexicon: Lexicon) -> str | None:
    """A line's last word whose final letter is the double hyphen misread, when the word it breaks is known
    with the next line's first word: ``Unmüns`` + ``digkeit`` is ``Unmün⸗``."""
    lead, core, trail = _split(word)
    _, next_core, _ = _split(following)
    if trail or len(core) < 3 or not next_core[:1].islower() or _known(lexicon, core):
        return None
    if _known(lexicon, core[:-1] + next_core):
        return lead + core[:-1] + "⸗"
    return None


def _with_words(line: Line, texts: list[str]) -> tuple[Line, int]:
    changed = sum(a != b.text for a, b in zip(texts, line.words, strict=True))
    if not changed:
        return line, 0
    words = [
        word if word.text == text else word.model_copy(update={"text": text})
        for word, text in zip(line.words, texts, strict=True)
    ]
    return line.model_copy(update={"words": words, "text": " ".join(word.text for word in words)}), changed


def correct_fraktur(page: Page, lexicon: Lexicon) -> tuple[Page, int]:
    """The page read as Fraktur with its misreadings corrected, and how many words were."""
    lines = [line for block in page.blocks for line in block.lines if line.words]
    texts = {id(line): [word.text for word in line.words] for line in lines}
    for line, following in itertools.zip_longest(lines, lines[1:]):
        words = texts[id(line)]
        if following is not None and words[-1][-1:] not in _HYPHENS:
            fixed = _hyphen_read_as_letter(words[-1], texts[id(following)][0], lexicon)
            if fixed is not None:
                words[-1] = fixed
    breaks = set()
    for line, following in itertools.pairwise(lines):
        if texts[id(line)][-1][-1:] in _HYPHENS:
            # The two parts of a broken word are not words of their own: the list would mistake them.
            breaks.update({(id(line), len(texts[id(line)]) - 1), (id(following), 0)})
    for line in lines:
        words = texts[id(line)]
        for index, text in enumerate(words):
            if (id(line), index) not in breaks:
                words[index] = correct_word(text, lexicon)
    total = 0
    blocks: list[Block] = []
    for block in page.blocks:
        new_lines = []
        for line in block.lines:
            if line.words:
                line, changed = _with_words(line, texts[id(line)])
                total += changed
            new_lines.append(line)
        blocks.append(block.model_copy(update={"lines": new_lines}))
    return page.model_copy(update={"blocks": blocks}), total
