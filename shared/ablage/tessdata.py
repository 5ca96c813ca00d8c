"""Where Tesseract's traineddata files are, for the OCR engines and for page orientation (OSD) alike.

The language models come from the tessdata-* wheels; models the wheels do not offer, such as German Fraktur
(``frk``, ``Fraktur``), come from the system's Tesseract packages (Debian's ``tesseract-ocr-frk`` and
``tesseract-ocr-script-frak``). Tesseract reads one folder per API, so when both hold models they are joined
in a folder of links, the wheels' models winning where a name is in both.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import tessdata

SYSTEM_DIRS = (
    Path("/usr/share/tesseract-ocr/5/tessdata"),  # Debian 12
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),  # Ubuntu 22.04, the GPU image's base
    Path("/usr/share/tessdata"),
)
FRAKTUR_MODELS = ("frk", "Fraktur")
"""Tesseract's German Fraktur model and its Fraktur script model, read together with the modern language's."""


def _sources() -> list[Path]:
    override = os.environ.get("TESSDATA_PREFIX")
    if override:
        # An operator's folder is taken as it is: it says exactly which models the service has.
        return [Path(override)]
    return [Path(tessdata.data_path()), *(path for path in SYSTEM_DIRS if path.is_dir())]


def tessdata_dir() -> Path:
    """``TESSDATA_PREFIX`` wins, so an operator can add languages; else the wheels' folder, joined with the
    system's where that has models the wheels lack."""
    return _joined(tuple(_sources()))


@cache
def _joined(sources: tuple[Path, ...]) -> Path:
    primary = sources[0]
    models: dict[str, Path] = {}
    for folder in sources:
        for model in sorted(folder.glob("*.traineddata")):
            models.setdefault(model.name, model)
    if all(path.parent == primary for path in models.values()):
        return primary
    digest = hashlib.sha256("\n".join(f"{name}={path}" for name, path in sorted(models.items())).encode())
    target = Path(tempfile.gettempdir()) / f"ablage-tessdata-{os.getuid()}-{digest.hexdigest()[:16]}"
    if not target.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        for name, path in models.items():
            (staging / name).symlink_to(path)
        for folder in sources:
            for extra in ("configs", "tessconfigs"):
                if (folder / extra).is_dir() and not (staging / extra).exists():
                    (staging / extra).symlink_to(folder / extra)
        try:
            staging.rename(target)
        except OSError:
            # Another process joined the same models first; its folder is the same as ours.
            for child in staging.iterdir():
                child.unlink()
            staging.rmdir()
    return target


def has_fraktur(path: Path | None = None) -> bool:
    folder = path or tessdata_dir()
    return all((folder / f"{model}.traineddata").exists() for model in FRAKTUR_MODELS)
