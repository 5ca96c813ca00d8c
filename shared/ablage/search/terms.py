"""Words as the index holds them: lower case, stemmed by the German Snowball stemmer, which also folds ß to ss and
ä, ö, ü to a, o, u (``Rechnungen`` and ``Rechnung`` are ``rechnung``, ``Straße`` and ``Strasse`` are ``strass``).
PostgreSQL's ``german`` configuration uses the same stemmer, so both backends find the same words."""

from __future__ import annotations

import re
from functools import cache

import snowballstemmer

# Letters and digits: an underscore is no part of a word here, as in PostgreSQL's parser.
_WORD = re.compile(r"[^\W_]+")


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("german")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.lower()))


def words(text: str) -> list[str]:
    """The text's words in order, as a tokenizer that splits at everything but letters and digits sees them."""
    return _WORD.findall(text)


def stems(text: str) -> list[str]:
    return [stem(word) for word in words(text)]
