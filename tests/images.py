"""Documents built inside tests from the corpus images: other containers, rotations, rendered text."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def image_pdf(images: list[Image.Image], dpi: int = 300, *, colour: bool = False) -> bytes:
    """A scanned-style PDF: each page one image (grey, or RGB with ``colour``), no text layer."""
    first, *rest = [im.convert("RGB" if colour else "L") for im in images]
    return encode(first, "PDF", save_all=True, append_images=rest, resolution=dpi)


def multipage_tiff(images: list[Image.Image]) -> bytes:
    first, *rest = images
    return encode(first, "TIFF", save_all=True, append_images=rest, compression="tiff_lzw", dpi=(300, 300))


def text_image(text: str, size: int = 64) -> Image.Image:
    font = ImageFont.load_default(size=size)
    image = Image.new("L", (size * len(text) // 2 + 200, size * 3), 255)
    ImageDraw.Draw(image).text((100, size), text, fill=0, font=font)
    return image


def huge_png(width: int, height: int) -> bytes:
    """A valid, tiny PNG that claims width×height 1-bit pixels: a decompression bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("L")
