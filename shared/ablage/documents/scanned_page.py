"""A scanned PDF page's own image, taken as it is instead of rendering the page.

A page that is one upright image filling the page box (what scanners and OCR tools write) is read from that
image's pixels: the engines see the scan itself, not a resampled copy, a 1-bit scan stays 1-bit for the archive
copy's G4, and decoding costs a tenth of rendering at 300 dpi. Anything else on the page, a rotation, or an image
whose decoded pixels do not look like the rendered page (masks, decode arrays, unusual colour spaces) is
rendered as before.
"""

from __future__ import annotations

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageStat

from ablage.results.page_image import normalised

# Within a point of the page box on every side: the image is the page.
_COVER_TOLERANCE_PT = 1.0
# Scans at these resolutions are read as they are; a coarser or finer one is rendered at RENDER_DPI instead,
# the resolution the engines are measured at.
_MIN_DPI, _MAX_DPI = 200, 400
# A small render of the page and the image, both at this width, may differ by this much on average (0-255):
# resampling noise, not a mask or an inverted decode.
_CHECK_WIDTH = 120
_CHECK_TOLERANCE = 12.0


def _only_image(page: pdfium.PdfPage) -> pdfium.PdfImage | None:
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or not isinstance(objects[0], pdfium.PdfImage):
        return None
    return objects[0]


def _covers(image: pdfium.PdfImage, width_pt: float, height_pt: float) -> bool:
    a, b, c, d, _, _ = image.get_matrix().get()
    if b or c or a <= 0 or d <= 0:
        return False  # turned, mirrored or sheared: the render knows how
    left, bottom, right, top = image.get_bounds()
    return all(
        abs(edge - box) <= _COVER_TOLERANCE_PT
        for edge, box in ((left, 0.0), (bottom, 0.0), (right, width_pt), (top, height_pt))
    )


def _looks_like(page: pdfium.PdfPage, picture: Image.Image, width_pt: float) -> bool:
    check = page.render(scale=_CHECK_WIDTH / width_pt).to_pil().convert("L")
    small = picture.convert("L").resize(check.size, Image.Resampling.BOX)
    return max(ImageStat.Stat(ImageChops.difference(check, small)).mean) <= _CHECK_TOLERANCE


def scanned_image(page: pdfium.PdfPage, max_pixels: int) -> tuple[Image.Image, int] | None:
    """The page's own scan and its resolution, or None when the page must be rendered. Call under the
    PDFium lock."""
    if page.get_rotation() % 360:
        return None
    width_pt, height_pt = page.get_size()
    if tuple(page.get_mediabox()) != tuple(page.get_cropbox()) or page.get_mediabox()[:2] != (0, 0):
        return None
    image = _only_image(page)
    if image is None or not _covers(image, width_pt, height_pt):
        return None
    width_px, height_px = image.get_px_size()
    dpi_x, dpi_y = width_px * 72 / width_pt, height_px * 72 / height_pt
    if abs(dpi_x - dpi_y) > 1 or not _MIN_DPI <= dpi_x <= _MAX_DPI or width_px * height_px > max_pixels:
        return None
    # Copied out of the bitmap's buffer, which PDFium owns and frees with the bitmap object.
    picture = normalised(image.get_bitmap(render=False).to_pil().copy())
    if picture.size != (width_px, height_px) or not _looks_like(page, picture, width_pt):
        return None
    if picture.mode == "L" and picture.getcolors(2) is not None:
        # A 1-bit scan decodes to black and white grey: 1-bit again, for G4 without a second threshold.
        picture = picture.point(lambda v: 255 if v >= 128 else 0, mode="1")
    return picture, round(dpi_x)
