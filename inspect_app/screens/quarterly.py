"""Quarterly operating data for a whole park, one quarter at a time (季度经营数据录入).

Built for typing a park's figures from a stack of forms: one line per tenant, output / power /
water / tax / difficulties; Enter or Tab moves to the next cell, ↑/↓ to the same cell of the row
above or below. A row is checked and saved when the cursor leaves it (or with Ctrl+S): refused
values are shown under the row and nothing is written; implausible ones are saved and shown as a
warning. The mark says ✓ only after the transaction committed. [ and ] switch quarter; the
previous quarter's figures are the placeholders, and the panel at the bottom shows the previous
quarter and the same quarter last year for the current row.

Saves run one after another in a thread worker (a queue), so two saves of a row never overtake.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
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
from inspect_app.bindings import TranslatedBindings
from inspect_app.services.errors import UserError
from inspect_app.services.quarterly import QuarterGrid, SavedQuarter, load_grid, save_quarter
from inspect_app.widgets.quarter_row import QuarterRow


@dataclass(frozen=True)
class _SaveJob:
    row: QuarterRow
    quarter: Quarter
    data: QuarterlyInput
    typed: dict[str, str]


class QuarterlyScreen(TranslatedBindings, Screen):
    # Widths: the name as in widgets/quarter_row.py (16), then the figures; Inputs and headers alike.
    DEFAULT_CSS = """
    QuarterlyScreen #q-columns { height: 1; color: $text-muted; text-style: bold; }
    QuarterlyScreen #q-columns Static { width: auto; }
    QuarterlyScreen #q-columns .q-col-mark { width: 2; }
    QuarterlyScreen #q-columns .q-col-name { width: 16; }
    QuarterlyScreen #q-columns .q-col { margin-right: 1; }
    QuarterlyScreen .q-output_value_wan, QuarterlyScreen #q-columns .q-col-output_value_wan { width: 9; }
    QuarterlyScreen .q-electricity_kwh, QuarterlyScreen #q-columns .q-col-electricity_kwh { width: 10; }
    QuarterlyScreen .q-water_t, QuarterlyScreen #q-columns .q-col-water_t { width: 8; }
    QuarterlyScreen .q-tax_wan, QuarterlyScreen #q-columns .q-col-tax_wan { width: 8; }
    QuarterlyScreen .q-difficulties, QuarterlyScreen #q-columns .q-col-difficulties { width: 1fr; }
    QuarterlyScreen #q-rows { height: 1fr; }
    QuarterlyScreen Input > .input--placeholder { text-style: italic; }
    QuarterlyScreen #q-context { height: 3; padding: 0 1; color: $text-muted; background: $boost; }
    """
    BINDINGS = [
        Binding("left_square_bracket", "previous_quarter", "tui.quarterly.previous", id="quarterly.previous",
                key_display="[", priority=True),
        Binding("right_square_bracket", "next_quarter", "tui.quarterly.next", id="quarterly.next",
                key_display="]", priority=True),
        Binding("ctrl+s", "save_row", "tui.quarterly.save", id="quarterly.save", priority=True),
        # priority: the scrolling container would otherwise take ↑/↓ to scroll by a line
        Binding("up", "row_up", "tui.quarterly.row_up", id="quarterly.row_up", show=False, priority=True),
        Binding("down", "row_down", "tui.quarterly.row_down", id="quarterly.row_down", show=False, priority=True),
        Binding("escape", "back", "tui.common.back", id="quarterly.back"),
    ]

    def __init__(self, park_id: str, quarter: Quarter | None = None):
        super().__init__()
        self.park_id = park_id
        self.quarter = quarter
        self.grid: QuarterGrid | None = None
        self.rows: list[QuarterRow] = []
        self.active: QuarterRow | None = None
        self._leave_armed = False  # Esc pressed once with unsaved refused rows
        self._queue: deque[_SaveJob] = deque()
        self._queue_lock = threading.Lock()
        self._saver_running = False
        self._saves_done = threading.Event()  # set while no save is queued or running
        self._saves_done.set()

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="q-title", classes="screen-title")
        with Horizontal(id="q-columns"):
            yield Static("", classes="q-col-mark")
            yield Static(t("tui.quarterly.col_name"), classes="q-col-name")
            for name in QUARTERLY_FIELDS:
                yield Static(t(f"tui.quarterly.col_{name}"), classes=f"q-col q-col-{name}")
        yield VerticalScroll(id="q-rows", can_focus=False)
        yield Static("", id="q-context")
        yield Static(t("tui.common.loading"), id="q-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        if self.quarter is None:
            self.quarter = last_complete_quarter(self.app.today)
        self.load(self.quarter)

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="quarterly-load")
    def load(self, quarter: Quarter) -> None:
        # The row saved on the way out of a quarter is the new quarter's "previous": read after it.
        self._saves_done.wait(timeout=30)
        grid = load_grid(self.app.store, self.park_id, quarter)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_grid, grid)

    async def show_grid(self, grid: QuarterGrid) -> None:
        self.grid, self.quarter = grid, grid.quarter
        self.active = None
        self._leave_armed = False
        container = self.query_one("#q-rows", VerticalScroll)
        await container.remove_children()
        self.rows = [
            QuarterRow(index, tenant_id=row.tenant_id, name=row.name, in_park=row.in_park, current=row.current,
                       previous=row.previous)
            for index, row in enumerate(grid.rows)
        ]
        await container.mount_all(self.rows)
        self.query_one("#q-title", Static).update(
            t("tui.quarterly.title", park=f"{grid.park_code} {grid.park_name}", quarter=quarter_label(grid.quarter)))
        self._update_status()
        if not self.rows:
            self.query_one("#q-context", Static).update(t("tui.quarterly.no_tenants"))
            return
        # Start where the work is: the first tenant with nothing reported for the quarter.
        first = next((r for r in self.rows if r.current is None or r.current.is_blank()), self.rows[0])
        first.input(QUARTERLY_FIELDS[0]).focus()

    def _update_status(self, extra: str = "") -> None:
        reported = sum(1 for r in self.rows if r.current is not None and not r.current.is_blank())
        counts = t("tui.quarterly.status", reported=reported, total=len(self.rows))
        self.query_one("#q-status", Static).update(f"{counts} · {extra or t('tui.quarterly.hint')}")

    def _show_context(self, row: QuarterRow) -> None:
        """The current tenant in full, and its figures a quarter and a year earlier."""
        grid_row = self.grid.rows[row.index]
        lines = [" ".join(part for part in (
            grid_row.name, grid_row.location,
            t("tui.quarterly.size", area=formatting.area(grid_row.rented_area_m2),
              headcount=formatting.count(grid_row.headcount))) if part)]
        for label_key, quarter, data in (
            ("tui.quarterly.previous_quarter", previous_quarter(self.quarter), grid_row.previous),
            ("tui.quarterly.last_year", same_quarter_last_year(self.quarter), grid_row.last_year),
        ):
            if data is None or data.is_blank():
                figures = t("tui.quarterly.none")
            else:
                figures = "  ".join(f"{t(f'tui.quarterly.short_{name}')} {_shown(getattr(data, name))}"
                                    for name in NUMBER_FIELDS)
            lines.append(f"{t(label_key, quarter=quarter_code(quarter))}  {figures}")
        self.query_one("#q-context", Static).update("\n".join(formatting.clip(line, 76) for line in lines))

    # --- moving -------------------------------------------------------------------------------

    @on(DescendantFocus)
    def _focus_moved(self, event: DescendantFocus) -> None:
        row = next((node for node in event.widget.ancestors if isinstance(node, QuarterRow)), None)
        if row is None or row is self.active:
            return
        if self.active is not None:
            self.active.remove_class("-active")
            self.commit(self.active)
        self.active = row
        row.add_class("-active")
        self._show_context(row)

    @on(Input.Submitted)
    def _next_cell(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _move(self, step: int) -> None:
        focused = self.focused
        if not isinstance(focused, Input) or self.active is None:
            return
        target = self.active.index + step
        if 0 <= target < len(self.rows):
            self.rows[target].input(focused.name).focus()
            self.rows[target].scroll_visible()

    def action_row_up(self) -> None:
        self._move(-1)

    def action_row_down(self) -> None:
        self._move(+1)

    # --- checking and saving ------------------------------------------------------------------

    def commit(self, row: QuarterRow) -> bool:
        """Check the row and queue its save if it changed; False when it holds refused values."""
        if not row.changed():
            if row.state in ("dirty", "error"):
                row.show("")  # typed back to what is stored
            return True
        typed = row.typed()
        try:
            data = QuarterlyInput.model_validate(typed)
        except ValidationError as exc:
            messages = field_messages(exc)
            row.show("error", "  ".join(f"{t(f'tui.quarterly.short_{n}')}: {m}" for n, m in messages.items()))
            self._update_status(t("tui.quarterly.not_saved", name=row.tenant_name))
            return False
        row.show("saving")
        self._enqueue(_SaveJob(row, self.quarter, data, typed))
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
                    result = save_quarter(self.app.store, tenant_id=job.row.tenant_id, quarter=job.quarter,
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

    def _saved(self, job: _SaveJob, result: SavedQuarter) -> None:
        if job.quarter != self.quarter or not job.row.is_attached:
            return  # saved, but the grid now shows another quarter
        job.row.saved(result.data, job.typed)
        messages = warnings_by_field(result.warnings)
        if job.row.changed():
            job.row.show("dirty")
        elif messages:
            job.row.show("warning", "  ".join(f"{t(f'tui.quarterly.short_{n}')}: {m}" for n, m in messages.items()))
        else:
            job.row.show("saved")
        self._update_status(t("tui.quarterly.saved", name=job.row.tenant_name))

    def _save_refused(self, job: _SaveJob, message: str) -> None:
        if not job.row.is_attached:
            return
        job.row.show("error", message)
        self._update_status(t("tui.quarterly.not_saved", name=job.row.tenant_name))

    @on(Input.Changed)
    def _typing(self, event: Input.Changed) -> None:
        row = next((node for node in event.input.ancestors if isinstance(node, QuarterRow)), None)
        if row is not None and row.state in ("", "saved", "warning") and row.changed():
            row.show("dirty")

    def action_save_row(self) -> None:
        if self.active is not None:
            self.commit(self.active)

    def _refused_rows(self) -> list[QuarterRow]:
        return [row for row in self.rows if row.state == "error" and row.changed()]

    def _leave_quarter(self) -> bool:
        """Save the current row; refuse to leave while it holds refused values."""
        if self.active is not None and not self.commit(self.active):
            self.notify(t("tui.quarterly.fix_first", name=self.active.tenant_name), severity="warning")
            return False
        return True

    def action_previous_quarter(self) -> None:
        if self.quarter and self._leave_quarter():
            self.load(previous_quarter(self.quarter))

    def action_next_quarter(self) -> None:
        if self.quarter and self._leave_quarter():
            self.load(next_quarter(self.quarter))

    def action_back(self) -> None:
        if self.active is not None:
            self.commit(self.active)
        refused = self._refused_rows()
        if refused and not self._leave_armed:
            self._leave_armed = True
            self.notify(t("tui.quarterly.leave_unsaved", count=len(refused)), severity="warning", timeout=6)
            return
        self.app.pop_screen()

    def palette_commands(self):
        yield SystemCommand(t("tui.quarterly.previous"), t("tui.quarterly.previous_help"), self.action_previous_quarter)
        yield SystemCommand(t("tui.quarterly.next"), t("tui.quarterly.next_help"), self.action_next_quarter)
        yield SystemCommand(t("tui.quarterly.save"), t("tui.quarterly.save_help"), self.action_save_row)


def _shown(value: float | None) -> str:
    if value is None:
        return "—"
    return formatting.area(value) if value >= 100 else formatting.input_text(round(value, 2))
