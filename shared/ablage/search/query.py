"""The search box's query language: words (all must occur), ``"a phrase"`` (its words in this order) and
``prefix*`` (a word that starts so), as in a web search. A word written with punctuation inside (an invoice number,
a date, an address) is the phrase of its parts, as the index holds it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ablage.errors import BadRequest
from ablage.search.terms import stem, words

_PART = re.compile(r'"([^"]*)"|([^\s"]+)')
MAX_QUERY = 500


class InvalidQuery(BadRequest):
    pass


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    """Each one's stem must occur on the page."""
    phrases: tuple[tuple[str, ...], ...]
    """Stems that must occur one after the other."""
    prefixes: tuple[str, ...]
    """Stems of word beginnings."""
    raw_words: tuple[str, ...]
    """The words as typed, for the backends that stem them themselves."""
    raw_phrases: tuple[str, ...]
    raw_prefixes: tuple[str, ...]

    def stems(self) -> set[str]:
        return {*self.words, *(stem for phrase in self.phrases for stem in phrase)}


def parse_query(text: str) -> Query:
    if len(text) > MAX_QUERY:
        raise InvalidQuery(f"q: at most {MAX_QUERY} characters")
    found_words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    raw_phrases: list[str] = []
    prefixes: list[str] = []
    raw_prefixes: list[str] = []
    for match in _PART.finditer(text):
        phrase, bare = match.groups()
        if phrase is not None:
            parts = words(phrase)
            if len(parts) == 1:
                found_words.extend(parts)
            elif parts:
                phrases.append(tuple(stem(part) for part in parts))
                raw_phrases.append(" ".join(parts))
            continue
        assert bare is not None
        if bare.endswith("*") and words(bare):
            # A prefix is one word: what precedes its star.
            prefixes.append(stem(words(bare)[-1]))
            raw_prefixes.append(words(bare)[-1])
            found_words.extend(words(bare)[:-1])
        elif len(words(bare)) > 1:
            # RE-20140519/499, 19.05.2014, info@example.de: one thing written with punctuation, found as a phrase.
            phrases.append(tuple(stem(part) for part in words(bare)))
            raw_phrases.append(" ".join(words(bare)))
        else:
            found_words.extend(words(bare))
    count = len(found_words) + len(prefixes) + sum(len(phrase) for phrase in phrases)
    if count == 0:
        raise InvalidQuery("q: give at least one word to search for")
    unique = tuple(dict.fromkeys(found_words))
    return Query(
        words=tuple(dict.fromkeys(stem(word) for word in unique)),
        phrases=tuple(phrases),
        prefixes=tuple(dict.fromkeys(prefixes)),
        raw_words=unique,
        raw_phrases=tuple(raw_phrases),
        raw_prefixes=tuple(dict.fromkeys(raw_prefixes)),
    )
