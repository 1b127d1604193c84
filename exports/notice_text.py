"""Text on the printed documents: line breaking that never splits a token, and value formatting.

reportlab wraps Chinese text (`wordWrap="CJK"`) after any character, so a table cell could read
"3号楼 3 / F-301", "23,800.5 / 0" or "1385731 / 2345". `Text` is a Paragraph whose lines break only
where a clerk would break them:

- never inside a run of Latin letters, digits and ASCII punctuation (room numbers, amounts, ISO
  dates, credit codes, phone numbers, URLs) — unless the run alone is wider than the line;
- never between a number and its unit (2026年12月11日, 3号楼, 23层);
- never before punctuation that may not start a Chinese line (，。、；：）》 …): it hangs instead.

The break goes to the last allowed place on the line; the rest of the text wraps per character as
Chinese does. Value formatting (dates, money, plain text made markup-safe) and the merging of
legal-basis lines live here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import textsplit as rl_textsplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import paragraph as rl_paragraph
from reportlab.platypus.paragraph import Paragraph, ParaLines, cjkU, makeCJKParaLine

# Chinese punctuation that never starts a line: reportlab's set knows the Japanese ones (、。）」)
# but not the full-width comma, semicolon, colon, ! ? or closing 》”.
NO_LINE_START = frozenset(rl_textsplit.ALL_CANNOT_START) | frozenset("，；：！？》〉”’％)]}.,;:!?%")
# What follows a number as its unit, and so stays on its line.
_UNITS = frozenset("年月日号楼层室栋幢单元时分秒条项元万")
_FUZZ = 1e-6


def _token_char(char: str) -> bool:
    return "!" <= char <= "~"  # printable ASCII without the space


def can_break(before: str, after: str) -> bool:
    """Whether a line may end between `before` and `after`."""
    if not before or not after:
        return True
    if after in NO_LINE_START:
        return False
    if _token_char(before) and _token_char(after):
        return False
    if before.isdigit() and after in _UNITS:
        return False
    if before in _UNITS and after.isdigit() and before in "年月":
        return False  # 2026年12月11日: the date stays whole
    return not (before == "号" and after == "楼")


class _Unit(str):
    """One character of a frag with its width (what reportlab's cjkU holds), the width from a cache:
    measuring each character anew is most of the cost of breaking a paragraph."""

    frag = property(lambda self: self._frag)
    width = property(lambda self: self._width)


_widths: dict[tuple[str, float, str], float] = {}


def _units(text: str, frag) -> list[_Unit]:
    units = []
    for char in text:
        key = (frag.fontName, frag.fontSize, char)
        width = _widths.get(key)
        if width is None:
            width = _widths[key] = stringWidth(char, frag.fontName, frag.fontSize)
        unit = _Unit(char)
        unit._frag, unit._width = frag, width
        units.append(unit)
    return units


def split_lines(frags, max_widths, calc_bounds: bool) -> ParaLines:
    """reportlab's CJK line splitting (cjkFragSplit) with `can_break` deciding where lines end."""
    if not any(hasattr(f, "lineBreak") or hasattr(f, "cbDefn") for f in frags):
        # most cells hold one short line: measured whole, one unit per frag (no per-character work)
        whole = [cjkU(f.text.decode("utf-8") if isinstance(f.text, bytes) else f.text, f, "utf-8") for f in frags]
        used = sum(u.width for u in whole)
        if used <= max_widths[0] + _FUZZ:
            return ParaLines(kind=1, lines=[makeCJKParaLine(whole, max_widths[0], used, max_widths[0] - used, False,
                                                            calc_bounds)])
    units = []
    for frag in frags:
        text = frag.text.decode("utf-8") if isinstance(frag.text, bytes) else frag.text
        if text and not hasattr(frag, "cbDefn"):
            units.extend(_units(text, frag))
        else:  # an image or a <br/>: one unit carrying the frag
            units.append(cjkU(text, frag, "utf-8"))
    lines = []
    start = i = 0
    used = 0.0
    max_width = max_widths[0]
    while i < len(units):
        unit = units[i]
        width = unit.width
        if hasattr(width, "normalizedValue"):
            width._normalizer = max_width
            width = width.normalizedValue(max_width)
        used += width
        i += 1
        forced = hasattr(unit.frag, "lineBreak")
        if not forced and not (used > max_width + _FUZZ and used > 0):
            continue
        if not forced:
            end = _line_end(units, start, i - 1)
            used -= sum(u.width for u in units[end:i])
            i = end
        lines.append(_line(units[start:i], max_width, used, forced, calc_bounds))
        max_width = max_widths[min(len(lines), len(max_widths) - 1)]
        start, used = i, 0.0
    if used > 0:
        lines.append(_line(units[start:], max_width, used, False, calc_bounds))
    return ParaLines(kind=1, lines=lines)


def _line(units, max_width: float, used: float, forced: bool, calc_bounds: bool):
    """reportlab's line of `units`, its characters first joined per frag: the same line, made from a
    few strings instead of one per character (makeCJKParaLine looks at each unit's frag)."""
    runs: list = []
    for unit in units:
        if runs and runs[-1][0] is unit.frag and not hasattr(unit.frag, "cbDefn"):
            runs[-1][1].append(unit)
        else:
            runs.append((unit.frag, [unit]))
    joined = []
    for frag, members in runs:
        if len(members) == 1:
            joined.append(members[0])
        else:
            unit = _Unit("".join(members))
            unit._frag, unit._width = frag, sum(m.width for m in members)
            joined.append(unit)
    return makeCJKParaLine(joined, max_width, used, max_width - used, forced, calc_bounds)


def _line_end(units, start: int, over: int) -> int:
    """Where the line from `start` ends when `units[over]` does not fit: before `over` or at an
    earlier allowed break; a character that may not start a line hangs (one, never more); a token
    wider than the whole line breaks where it overflows."""
    if over <= start:
        return over + 1  # one character wider than the line: it stands alone
    if units[over] in NO_LINE_START and can_break(units[over], units[over + 1] if over + 1 < len(units) else ""):
        return over + 1
    for end in range(over, start, -1):
        if can_break(units[end - 1], units[end]):
            return end
    return over


class Text(Paragraph):
    """A Paragraph breaking its lines with `split_lines` (style wordWrap="CJK").

    The lines for a width are kept: a table measures each cell several times (column sizing, row
    heights, splitting across pages, drawing) and breaking is the costly part of a document."""

    def breakLinesCJK(self, maxWidths):
        if not isinstance(maxWidths, list | tuple):
            maxWidths = [maxWidths]
        self.height = 0
        if hasattr(self, "blPara") and getattr(self, "_splitpara", 0):
            return self.blPara
        key = tuple(maxWidths)
        cache = self.__dict__.setdefault("_lines_for", {})
        if key not in cache:
            cache[key] = self._break(maxWidths)
        return cache[key]

    def _break(self, maxWidths):
        style = self.style
        if not self.frags:
            return ParaLines(kind=0, fontSize=style.fontSize, fontName=style.fontName, textColor=style.textColor,
                             lines=[], ascent=style.fontSize, descent=-0.2 * style.fontSize)
        auto_leading = getattr(self, "autoLeading", getattr(style, "autoLeading", ""))
        return split_lines(self.frags, maxWidths, auto_leading not in ("", "off"))


# Plain Paragraphs elsewhere (the quarterly report) keep reportlab's splitting; make them at least
# keep these marks off a line's start too. Extending the module-level sets is idempotent.
for _module in (rl_paragraph, rl_textsplit):
    _module.ALL_CANNOT_START += "".join(c for c in "，；：！？》〉”’％" if c not in _module.ALL_CANNOT_START)


# --- values -------------------------------------------------------------------------------------


def text(value) -> str:
    """Markup-safe text for a Paragraph (content is data, never markup); None reads as a dash."""
    if value is None or value == "":
        return "—"
    return escape(str(value)).replace("\n", "<br/>")


def day(value, lang: str) -> str:
    """An ISO date (or the date part of a datetime) as the document language writes it."""
    if not value:
        return "—"
    try:
        when = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return when.isoformat() if lang == "en" else f"{when.year}年{when.month}月{when.day}日"


def moment(value, lang: str) -> str:
    """An ISO datetime as date and time of day, in the time zone it was written in (China time)."""
    if not value:
        return "—"
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day(when.date().isoformat(), lang)} {when:%H:%M}"


def money(value) -> str:
    if value is None:
        return "—"
    amount = float(value)
    return f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"


_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _article_order(article: str) -> int:
    """第二十八条 -> 28 (for sorting the articles of one law); unknown forms sort last."""
    m = re.fullmatch(r"第([零一二三四五六七八九十百]+)条.*", article)
    if not m:
        return 10_000
    total, current = 0, 0
    for c in m.group(1):
        if c == "百":
            total, current = total + max(current, 1) * 100, 0
        elif c == "十":
            total, current = total + max(current, 1) * 10, 0
        else:
            current = _CN_DIGITS[c]
    return total + current


def merge_basis(lines: Iterable[str | None], sep: str = "、") -> str:
    """One legal-basis phrase from the agency's lines and the hazards': each law once, its articles
    in order ("《中华人民共和国消防法》第十六条、第二十八条、《浙江省消防条例》")."""
    laws: dict[str, list[str]] = {}
    for line in lines:
        for part in re.split(r"[；;]", line or ""):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"(《[^》]+》)\s*((?:第[^、，,《]+条[^、，,《]*[、，,]?\s*)+)", part)
            if m:
                articles = laws.setdefault(m.group(1), [])
                for article in re.split(r"[、，,]\s*", m.group(2)):
                    if article and article not in articles:
                        articles.append(article)
            else:
                laws.setdefault(part, [])
    return sep.join(law + "、".join(sorted(arts, key=_article_order)) for law, arts in laws.items())
