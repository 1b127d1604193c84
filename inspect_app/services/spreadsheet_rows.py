"""Reading a park's spreadsheet (.xlsx or .csv): its rows, and what a cell says.

Shared by the ledger import (services/ledger_import.py) and the quarterly import
(services/quarterly_import.py), which each find their own header and columns in the rows.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from db.errors import UserError
from exports.tabular import FORMULA_GUARD, FORMULA_STARTS, SUPPORTED_SUFFIXES

CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
HEADER_SEARCH_ROWS = 30  # a header is looked for in this many first rows (titles above it are common)
SUBTOTAL_WORDS = ("合计", "小计", "总计")


def read_rows(path: Path) -> list[list[object]]:
    """Every row of the first sheet (or of the CSV) as a list of cell values."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UserError("import.bad_suffix", suffix=path.suffix or "(none)")
    if suffix == ".xlsx":
        import openpyxl  # only for an .xlsx file: a CSV import never loads it

        # A damaged or truncated workbook fails in many ways inside openpyxl and zipfile
        # (BadZipFile, KeyError, ValueError, XML errors, even OSError for "no valid workbook
        # part"…): all of them mean "cannot read this file". The bytes are read first, so that
        # only a real I/O error (no permission, file gone) comes out as OSError.
        data = path.read_bytes()
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
            finally:
                workbook.close()
        except Exception as error:  # noqa: BLE001 — any parser failure is the file's fault
            raise UserError("import.unreadable_xlsx", file=path, reason=type(error).__name__) from error
    raw = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.removeprefix("\ufeff")
        return [[_unguard(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    raise UserError("import.bad_encoding", file=path)


def _unguard(cell: str) -> str:
    if cell.startswith(FORMULA_GUARD) and cell[1:2] and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def cell_text(value: object) -> str:
    """What a cell says, as text: a date (or date and time) as YYYY-MM-DD, stripped."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_subtotal(row: list[object]) -> bool:
    """A 合计 / 小计 / 总计 row, which holds no tenant."""
    firsts = [cell_text(cell) for cell in row if cell_text(cell)][:2]
    return any(text.replace(" ", "").startswith(SUBTOTAL_WORDS) for text in firsts)


def is_data_row(row: list[object]) -> bool:
    """Not empty and not a subtotal."""
    return any(cell_text(cell) for cell in row) and not is_subtotal(row)


def cell_value(value: object) -> object:
    """A cell's value as the forms take it: a date and time as its date, text stripped."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value
