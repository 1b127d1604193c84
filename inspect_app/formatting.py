"""How values look on screen: grouped digits, no pointless decimals, text cut to fit a column."""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len

from forms.i18n import t


def area(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.1f}"


def count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def input_text(value: object) -> str:
    """A stored value as a person would type it into a form field (None -> '', 5000.0 -> '5000')."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clip_start(text: str, width: int) -> str:
    """Cut `text` to its last `width` terminal cells, marking the cut with … (for values that
    differ at their end, such as document numbers)."""
    if cell_len(text) <= width:
        return text
    kept, used = [], 0
    for char in reversed(text):
        used += cell_len(char)
        if used > width - 1:
            break
        kept.append(char)
    return "…" + "".join(reversed(kept))


def clip(text: str, width: int) -> str:
    """Cut `text` to `width` terminal cells (a CJK character takes two), marking the cut with …."""
    if cell_len(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += cell_len(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def photo_path_example(windows: bool | None = None, lang: str | None = None) -> str:
    """An example photo path for a placeholder, written the way this machine writes paths: a
    Windows inspector reads D:\\照片\\…, everyone else ~/照片/… (one catalogue entry per platform)."""
    import os

    windows = os.name == "nt" if windows is None else windows
    return t("tui.photo_example.windows" if windows else "tui.photo_example.posix", lang=lang)
