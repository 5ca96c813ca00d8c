"""Pages scanned at 90/180/270° are turned upright with Tesseract's orientation detection (OSD)."""

from __future__ import annotations

import threading

import tesserocr
from PIL import Image

from ablage.tessdata import tessdata_dir

# OSD's confidence for a correct call on a text page is typically 5-30; below this it is guessing,
# and turning an upright page by mistake would ruin its OCR.
_MIN_CONFIDENCE = 2.0
# OSD needs legible glyphs, not 300 dpi: a smaller copy is as accurate and several times faster.
_MAX_SIDE = 2000
_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}

_local = threading.local()


def warm_up() -> None:
    _api()


def _api() -> tesserocr.PyTessBaseAPI | None:
    if not hasattr(_local, "api"):
        path = tessdata_dir()
        _local.api = (
            tesserocr.PyTessBaseAPI(path=str(path), lang="osd", psm=tesserocr.PSM.OSD_ONLY)
            if (path / "osd.traineddata").exists()
            else None
        )
    return _local.api


def _detect(image: Image.Image) -> dict[str, object] | None:
    api = _api()
    if api is None:
        return None
    probe = image
    if max(image.size) > _MAX_SIDE:
        probe = image.copy()
        probe.thumbnail((_MAX_SIDE, _MAX_SIDE))
    api.SetImage(probe)
    try:
        found: dict[str, object] | None = api.DetectOrientationScript()
    except RuntimeError:
        return None
    finally:
        api.Clear()
    return found or None


def detect_rotation(image: Image.Image) -> int:
    """Clockwise degrees the page content is turned by (0, 90, 180, 270); 0 when unsure."""
    osd = _detect(image)
    if not osd or float(osd.get("orient_conf", 0)) < _MIN_CONFIDENCE:  # type: ignore[arg-type]
        return 0
    return int(osd["orient_deg"]) % 360  # type: ignore[call-overload]


def detect_script(image: Image.Image) -> tuple[str | None, float]:
    """The script OSD sees most of on the page (``Latin``, ``Fraktur``, …) and its confidence; None when the
    page has too little text for OSD to say (a single line)."""
    osd = _detect(image)
    if not osd or not osd.get("script_name"):
        return None, 0.0
    return str(osd["script_name"]), float(osd.get("script_conf", 0.0))  # type: ignore[arg-type]


def upright(image: Image.Image) -> tuple[Image.Image, int]:
    degrees = detect_rotation(image)
    if degrees in _TRANSPOSE:
        # Tesseract reports the clockwise turn of the content; PIL's ROTATE_n turns counter-clockwise.
        return image.transpose(_TRANSPOSE[degrees]), degrees
    return image, 0
