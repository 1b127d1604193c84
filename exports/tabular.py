"""Spreadsheet files from plain rows: CSV for any tool, XLSX for Excel and WPS.

Takes headers and rows of plain Python values (str, int, float, date, None) and knows nothing
about the database or translations. Each file appears whole or not at all: it is written to a
temporary file in the target's folder and then moved over the target in one step.

Text that begins with `=`, `+`, `-` or `@` would be run as a formula by a spreadsheet program
(CSV injection). XLSX cells are written as plain strings, so they stay text as they are; in CSV,
which has no types, such text gets a leading `'`, which a reader of our files strips again
(`FORMULA_GUARD`).
"""

from __future__ import annotations

import csv
import os
import secrets
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from copy import copy
from datetime import date, datetime
from pathlib import Path

Cell = str | int | float | date | None

# The spreadsheet files the app writes (ledger, hazards, quarterly figures) and reads (the imports).
SUPPORTED_SUFFIXES = (".csv", ".xlsx")
DATE_FORMAT = "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"
MIN_WIDTH = 6
WRAP_WIDTH = 30  # a text column whose values are wider gets this width and wraps (measures, plans, notes)
DATE_WIDTH = 10  # yyyy-mm-dd
UPPERCASE_EXTRA = 0.3  # a capital Latin letter is about 1.3 digits wide
SHEET_TITLE_MAX = 31  # Excel's limit
A4_LANDSCAPE_WIDTH_INCHES = 297 / 25.4
A3_LANDSCAPE_WIDTH_INCHES = 420 / 25.4
PAPER_A4, PAPER_A3 = "9", "8"  # Excel's paperSize codes
A4_READABLE_SCALE = 60  # a wide ledger below this on A4 goes on A3, which offices print ledgers on
MARGIN_SIDE_INCHES = 0.3
MIN_PRINT_SCALE = 40  # below this the text is too small to read on paper: more pages across instead
TITLE_COLUMNS = 3  # repeated on the pages to the right when a sheet is wider than a page
PRINT_SLACK = 0.9  # fonts differ between programs (LibreOffice draws the same widths a little wider)
SHEET_TITLE_FORBIDDEN = "[]:*?/\\"


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on failure it is removed.

    Same folder, so the final rename never crosses file systems and is atomic.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp: its files are private (0600); the export should get the usual permissions.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.open("xb").close()
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    # The data must be on disk before the rename makes it the real file, or a power cut could
    # leave an empty file under the real name.
    with path.open("ab") as handle:  # a writable handle: Windows refuses to flush a read-only one
        os.fsync(handle.fileno())


# --- CSV --------------------------------------------------------------------------------------


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 (Chinese) in a CSV."""
    with atomic_target(path) as temporary:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([csv_text(h) for h in headers])
            writer.writerows([csv_text(value) for value in row] for row in rows)


def csv_text(value: Cell) -> str:
    """One value as CSV text: dates ISO, whole floats without `.0`, formulas disarmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return FORMULA_GUARD + value
    return str(value)


# --- XLSX -------------------------------------------------------------------------------------


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]], sheet_title: str) -> None:
    """One sheet: bold frozen header row, auto filter, widths fitted to the content (long text
    wraps), typed cells, printed landscape on A4 (A3 when too wide to read on A4) fitted to the page width with the header repeated."""
    write_xlsx_sheets(path, [(sheet_title, headers, rows)])


def write_xlsx_sheets(path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Cell]]]]) -> None:
    """Several sheets (title, headers, rows), each laid out as `write_xlsx` lays out its one."""
    # openpyxl: only when a spreadsheet is written
    from openpyxl import Workbook

    # Write-only mode streams rows to disk: a 30,000-row ledger stays fast and small in memory.
    # Its one rule: column widths, panes and filter are set before the first row.
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        _write_sheet(workbook.create_sheet(safe_sheet_title(title)), headers, rows)
    with atomic_target(path) as temporary:
        workbook.save(temporary)


def _write_sheet(sheet, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    # openpyxl: only when a spreadsheet is written
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.utils import get_column_letter

    widths = column_widths(headers, rows)
    wraps = [width >= WRAP_WIDTH for width in widths]
    sheet.freeze_panes = "A2"
    # On paper a ledger is wide: landscape A4, every column on the page (as many pages down as it
    # takes), the header row repeated on every page, narrow margins, page numbers in the footer.
    sheet.page_setup.orientation = "landscape"
    # Fitted by a scale computed from the widths rather than Excel's "fit to 1 page wide, automatic
    # tall" (fitToPage with fitToHeight=0): LibreOffice 7.4 reads that as one page in all, which
    # shrinks a long ledger to dust. A scale means the same to every program.
    sheet.page_setup.paperSize, sheet.page_setup.scale = paper_and_scale(widths)
    sheet.page_margins.left = sheet.page_margins.right = MARGIN_SIDE_INCHES
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "&P / &N"
    sheet.print_title_rows = "1:1"
    if sheet.page_setup.scale == MIN_PRINT_SCALE and len(headers) > TITLE_COLUMNS:
        # Still wider than the page: the pages to the right repeat the first columns (park, tenant).
        sheet.print_title_cols = f"A:{get_column_letter(TITLE_COLUMNS)}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"

    bold = Font(bold=True)
    # Numbers sit on the right edge of their column: a small indent keeps the text of the next
    # column from touching them; dates are centred for the same reason.
    text_alignment = Alignment(horizontal="left", vertical="top", indent=1)  # indent needs an explicit side
    wrapped_alignment = Alignment(horizontal="left", vertical="top", indent=1, wrap_text=True)
    date_alignment = Alignment(horizontal="center", vertical="top")
    top_alignment = Alignment(vertical="top")
    # Headers wrap onto a second line rather than widen their column (是否转租 over 是/否).
    header_alignment = Alignment(horizontal="left", vertical="center", indent=1, wrap_text=True)

    # Setting a style on a cell looks it up in the workbook's style lists by hashing it, which cost
    # more than the rest of writing a small sheet; so each kind of cell is styled once and the
    # others take a copy of its style array (openpyxl's own way of copying a style).
    styles: dict[tuple[str, bool], StyleArray] = {}

    def cell(value: Cell, wrap: bool, *, header: bool = False):
        if isinstance(value, str):
            value = _xml_safe(value)
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            made.data_type = "s"  # text starting with "=" stays text, never becomes a formula
        kind = ("header" if header else "text" if isinstance(value, str)
                else "date" if isinstance(value, date) and not isinstance(value, datetime) else "other", wrap)
        style = styles.get(kind)
        if style is not None:
            made._style = copy(style)
            return made
        if kind[0] == "text":
            made.alignment = wrapped_alignment if wrap else text_alignment
        elif kind[0] == "date":
            made.number_format = DATE_FORMAT
            made.alignment = date_alignment
        else:
            made.alignment = top_alignment  # level with the first line of a wrapped neighbour
        if header:
            made.font = bold
            made.alignment = header_alignment
        styles[kind] = copy(made._style)
        return made

    sheet.append([cell(h, False, header=True) for h in headers])
    for row in rows:
        sheet.append([cell(value, wrap) for value, wrap in zip(row, wraps, strict=False)])


def safe_sheet_title(title: str) -> str:
    """Excel refuses sheet names over 31 characters or holding []:*?/\\."""
    cleaned = "".join("_" if ch in SHEET_TITLE_FORBIDDEN else ch for ch in title).strip("'").strip()
    return cleaned[:SHEET_TITLE_MAX] or "Sheet1"


def _xml_safe(text: str) -> str:
    # Control characters (pasted from other systems) are not allowed in XLSX XML; openpyxl raises.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


# --- column widths ----------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Width in Latin characters: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _text_width(text: str) -> float:
    # Excel measures columns in widths of "0"; capitals (credit codes such as 91330482MA2NYYWLAB)
    # are wider than digits and were cut off when counted as one.
    return display_width(text) + UPPERCASE_EXTRA * sum(1 for ch in text if "A" <= ch <= "Z")


def _value_width(value: Cell) -> float:
    if value is None:
        return 0
    if isinstance(value, date):
        return DATE_WIDTH
    return _text_width(csv_text(value))


def print_scale(widths: Sequence[float], page_width_inches: float = A4_LANDSCAPE_WIDTH_INCHES) -> int:
    """The print scale (%) at which all columns fit across a landscape page (A4 unless told), at most 100."""
    # A column of width w is w * 7 + 5 pixels at 96 dpi in Excel's default font (Calibri 11).
    total_inches = sum(width * 7 + 5 for width in widths) / 96
    printable = page_width_inches - 2 * MARGIN_SIDE_INCHES
    return max(MIN_PRINT_SCALE, min(100, int(100 * PRINT_SLACK * printable / total_inches))) if widths else 100


def paper_and_scale(widths: Sequence[float]) -> tuple[str, int]:
    """A4 when the columns fit it legibly, else A3 (a 24-column ledger is 40% on A4, ~57% on A3)."""
    on_a4 = print_scale(widths)
    if on_a4 >= A4_READABLE_SCALE:
        return PAPER_A4, on_a4
    return PAPER_A3, print_scale(widths, A3_LANDSCAPE_WIDTH_INCHES)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[float]:
    """Widest value per column plus padding, within limits; WRAP_WIDTH for text that wraps.

    A header may wrap onto two lines, so it asks for half its width (plus room for the indent and
    the auto-filter arrow); a column of short values under a long header stays narrow.
    """
    widths = [_text_width(h) / 2 + 5 for h in headers]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _value_width(value) + 3)  # cell indent and a gap
    return [round(WRAP_WIDTH if width > WRAP_WIDTH else max(width, MIN_WIDTH), 1) for width in widths]
