"""The copy of a photo the store keeps: a readable image, upright, and by default without metadata.

A phone's or camera's JPEG carries EXIF: where it was taken (GPS), the device's make and serial
number, the owner's name. Photos leave the laptop (sync to the hub, notices handed to tenants), so
by default the kept copy has none of it (`[photos] strip_metadata = true` in config.toml). The
orientation tag is applied to the pixels instead, so the photo stays upright without it; a JPEG
is re-encoded with its own quantisation tables and chroma subsampling (the same quality, not a
second, lower one). The colour profile is kept: it says how to show colours, nothing of who or
where. The person's file is only ever read.

Every image is decoded before it is kept, so a file that is not a readable image (a renamed text
file, a truncated download) is refused with a message, nothing written. HEIC cannot be decoded
here: kept as it is when stripping is off, refused while it is on (its metadata would go along).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from db.errors import UserError

# Media type -> Pillow's format name, for the images this module can decode and write.
DECODABLE = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
ORIENTATION = 0x0112  # EXIF tag: how the camera was held
WEBP_QUALITY = 90  # Pillow cannot tell a lossy WebP's quality; 90 keeps a photo's detail


def kept_bytes(source: Path, media_type: str, *, strip: bool) -> bytes | None:
    """The bytes to keep for this file, or None to keep the file exactly as it is (a PDF; an image
    whose metadata is kept). Refuses (UserError) an image that cannot be read."""
    if media_type == "image/heic":
        if strip:
            raise UserError("errors.photo_heic_strip", field="photo", name=source.name)
        return None
    fmt = DECODABLE.get(media_type)
    if fmt is None:
        return None  # a PDF: evidence kept as given
    from PIL import Image, ImageOps, JpegImagePlugin  # Pillow: only when a photo is kept

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a 20,000² "photo": refuse
            with Image.open(source) as image:
                if image.format != fmt:
                    raise UserError("errors.photo_unreadable", field="photo", name=source.name)
                image.load()  # decodes every pixel: a truncated file fails here, not in a notice later
                if not strip:
                    return None
                icc = image.info.get("icc_profile")
                extra = {"icc_profile": icc} if icc else {}
                orientation = image.getexif().get(ORIENTATION, 1)
                out = io.BytesIO()
                if fmt == "JPEG":
                    if orientation in (1, None):
                        image.save(out, "JPEG", quality="keep", comment=b"", **extra)
                    else:
                        sampling = JpegImagePlugin.get_sampling(image)
                        upright = ImageOps.exif_transpose(image)
                        upright.save(out, "JPEG", qtables=image.quantization, comment=b"",
                                     subsampling=sampling if sampling != -1 else 0, **extra)
                else:
                    upright = ImageOps.exif_transpose(image)
                    if fmt == "PNG":
                        upright.save(out, "PNG", **extra)  # lossless; text chunks and eXIf left behind
                    else:
                        upright.save(out, "WEBP", quality=WEBP_QUALITY, **extra)
                return out.getvalue()
    except UserError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow says "cannot identify image file", "image file is truncated", "broken PNG file" ...
        raise UserError("errors.photo_unreadable", field="photo", name=source.name) from None
