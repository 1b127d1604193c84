"""A DataTable that shows only the columns that fit whole in its width.

A DataTable wider than its widget shows the last column cut in half ("People" as "P") and
scrolls sideways, which an inspector at an 80×24 terminal does not expect. This table keeps every
column and row it is given, and shows the leading columns that fit whole: the screens add their
columns in the order they matter, so the last ones give way first. When the table is resized, or
rows change the widths, the shown columns are chosen again — at a wider terminal more show.

Screens use it as a DataTable: `add_column`, `add_row`, `update_cell` and `clear` keep working
whether a column is shown or not.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets.data_table import ColumnKey, RowKey

from inspect_app.widgets.plain import DataTable


def _cell_width(cell: object) -> int:
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.splitlines()), default=0)
    if isinstance(cell, float):
        return len(f"{cell:.2f}")
    return cell_len(str(cell))


class FitDataTable(DataTable):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._all_columns: list[tuple[object, str]] = []  # (label, key), in the order they matter
        self._all_rows: dict[str, list[object]] = {}  # row key -> every cell, in column order
        self._widths: list[int] = []  # widest cell (or label) of each column
        self._shown: list[str] = []  # keys of the columns on show
        self._refit_pending = False

    # --- what the screens call --------------------------------------------------------------

    def add_column(self, label, *, width=None, key=None, default=None) -> ColumnKey:
        key = key or f"column-{len(self._all_columns)}"
        self._all_columns.append((label, key))
        self._widths.append(_cell_width(label))
        for cells in self._all_rows.values():
            cells.append(default)
        if self._fits_with(len(self._all_columns)):
            self._shown.append(key)
            super().add_column(label, width=width, key=key, default=default)
        self._schedule_refit()
        return ColumnKey(key)

    def add_row(self, *cells, height=1, key=None, label=None) -> RowKey:
        cells = list(cells) + [None] * (len(self._all_columns) - len(cells))
        row_key = super().add_row(*self._shown_cells(cells), height=height, key=key, label=label)
        self._all_rows[row_key.value] = cells
        for index, cell in enumerate(cells):
            self._widths[index] = max(self._widths[index], _cell_width(cell))
        self._schedule_refit()
        return row_key

    def update_cell(self, row_key, column_key, value, *, update_width=False) -> None:
        row, column = getattr(row_key, "value", row_key), getattr(column_key, "value", column_key)
        index = [key for _, key in self._all_columns].index(column)
        self._all_rows[row][index] = value
        self._widths[index] = max(self._widths[index], _cell_width(value))
        if column in self._shown:
            super().update_cell(row_key, column_key, value, update_width=update_width)
        self._schedule_refit()

    def clear(self, columns: bool = False):
        self._all_rows.clear()
        if columns:
            self._all_columns, self._widths, self._shown = [], [], []
        else:
            self._widths = [_cell_width(label) for label, _ in self._all_columns]
        return super().clear(columns=columns)

    @property
    def shown_columns(self) -> list[str]:
        return list(self._shown)

    # --- fitting ------------------------------------------------------------------------------

    def _available(self) -> int | None:
        """Cells for columns, or None while the table has not been laid out (show them all then:
        a width read before the first layout is 0 and would leave no column)."""
        if not self.size.width:
            return None
        scrollbar = self.styles.scrollbar_size_vertical if len(self._all_rows) + 1 > self.size.height else 0
        return self.size.width - scrollbar

    def _column_width(self, index: int) -> int:
        return self._widths[index] + 2 * self.cell_padding

    def _fitting(self) -> list[str]:
        available = self._available()
        keys = [key for _, key in self._all_columns]
        if available is None:
            return keys
        used, shown = 0, []
        for index, key in enumerate(keys):
            used += self._column_width(index)
            if used > available and shown:  # the first column always shows
                break
            shown.append(key)
        return shown

    def _fits_with(self, count: int) -> bool:
        available = self._available()
        return available is None or sum(self._column_width(i) for i in range(count)) <= available or count == 1

    def _shown_cells(self, cells: list[object]) -> list[object]:
        keys = [key for _, key in self._all_columns]
        return [cells[keys.index(key)] for key in self._shown]

    def _schedule_refit(self) -> None:
        if not self._refit_pending:
            self._refit_pending = True
            self.call_after_refresh(self._refit)

    def on_resize(self) -> None:
        self._schedule_refit()

    def _refit(self) -> None:
        self._refit_pending = False
        wanted = self._fitting()
        if wanted == self._shown:
            return
        cursor_row, cursor_column = self.cursor_row, self.cursor_column
        labels = dict((key, label) for label, key in self._all_columns)
        rows = list(self._all_rows.items())
        super().clear(columns=True)
        self._shown = wanted
        for key in wanted:
            super().add_column(labels[key], key=key)
        for row_key, cells in rows:
            super().add_row(*self._shown_cells(cells), key=row_key)
        if rows:
            self.move_cursor(row=min(cursor_row, len(rows) - 1), column=min(cursor_column, len(wanted) - 1),
                             scroll=True)
