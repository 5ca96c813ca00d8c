"""ISO 639-1 codes as clients send them, and the ISO 639-2 names engines' models use."""

from __future__ import annotations

ISO_639_2 = {
    "de": "deu",
    "en": "eng",
    "fr": "fra",
    "it": "ita",
    "es": "spa",
    "nl": "nld",
    "pl": "pol",
    "pt": "por",
    "da": "dan",
    "sv": "swe",
    "no": "nor",
    "fi": "fin",
    "cs": "ces",
    "tr": "tur",
}
ISO_639_1 = {three: two for two, three in ISO_639_2.items()}
