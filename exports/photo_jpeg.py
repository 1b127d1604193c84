"""A photo made small for a PDF page: decoded at reduced size, turned upright, re-encoded as JPEG.

Used by the notices and the dossiers, which differ only in how large they draw it.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def downscaled_jpeg(path: Path | None, pixels: int, *, quality: int, document: str) -> tuple[bytes, int, int] | None:
    """(JPEG bytes, width, height) of the photo at most `pixels` on its longer side; None (logged,
    naming the `document` it is left out of) when the file is missing or not a readable image."""
    if path is None:
        return None
    # Pillow: only when a photo goes into a document
    from PIL import Image as PILImage
    from PIL import ImageOps

    try:
        with PILImage.open(path) as im:
            scale = pixels / max(im.size)
            im.draft("RGB", (round(im.size[0] * scale), round(im.size[1] * scale)))  # JPEG: decode small
            im = ImageOps.exif_transpose(im)
            im.thumbnail((pixels, pixels))
            im = im.convert("RGB")
            buffer = io.BytesIO()
            im.save(buffer, "JPEG", quality=quality)
            return buffer.getvalue(), *im.size
    except Exception as exc:  # missing, unreadable, not an image, a decompression bomb: left out
        log.warning("photo %s left out of the %s: %s", path, document, exc)
        return None
