"""A scanned page's image for the archive copy, encoded by what it shows.

Bilevel text pages (1-bit, or grey with almost no grey between black and white) become CCITT G4, the smallest
lossless code for them; grey and colour photos and scans JPEG; images of a few flat colours Flate (lossless).
``Optimize`` says how far to go: lossless keeps every pixel, strong trades more of the picture for size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import IntEnum

import pikepdf
from PIL import Image, ImageChops, TiffImagePlugin


class Optimize(IntEnum):
    """``pdf_optimize``: 0 lossless, 1 (default) lossy where one cannot see it, 2 smaller at a visible cost."""

    lossless = 0
    standard = 1
    strong = 2


# Ghostscript's PDF/A pass in OCRmyPDF writes JPEG at about this quality: on a scan's own pixels (a grey book
# page of 1457x2083 px) 264 kB here at 55, 292 kB at 60, against OCRmyPDF's 276 kB; a colour receipt 91 kB
# against 100 kB. Text stays clean at 300 dpi. At 40 JPEG's blocks show around strokes on a close look, but the
# page reads the same.
JPEG_QUALITY = {Optimize.standard: 55, Optimize.strong: 40}
# Share of pixels between dark and light (64-191), measured on tests/data/documents: the FeRD invoices (black
# text, rendered) 0.3-0.4 %, a black-and-white page as PDFium renders it (resampled by a pixel) 0.9 %, other
# rendered invoices with grey text 1.5-1.6 %, the Fraktur and receipt scans 4-24 %. Below the threshold the grey
# is only edge noise and G4 loses nothing one can read; above it the page keeps its grey. Strong optimisation
# also turns pages with grey text into black and white, but not scans of old paper and photos.
_BILEVEL_MIDTONE_SHARE = {Optimize.standard: 0.012, Optimize.strong: 0.03}
_MIDTONES = range(64, 192)
# Grey pages of text on white with anti-aliased edges (1.5 % midtones on the rendered invoices) keep their grey
# losslessly: Flate with PNG predictors is smaller than JPEG there (238 against 299 kB for an A4 invoice), where
# scans of paper and photos (15 % and more) are five to ten times smaller as JPEG.
_TEXT_MIDTONE_SHARE = 0.05
# A colour image whose channels differ by less than this almost everywhere is grey (a grey scan saved as RGB).
_GREY_SPREAD = 12
_GREY_SHARE = 0.995
_FLAT_COLOURS = 16
_SAMPLE = 800
"""Classification looks at the image scaled to at most this many pixels a side: fast, and enough."""


@dataclass(frozen=True)
class Encoded:
    data: bytes
    filter: str
    colour_space: str
    bits: int
    parms: dict[str, object] | None = None


def _share(histogram: list[int], values: range) -> float:
    total = sum(histogram)
    return sum(histogram[v] for v in values) / total if total else 0.0


def _is_grey(image: Image.Image) -> bool:
    sample = image.copy()
    sample.thumbnail((_SAMPLE, _SAMPLE))
    red, green, blue = sample.split()
    spread = ImageChops.lighter(ImageChops.difference(red, green), ImageChops.difference(green, blue))
    return _share(spread.histogram(), range(_GREY_SPREAD)) >= _GREY_SHARE


def normalised(image: Image.Image) -> Image.Image:
    """The image as "1", "L" or "RGB": a grey image saved (or rendered) as colour becomes "L"."""
    if image.mode in ("1", "L"):
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F", "LA"):
        return image.convert("L")
    rgb = image.convert("RGB")
    return rgb.convert("L") if _is_grey(rgb) else rgb


def _midtone_share(grey: Image.Image) -> float:
    sample = grey.copy()
    sample.thumbnail((_SAMPLE, _SAMPLE), Image.Resampling.NEAREST)
    return _share(sample.histogram(), _MIDTONES)


def _g4(bilevel: Image.Image) -> Encoded:
    # libtiff's G4 encoder in Pillow; one strip for the whole image, whose bytes are exactly a CCITTFax stream.
    buffer = io.BytesIO()
    bilevel.save(buffer, format="TIFF", compression="group4", strip_size=2**31 - 1)
    buffer.seek(0)
    with Image.open(buffer) as tiff:
        tags = tiff.tag_v2 if isinstance(tiff, TiffImagePlugin.TiffImageFile) else None
        if tags is None:
            raise TypeError("Pillow did not write a TIFF")
        offsets, counts = tags[273], tags[279]
        photometric = tags.get(262, 0)
    offsets = offsets if isinstance(offsets, tuple) else (offsets,)
    counts = counts if isinstance(counts, tuple) else (counts,)
    if len(offsets) != 1:
        raise ValueError("the G4 TIFF has more than one strip")
    raw = buffer.getvalue()[offsets[0] : offsets[0] + counts[0]]
    width, height = bilevel.size
    # Pillow writes "1" as min-is-black: a 1 bit is white, coded as a fax "black" run, so BlackIs1 tells the
    # reader that the 1s are black to invert it back. A min-is-white TIFF needs no inversion.
    parms: dict[str, object] = {"K": -1, "Columns": width, "Rows": height, "BlackIs1": photometric == 1}
    return Encoded(raw, "/CCITTFaxDecode", "/DeviceGray", 1, parms)


def _jpeg(image: Image.Image, optimize: Optimize) -> Encoded:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY[optimize], optimize=True)
    space = "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
    return Encoded(buffer.getvalue(), "/DCTDecode", space, 8)


def _flate(image: Image.Image) -> Encoded:
    # PNG's image data is a zlib stream of rows, each behind the filter byte Pillow chose for it: exactly PDF's
    # Flate with PNG predictors, and far smaller than the raw rows for scans.
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    png = buffer.getvalue()
    data = bytearray()
    position = 8
    while position < len(png):
        length = int.from_bytes(png[position : position + 4], "big")
        if png[position + 4 : position + 8] == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    grey = image.mode == "L"
    parms: dict[str, object] = {"Predictor": 15, "Colors": 1 if grey else 3, "BitsPerComponent": 8}
    parms["Columns"] = image.width
    return Encoded(bytes(data), "/FlateDecode", "/DeviceGray" if grey else "/DeviceRGB", 8, parms)


def encode(image: Image.Image, optimize: Optimize = Optimize.standard) -> Encoded:
    image = normalised(image)
    if image.mode == "1":
        return _g4(image)
    if optimize is Optimize.lossless:
        return _flate(image)
    midtones = _midtone_share(image) if image.mode == "L" else 1.0
    if midtones < _BILEVEL_MIDTONE_SHARE[optimize]:
        return _g4(image.point(lambda v: 255 if v >= 128 else 0, mode="1"))
    if midtones < _TEXT_MIDTONE_SHARE:
        return _flate(image)
    if image.getcolors(_FLAT_COLOURS) is not None:
        return _flate(image)
    return _jpeg(image, optimize)


def encode_page_image(pdf: pikepdf.Pdf, image: Image.Image, optimize: Optimize = Optimize.standard) -> pikepdf.Stream:
    """The image as an image XObject of `pdf`."""
    encoded = encode(image, optimize)
    stream = pikepdf.Stream(pdf, encoded.data)
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = image.size
    stream.ColorSpace = pikepdf.Name(encoded.colour_space)
    stream.BitsPerComponent = encoded.bits
    stream.Filter = pikepdf.Name(encoded.filter)
    if encoded.parms is not None:
        stream.DecodeParms = pikepdf.Dictionary({f"/{k}": v for k, v in encoded.parms.items()})
    return stream
