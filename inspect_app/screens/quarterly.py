"""Quarterly operating data for a whole park, one quarter at a time (季度经营数据录入).

Built for typing a park's figures from a stack of forms, like a spreadsheet: a table with a line
per tenant (output / power / water / tax / difficulties) and one editor line under it that always
has the keyboard. Type a value; Enter or Tab moves right (from the last column to the next
tenant), ↑/↓ to the same column of the row above or below, Shift+Tab left. A row is checked and
saved when the cursor leaves it (or with Ctrl+S). A refused value keeps the cursor in its row, the
cell red and the reason under the table, and nothing is written; Esc puts the row back as stored.
Implausible figures are saved and the reason shown as a warning. The mark says ✓ only after the
transaction committed. [ and ] switch quarter. An empty cell shows last quarter's figure in grey
italics; the two lines under the editor show the current tenant's previous quarter and the same
quarter last year.

One DataTable, not a widget per cell: a park of 300 tenants would otherwise be 2,000 widgets and
seconds to build. Saves run one after another in a thread worker (a queue), so two saves of a row
never overtake each other, and a quarter is loaded only after the saves queued before it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass, field

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.errors import field_messages
from forms.i18n import t
from forms.quarterly import (
    NUMBER_FIELDS,
    QUARTERLY_FIELDS,
    Quarter,
    QuarterlyInput,
    last_complete_quarter,
    next_quarter,
    previous_quarter,
    quarter_code,
    quarter_label,
    same_quarter_last_year,
    warnings_by_field,
)
from inspect_app import formatting
from inspect_app.screens.base import QUARTERLY, AppScreen
from inspect_app.services.errors import UserError
from inspect_app.services.quarterly import (
    GridRow,
    QuarterGrid,
    SavedQuarter,
    load_grid,
    quarters_with_data,
    save_quarter,
)
from inspect_app.widgets.grid_input import GridInput
from inspect_app.widgets.grid_table import GridTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Label, Static

# Columns: a mark, the name, then the fields. Widths fit 80 terminal columns with cell padding.
NAME_WIDTH = 14
SAVE_WAIT_ON_QUIT_S = 10
WIDTHS = {"output_value_wan": 8, "electricity_kwh": 9, "water_t": 7, "tax_wan": 8, "difficulties": 17}
FIRST_FIELD = 2  # the table column of QUARTERLY_FIELDS[0]
MARKS = {"": " ", "dirty": "•", "saving": "…", "saved": "✓", "warning": "!", "error": "✗"}
MARK_STYLES = {"saved": "green", "warning": "bold yellow", "error": "bold red", "saving": "dim"}
def figure_texts(data: QuarterlyInput | None) -> dict[str, str]:
    """Stored figures as a person would type them again (no grouping, no pointless decimals)."""
    if data is None:
        return {name: "" for name in QUARTERLY_FIELDS}
    return {name: formatting.input_text(getattr(data, name)) if name in NUMBER_FIELDS else (getattr(data, name) or "")
            for name in QUARTERLY_FIELDS}


@dataclass
class RowState:
    """What the grid knows of one tenant's line: what is stored, what is typed, how it stands."""

    tenant: GridRow
    stored: QuarterlyInput | None
    baseline: dict[str, str]  # the typed form of what is stored
    typed: dict[str, str]
    state: str = ""  # "" | dirty | saving | saved | warning | error
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, tenant: GridRow) -> RowState:
        texts = figure_texts(tenant.current)
        return cls(tenant, tenant.current, texts, dict(texts))

    def changed(self) -> bool:
        return {k: v.strip() for k, v in self.typed.items()} != {k: v.strip() for k, v in self.baseline.items()}

    @property
    def reported(self) -> bool:
        return self.stored is not None and not self.stored.is_blank()


@dataclass(frozen=True)
class _SaveJob:
    row: RowState
    quarter: Quarter
    data: QuarterlyInput
    typed: dict[str, str]


class QuarterlyScreen(AppScreen):
    DEFAULT_CSS = """
    QuarterlyScreen #q-table { height: 1fr; }
    /* The table never has focus (the editor does): show its cursor as a focused table would. */
    QuarterlyScreen #q-table > .datatable--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    QuarterlyScreen #q-editor-line { height: 1; }
    QuarterlyScreen #q-editor-label { width: auto; max-width: 46; padding: 0 1; color: $text-muted; }
    QuarterlyScreen #q-editor { width: 1fr; }
    QuarterlyScreen #q-message { height: auto; max-height: 2; padding: 0 1; }
    QuarterlyScreen #q-message.-error { color: $error; text-style: bold; }
    QuarterlyScreen #q-message.-warning { color: $warning; }
    QuarterlyScreen #q-context { height: 2; padding: 0 1; color: $text-muted; background: $boost; }
    """
    BINDINGS = [
        Binding("left_square_bracket", "previous_quarter", "tui.quarterly.previous", id="quarterly.previous",
                key_display="[", priority=True),
        Binding("right_square_bracket", "next_quarter", "tui.quarterly.next", id="quarterly.next",
                key_display="]", priority=True),
        Binding("ctrl+s", "save_row", "tui.quarterly.save", id="quarterly.save", priority=True),
        # priority: otherwise the screen would move focus on Tab, and the table would take ↑/↓
        Binding("tab", "cell_right", "tui.quarterly.cell_right", id="quarterly.cell_right", show=False, priority=True),
        Binding("shift+tab", "cell_left", "tui.quarterly.cell_left", id="quarterly.cell_left", show=False,
                priority=True),
        Binding("up", "row_up", "tui.quarterly.row_up", id="quarterly.row_up", show=False, priority=True),
        Binding("down", "row_down", "tui.quarterly.row_down", id="quarterly.row_down", show=False, priority=True),
        Binding("escape", "back", "tui.common.back", id="quarterly.back"),
    ]

    def __init__(self, park_id: str, quarter: Quarter | None = None):
        super().__init__()
        self.park_id = park_id
        self.quarter = quarter
        self.grid: QuarterGrid | None = None
        self.available: list[tuple[Quarter, int]] = []  # quarters with figures, newest first (the palette)
        self.rows: list[RowState] = []
        self.row = 0  # cursor: index in self.rows
        self.column = 0  # cursor: index in QUARTERLY_FIELDS
        self._queue: deque[_SaveJob] = deque()
        self._queue_lock = threading.Lock()
        self._saver_running = False
        self._saves_done = threading.Event()  # set while no save is queued or running
        self._saves_done.set()
        self._revert_armed: int | None = None  # Esc refused on this row: a second Esc reverts it
        self._last_note = ""  # the warning of the row saved last, until the cursor changes row again

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="q-title", classes="screen-title")
        yield GridTable(id="q-table", cursor_type="cell", zebra_stripes=True)
        with Horizontal(id="q-editor-line"):
            yield Label("", id="q-editor-label")
            yield GridInput(id="q-editor", compact=True, passed_on="[]", on_enter=self.action_cell_right)
        yield Static("", id="q-message")
        yield Static("", id="q-context")
        yield Static(t("tui.common.loading"), id="q-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#q-table", DataTable)
        table.can_focus = False  # the editor keeps the keyboard; a click on a cell moves the cursor
        table.add_column("", key="mark", width=1)
        table.add_column(t("tui.quarterly.col_name"), key="name", width=NAME_WIDTH)
        for name in QUARTERLY_FIELDS:
            table.add_column(t(f"tui.quarterly.col_{name}"), key=name, width=WIDTHS[name])
        if self.quarter is None:
            self.quarter = last_complete_quarter(self.app.today)
        self.query_one("#q-editor", GridInput).focus()
        self.load(self.quarter)

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="quarterly-load")
    def load(self, quarter: Quarter) -> None:
        # The row saved on the way out of a quarter is the new quarter's "previous": read after it.
        self._saves_done.wait(timeout=30)
        grid = load_grid(self.app.store, self.park_id, quarter)
        available = quarters_with_data(self.app.store, self.park_id)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_grid, grid, available)

    def show_grid(self, grid: QuarterGrid, available: list[tuple[Quarter, int]] | None = None) -> None:
        self.grid, self.quarter = grid, grid.quarter
        self.available = available or []
        self.rows = [RowState.of(tenant) for tenant in grid.rows]
        table = self.query_one("#q-table", DataTable)
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=row.tenant.tenant_id)
        self.query_one("#q-title", Static).update(
            t("tui.quarterly.title", park=f"{grid.park_code} {grid.park_name}", quarter=quarter_label(grid.quarter)))
        self._update_status()
        if not self.rows:
            self.query_one("#q-context", Static).update(t("tui.quarterly.no_tenants"))
            return
        # Start where the work is: the first tenant with nothing reported for the quarter.
        first = next((i for i, row in enumerate(self.rows) if not row.reported), 0)
        self._place(first, 0)

    def _cells(self, row: RowState) -> list[Text]:
        mark = Text(MARKS[row.state], style=MARK_STYLES.get(row.state, ""))
        name = Text(formatting.narrow_name(row.tenant.name, NAME_WIDTH),
                    style="" if row.tenant.in_park else "dim italic")
        return [mark, name, *(self._cell(row, name) for name in QUARTERLY_FIELDS)]

    def _cell(self, row: RowState, name: str) -> Text:
        typed = row.typed[name].strip()
        if name in row.errors:
            return Text(formatting.clip(typed, WIDTHS[name]) or "?", style="bold red reverse")
        if typed:
            return Text(formatting.clip(typed, WIDTHS[name]), style="yellow" if name in row.warnings else "")
        previous = figure_texts(row.tenant.previous)[name] if name in NUMBER_FIELDS else ""
        return Text(formatting.clip(previous, WIDTHS[name]), style="dim italic")  # last quarter, for comparison

    def _redraw(self, index: int) -> None:
        table = self.query_one("#q-table", DataTable)
        row = self.rows[index]
        for key, cell in zip(("mark", "name", *QUARTERLY_FIELDS), self._cells(row), strict=True):
            table.update_cell(row.tenant.tenant_id, key, cell)
        if index == self.row:
            self._show_message(row)

    def _update_status(self, extra: str = "") -> None:
        counts = t("tui.quarterly.status", reported=sum(r.reported for r in self.rows), total=len(self.rows))
        self.query_one("#q-status", Static).update(f"{counts} · {extra or t('tui.quarterly.hint')}")

    def _show_message(self, row: RowState) -> None:
        message = self.query_one("#q-message", Static)
        shown = row.errors or row.warnings
        if shown:
            text = "  ".join(_field_message(n, m) for n, m in shown.items())
        else:  # the row just left may have saved with a warning: say it here, where the eye is
            text = self._last_note or t(f"tui.quarterly.state_{row.state or 'none'}")
        message.update(text)
        message.set_class(bool(row.errors), "-error")
        message.set_class(not row.errors and bool(row.warnings or self._last_note), "-warning")

    def _show_context(self, row: RowState) -> None:
        """The current tenant's figures a quarter and a year earlier."""
        lines = []
        for label_key, quarter, data in (
            ("tui.quarterly.previous_quarter", previous_quarter(self.quarter), row.tenant.previous),
            ("tui.quarterly.last_year", same_quarter_last_year(self.quarter), row.tenant.last_year),
        ):
            if data is None or data.is_blank():
                figures = t("tui.quarterly.none")
            else:
                figures = "  ".join(f"{t(f'tui.quarterly.short_{name}')} {_shown(getattr(data, name))}"
                                    for name in NUMBER_FIELDS)
            lines.append(formatting.clip(f"{t(label_key, quarter=quarter_code(quarter))}  {figures}", 76))
        self.query_one("#q-context", Static).update("\n".join(lines))

    # --- the cursor ---------------------------------------------------------------------------

    def _place(self, index: int, column: int) -> None:
        """Put the cursor (table and editor) on a cell; nothing is stored or saved here."""
        self.row, self.column = index, column
        row = self.rows[index]
        name = QUARTERLY_FIELDS[column]
        self.query_one("#q-table", DataTable).move_cursor(row=index, column=FIRST_FIELD + column)
        editor = self.query_one("#q-editor", GridInput)
        editor.value = row.typed[name]
        editor.placeholder = figure_texts(row.tenant.previous)[name] if name in NUMBER_FIELDS else ""
        editor.select_all()  # typing replaces the cell, as in a spreadsheet
        size = t("tui.quarterly.size", area=formatting.area(row.tenant.rented_area_m2),
                 headcount=formatting.count(row.tenant.headcount))
        self.query_one("#q-editor-label", Label).update(
            f"{formatting.narrow_name(row.tenant.name, 12)} {size} · {t(f'tui.quarterly.col_{name}')} ▸")
        self._show_message(row)
        self._show_context(row)

    def _keep_typed(self) -> None:
        """The editor's text into the current cell."""
        if not self.rows:
            return
        row = self.rows[self.row]
        name = QUARTERLY_FIELDS[self.column]
        value = self.query_one("#q-editor", GridInput).value
        if row.typed[name] != value:
            self._revert_armed = None
            row.typed[name] = value
            row.errors.pop(name, None)
            if row.state in ("", "saved", "warning") and row.changed():
                row.state = "dirty"
            self._redraw(self.row)

    def go(self, index: int, column: int) -> None:
        """Move the cursor; leaving a row checks and saves it, and a refused row keeps the cursor."""
        if not self.rows:
            return
        self._keep_typed()
        index = max(0, min(index, len(self.rows) - 1))
        column = max(0, min(column, len(QUARTERLY_FIELDS) - 1))
        if index != self.row and not self.commit(self.row):
            return
        if index != self.row:
            self._last_note = ""
        self._revert_armed = None
        self._place(index, column)

    def action_cell_right(self) -> None:
        if self.column + 1 < len(QUARTERLY_FIELDS):
            self.go(self.row, self.column + 1)
        elif self.row + 1 < len(self.rows):
            self.go(self.row + 1, 0)
        else:  # the last cell of the last row: save it, stay
            self._keep_typed()
            self.commit(self.row)

    def action_cell_left(self) -> None:
        if self.column > 0:
            self.go(self.row, self.column - 1)
        elif self.row > 0:
            self.go(self.row - 1, len(QUARTERLY_FIELDS) - 1)

    def action_row_up(self) -> None:
        self.go(self.row - 1, self.column)

    def action_row_down(self) -> None:
        self.go(self.row + 1, self.column)

    @on(GridTable.CellClicked, "#q-table")
    def _clicked(self, event: GridTable.CellClicked) -> None:
        self.go(event.coordinate.row, max(0, event.coordinate.column - FIRST_FIELD))
        self.query_one("#q-editor", GridInput).focus()

    # --- checking and saving ------------------------------------------------------------------

    def commit(self, index: int) -> bool:
        """Check row `index` and queue its save if it changed; False (cursor stays) when refused."""
        row = self.rows[index]
        if not row.changed():
            if row.state in ("dirty", "error"):
                row.state, row.errors = "", {}
                self._redraw(index)
            return True
        try:
            data = QuarterlyInput.model_validate(row.typed)
        except ValidationError as exc:
            row.state, row.errors = "error", field_messages(exc)
            self._redraw(index)
            first_bad = next(i for i, name in enumerate(QUARTERLY_FIELDS) if name in row.errors)
            self._place(index, first_bad)
            self._update_status(t("tui.quarterly.not_saved", name=row.tenant.name))
            return False
        row.state, row.errors = "saving", {}
        self._redraw(index)
        self._enqueue(_SaveJob(row, self.quarter, data, dict(row.typed)))
        return True

    def _enqueue(self, job: _SaveJob) -> None:
        with self._queue_lock:
            self._queue.append(job)
            self._saves_done.clear()
            if self._saver_running:
                return
            self._saver_running = True
        self._drain()

    @work(thread=True, group="quarterly-save")
    def _drain(self) -> None:
        try:
            while True:
                with self._queue_lock:
                    if not self._queue:
                        self._saver_running = False
                        self._saves_done.set()
                        return
                    job = self._queue.popleft()
                try:
                    result = save_quarter(self.app.store, tenant_id=job.row.tenant.tenant_id, quarter=job.quarter,
                                          data=job.data)
                except UserError as exc:
                    self.app.call_from_thread(self._save_refused, job, exc.message())
                    continue
                self.app.call_from_thread(self._saved, job, result)
        except BaseException:  # a bug: a later quarter switch must not wait for a saver that died
            with self._queue_lock:
                self._saver_running = False
                self._saves_done.set()
            raise

    def _index_of(self, job: _SaveJob) -> int | None:
        """Where the saved row is now shown; None once the grid shows another quarter."""
        if job.quarter != self.quarter or not self.is_attached:
            return None
        return next((i for i, row in enumerate(self.rows) if row is job.row), None)

    def _saved(self, job: _SaveJob, result: SavedQuarter) -> None:
        self.announce(QUARTERLY)
        row = job.row
        row.stored, row.baseline = result.data, figure_texts(result.data)
        index = self._index_of(job)
        if index is None:
            return
        editor = self.query_one("#q-editor", GridInput)
        name = QUARTERLY_FIELDS[self.column]
        untouched = row.typed == job.typed and (index != self.row or editor.value == job.typed[name])
        if untouched:  # nothing typed since: show the figures as stored ("5万度" -> 50000)
            row.typed = dict(row.baseline)
            if index == self.row:
                editor.value = row.typed[name]
        row.warnings = warnings_by_field(result.warnings)
        row.state = "dirty" if row.changed() else "warning" if row.warnings else "saved"
        if row.warnings and index != self.row:  # the cursor has moved on: say it where the eye is
            self._last_note = t("tui.quarterly.saved_note", name=formatting.narrow_name(row.tenant.name, 12),
                                note="  ".join(_field_message(n, m) for n, m in row.warnings.items()))
        self._redraw(index)
        self._show_message(self.rows[self.row])
        self._update_status(t("tui.quarterly.saved", name=row.tenant.name))

    def _save_refused(self, job: _SaveJob, message: str) -> None:
        index = self._index_of(job)
        if index is None:
            return
        job.row.state, job.row.errors = "error", {QUARTERLY_FIELDS[0]: message}
        self._redraw(index)
        self._update_status(t("tui.quarterly.not_saved", name=job.row.tenant.name))

    def action_save_row(self) -> None:
        if self.rows:
            self._keep_typed()
            self.commit(self.row)

    # --- quarters and leaving -----------------------------------------------------------------

    def _leave_quarter(self) -> bool:
        """Save the current row first; a refused row keeps the grid where it is."""
        if not self.rows:
            return True
        self._keep_typed()
        if self.commit(self.row):
            return True
        self.notify(t("tui.quarterly.fix_first", name=self.rows[self.row].tenant.name), severity="warning")
        return False

    def switch_to(self, quarter: Quarter) -> None:
        if self.quarter and self._leave_quarter():
            self.load(quarter)

    def action_previous_quarter(self) -> None:
        if self.quarter:
            self.switch_to(previous_quarter(self.quarter))

    def action_next_quarter(self) -> None:
        if self.quarter:
            self.switch_to(next_quarter(self.quarter))

    def action_back(self) -> None:
        """Save the row and leave; on a refused row a second Esc puts the row back as stored."""
        if not self.rows:
            self.app.pop_screen()
            return
        self._keep_typed()
        row = self.rows[self.row]
        if self._revert_armed == self.row:
            row.typed, row.errors, row.state = dict(row.baseline), {}, ""
            self._revert_armed = None
            self._redraw(self.row)
            self._place(self.row, self.column)
            self._update_status(t("tui.quarterly.reverted", name=row.tenant.name))
            return
        if self.commit(self.row):
            self.app.pop_screen()
            return
        self._revert_armed = self.row
        self._update_status(t("tui.quarterly.esc_reverts"))

    async def before_quit(self) -> bool:
        """Ctrl+Q saves the row being typed, as leaving it would, and waits for queued saves (each
        a fraction of a second; waited for in a thread, so the saver can still report back to the
        UI); a refused row keeps the app open with the reason shown."""
        if self.rows and not self._leave_quarter():
            return False
        await asyncio.to_thread(self._saves_done.wait, SAVE_WAIT_ON_QUIT_S)
        return True

    def palette_commands(self):
        yield SystemCommand(t("tui.quarterly.previous"), t("tui.quarterly.previous_help"), self.action_previous_quarter)
        yield SystemCommand(t("tui.quarterly.next"), t("tui.quarterly.next_help"), self.action_next_quarter)
        yield SystemCommand(t("tui.quarterly.save"), t("tui.quarterly.save_help"), self.action_save_row)
        for quarter, count in self.available:
            yield SystemCommand(t("tui.quarterly.go_to", quarter=quarter_label(quarter)),
                                t("tui.quarterly.go_to_help", count=count), lambda q=quarter: self.switch_to(q))


def _field_message(name: str, message: str) -> str:
    return t("tui.quarterly.field_message", field=t(f"tui.quarterly.short_{name}"), message=message)


def _shown(value: float | None) -> str:
    if value is None:
        return "—"
    return formatting.area(value) if value >= 100 else formatting.input_text(round(value, 2))
