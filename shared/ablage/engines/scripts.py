"""The scripts a page can be read as, and the models that read German Fraktur."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from ablage.tessdata import FRAKTUR_MODELS, has_fraktur

FRAKTUR_ENGINE = "tesseract"
"""The engine with Fraktur models (Tesseract's ``frk`` and ``Fraktur``); the others read Latin script only."""


class Script(StrEnum):
    auto = "auto"
    """Each page's script is detected: German pages in Fraktur are read with the Fraktur models."""
    latin = "latin"
    fraktur = "fraktur"


def reads_fraktur(languages: Sequence[str]) -> bool:
    """Fraktur is German print: detection is worth its cost only when German is asked for."""
    return "de" in languages


def fraktur_languages() -> tuple[str, ...]:
    """The models a Fraktur page is read with, in Tesseract's order of preference: the Fraktur language model,
    the Fraktur script model, and the modern German model for the Antiqua words set among the Fraktur."""
    return (*FRAKTUR_MODELS, "de")


def fraktur_installed() -> bool:
    return has_fraktur()
