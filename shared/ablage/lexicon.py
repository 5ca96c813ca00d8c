"""Word lists of the languages the service reads, from the system's dictionaries (Debian's ``wngerman`` and
``wamerican``: one word per line, inflected forms included). They tell a word from a misreading; where a list is
not installed, nothing is checked against it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WORD_LISTS = {
    "de": (Path("/usr/share/dict/ngerman"), Path("/usr/share/dict/ogerman")),
    "en": (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english")),
}
"""Per language, the first of these files that exists is its word list."""


@dataclass(frozen=True)
class Lexicon:
    words: frozenset[str]

    def knows(self, word: str) -> bool:
        """As written, or with its first letter in the other case: a sentence starts with a capital, and a
        list writes a noun with one."""
        if not word:
            return False
        return word in self.words or word.lower() in self.words or (word[0].upper() + word[1:]) in self.words


@cache
def lexicon(language: str) -> Lexicon | None:
    """The language's word list, read once per process (about 0.2 s and 30 MB for German); None where it is
    not installed."""
    path = next((path for path in WORD_LISTS.get(language, ()) if path.is_file()), None)
    if path is None:
        return None
    with path.open(encoding="utf-8", errors="replace") as lines:
        return Lexicon(frozenset(line.strip() for line in lines if line.strip()))


def lexicons(languages: Sequence[str]) -> list[Lexicon]:
    """The word lists installed of these languages."""
    return [words for words in (lexicon(code) for code in languages) if words is not None]
