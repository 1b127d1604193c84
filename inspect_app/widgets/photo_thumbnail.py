"""A photo drawn in the terminal with half blocks: each cell is two pixels, "▀" in the upper
pixel's colour on the lower pixel's. Works in every terminal with colour (Rich lowers true colour
to what the terminal has), in tmux and over SSH; the system viewer (`o`) shows the photo itself.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text

UPPER_HALF = "▀"


def half_blocks(path: Path, width: int, height: int) -> Text | None:
    """The photo fitted into `width` × `height` cells, upright, keeping its proportions (a cell is
    about twice as tall as wide, so two pixels high make it square); None when it cannot be read."""
    from PIL import Image, ImageOps  # Pillow: only when a photo is drawn

    if width < 1 or height < 1:
        return None
    try:
        with Image.open(path) as image:
            image.draft("RGB", (width * 4, height * 8))  # a JPEG decodes at 1/2..1/8 scale: fast
            picture = ImageOps.exif_transpose(image).convert("RGB")
    except Exception:  # noqa: BLE001 - missing, damaged, HEIC: the list still names it
        return None
    picture.thumbnail((width, height * 2))
    columns, rows = picture.size
    pixels = picture.load()
    text = Text(no_wrap=True, overflow="crop")
    for y in range(0, rows, 2):
        for x in range(columns):
            top = pixels[x, y]
            bottom = pixels[x, y + 1] if y + 1 < rows else None
            style = Style(color=_hex(top), bgcolor=_hex(bottom) if bottom else None)
            text.append(UPPER_HALF, style)
        if y + 2 < rows:
            text.append("\n")
    return text


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])
