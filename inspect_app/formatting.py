"""How values look on screen: grouped digits, no pointless decimals, text cut to fit a column."""

from __future__ import annotations

import os
import re
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


# "平湖市…", "浙江省…": the place most names start with says nothing in a park's own lists, and
# cutting a long name at its end loses exactly what tells two tenants apart.
PLACE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}?[省市县区](?=[\u4e00-\u9fff]{4})")
# The company form at a name's end: the same for nearly every tenant, dropped before clipping.
COMPANY_FORM = re.compile(r"(股份有限公司|有限责任公司|有限公司|合伙企业|个体工商户|"
                          r"[ ,]*(Co\.,? ?Ltd\.?|Ltd\.?|LLC|Inc\.?))$", re.IGNORECASE)


def short_name(name: str) -> str:
    """A tenant or park name without the place it starts with ("平湖市佳嘉…" -> "佳嘉…")."""
    return PLACE_PREFIX.sub("", name)


def narrow_name(name: str, width: int) -> str:
    """A name for a narrow column: without its place prefix, then without its company form if
    still too wide, then clipped — so that what tells two tenants apart stays in view."""
    shorter = short_name(name)
    if cell_len(shorter) > width:
        shorter = COMPANY_FORM.sub("", shorter) or shorter
    return clip(shorter, width)


def photo_path_example(windows: bool | None = None, lang: str | None = None) -> str:
    """An example photo path for a placeholder, written the way this machine writes paths: a
    Windows inspector reads D:\\照片\\…, everyone else ~/照片/… (one catalogue entry per platform)."""
    windows = os.name == "nt" if windows is None else windows
    return t("tui.photo_example.windows" if windows else "tui.photo_example.posix", lang=lang)
