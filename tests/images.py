"""Real, small image files for tests: attaching decodes every image, so fake bytes are refused."""

from __future__ import annotations

import io
import random


def image_bytes(fmt: str = "PNG", *, seed: int = 0, size: tuple[int, int] = (16, 12), exif=None,
                **params) -> bytes:
    """An image of noise (a different one per seed) in `fmt` (PNG, JPEG, WEBP); `exif` an
    Image.Exif or bytes to embed, `params` passed to Pillow's save."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    if exif is not None:
        params["exif"] = exif
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG", size=(64, 48))
