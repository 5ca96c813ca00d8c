"""Skewed scans (a page laid a few degrees askew on the glass) are straightened before OCR, and the engine's
boxes are turned back onto the page as it was delivered."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from deskew import determine_skew
from PIL import Image, ImageOps

from ablage.results.model import BBox, Block, Line, Page, Word

# The angle is measured on a small copy: text lines stay lines at 1000 px, and the Hough transform's cost grows
# with the pixels.
_PROBE_SIDE = 1000
# Below this the lines are as straight as the engines need; above the largest the page is not a skewed scan
# but a rotated or irregular one (a photo, a figure), which turning would not help.
MIN_ANGLE = 0.3
MAX_ANGLE = 10.0
# The angle comes from the direction of many text lines; an image this narrow holds a line or two, whose edges
# give no reliable angle (a single line read 9 degrees askew), and a line is read well as it is.
MIN_SIDE = 300
# Degrees between the angles the Hough transform tries.
_COARSE_STEP = 0.5
_FINE_STEP = 0.1


@dataclass(frozen=True)
class Straightened:
    image: Image.Image
    angle: float
    """Degrees the image was turned counter-clockwise; 0.0 when it was left as it was."""
    original_size: tuple[int, int]

    def to_original(self, box: BBox) -> BBox:
        """A box of the straightened image as the smallest box holding it on the delivered page."""
        if not self.angle:
            return box
        width, height = self.original_size
        rad = math.radians(self.angle)
        cos, sin = math.cos(rad), math.sin(rad)
        cx, cy = self.image.width / 2, self.image.height / 2
        xs, ys = [], []
        for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
            dx, dy = x - cx, y - cy
            # Undo a counter-clockwise turn in image coordinates (y grows downwards).
            xs.append(cos * dx - sin * dy + width / 2)
            ys.append(sin * dx + cos * dy + height / 2)
        return (
            max(0, min(width, round(min(xs)))),
            max(0, min(height, round(min(ys)))),
            max(0, min(width, round(max(xs)))),
            max(0, min(height, round(max(ys)))),
        )


def measure_skew(image: Image.Image) -> float:
    """Degrees to turn the page counter-clockwise so that its text lines run level; 0.0 when unsure."""
    probe = ImageOps.grayscale(image) if image.mode != "L" else image
    if max(probe.size) > _PROBE_SIDE:
        probe = probe.copy()
        probe.thumbnail((_PROBE_SIDE, _PROBE_SIDE))
    pixels = np.asarray(probe)
    # The Hough transform's cost grows with the angles it tries: a coarse pass (0.1 s an A4 page) tells the
    # straight pages, most of them, from the skewed ones, and only these get the fine pass (0.6 s).
    coarse = determine_skew(pixels, max_angle=MAX_ANGLE, num_peaks=20, min_deviation=_COARSE_STEP)
    if coarse is None or not math.isfinite(coarse) or abs(coarse) < MIN_ANGLE:
        return 0.0
    angle = determine_skew(pixels, max_angle=MAX_ANGLE, num_peaks=20, min_deviation=_FINE_STEP)
    if angle is None or not math.isfinite(angle):
        return 0.0
    return float(angle)


def warm_up() -> None:
    """The first measurement in a process loads the edge and Hough code (0.1-0.3 s): done before a page's clock
    runs."""
    measure_skew(Image.new("L", (MIN_SIDE, MIN_SIDE), 255))


def straighten(image: Image.Image) -> Straightened:
    if min(image.size) < MIN_SIDE:
        return Straightened(image, 0.0, image.size)
    angle = measure_skew(image)
    if not MIN_ANGLE <= abs(angle) <= MAX_ANGLE:
        return Straightened(image, 0.0, image.size)
    fill: int | tuple[int, ...] = 255 if image.mode in ("L", "1") else (255,) * len(image.getbands())
    source = image.convert("L") if image.mode == "1" else image
    turned = source.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    return Straightened(turned, round(angle, 2), image.size)


def onto_original(page: Page, straightened: Straightened) -> Page:
    """The page read from the straightened image, with its boxes on the delivered page."""
    if not straightened.angle:
        return page
    back = straightened.to_original

    def line(item: Line) -> Line:
        words = [Word(**{**w.model_dump(), "bbox": back(w.bbox)}) for w in item.words]
        return item.model_copy(update={"bbox": back(item.bbox), "words": words})

    blocks = [
        Block(**{**b.model_dump(exclude={"lines"}), "bbox": back(b.bbox), "lines": [line(ln) for ln in b.lines]})
        for b in page.blocks
    ]
    width, height = straightened.original_size
    return page.model_copy(update={"blocks": blocks, "width": width, "height": height})
