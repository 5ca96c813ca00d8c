"""Page 1 of a document as a small WebP, stored once per original (thumbnails/<sha256>/page-1.webp)."""

from __future__ import annotations

import io

from PIL import Image

THUMBNAIL_SIDE = 512
THUMBNAIL_KEY = "{sha256}/page-1.webp"


def render_thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()
