"""今日任务 / Tasks: the inspection tasks this device holds (sync brings a park device only its
parks'), in the order of a walk — park, building, floor, unit — each with its tenant, window,
inspectors and status (services/plan_tasks.py computes it against the app's China date).

A park's name and a building/floor are written on the first row of their group only, so the groups
read down the table. Enter starts the task's inspection (or resumes it) through
`start_task_inspection`, which links the inspection to the task, and opens the checklist as the
ledger's `i` does; the list is read again when the checklist closes. The office's comment on a
returned notice or a change request of the task's inspection is on the row and the detail line.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, INSPECTION, NOTICE, AppScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.start_inspection import templates_for
from inspect_app.services.errors import UserError
from inspect_app.services.notice_review import inspection_notes
from inspect_app.services.plan_tasks import TaskRow, device_tasks, start_task_inspection
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

COLUMNS = ("park", "place", "tenant", "window", "inspectors", "status")
PARK_WIDTH = 12  # cells; the detail line has the whole names
TENANT_WIDTH = 18
FIRST_ROWS = 60  # more than a tall terminal shows
CHUNK = 500  # rows added between two refreshes after the first screenful
STATUS_STYLE = {"missed": "bold red", "overdue": "bold red", "done": "green", "in_progress": "bold",
                "upcoming": "dim"}


def window_text(row: TaskRow) -> str:
    return t("tui.tasks.window", start=row.window_start.isoformat(), end=row.complete_by.isoformat())


def place_text(row: TaskRow) -> str:
    floor = t("tui.tasks.floor", floor=row.floor) if row.floor is not None else ""
    return " ".join(p for p in (row.building, floor) if p)


class TasksScreen(AppScreen[None]):
    DEFAULT_CSS = """
    TasksScreen #tasks { height: 1fr; }
    TasksScreen #tasks-detail { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    """
    ENTER_OPENS_ROW = "start"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("enter", "start", "tui.tasks.start", id="tasks.start"),
        Binding("f5", "reload", "tui.tasks.reload", id="tasks.reload"),
        Binding("escape", "back", "tui.common.back", id="tasks.back"),
    ]
    SHOWS = frozenset({INSPECTION, HAZARD, NOTICE})  # a task's status follows its inspection and notes

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[TaskRow] = []
        self.notes: dict[str, str] = {}  # inspection id -> the office's comment
        self.keep: str | None = None  # the task the cursor was on before the list was read again
        self.today: date | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.tasks.title"), id="tasks-title", classes="screen-title")
        yield DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        yield Static("", id="tasks-detail")
        yield Static(t("tui.common.loading"), id="tasks-status", classes="status-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#tasks", DataTable)
        for key in COLUMNS:
            table.add_column(t(f"tui.tasks.col_{key}"), key=key)
        table.focus()
        self.reload()

    def refresh_data(self) -> None:
        if self.today is not None:  # else the first load is still under way
            self.reload()  # an inspection finished or started from here changes a task's status

    def reload(self) -> None:
        self.today = self.app.today
        self.load(self.today)

    @work(thread=True, exclusive=True, group="tasks")
    def load(self, today: date) -> None:
        # The first screenful is read alone (the database sorts, only those rows become objects) and
        # shown at once; then every task, appended below it: the first rows show within 100 ms
        # whatever the number of tasks (benchmarks/tasks_screen.py).
        worker = get_current_worker()
        for limit in (FIRST_ROWS, None):
            rows = device_tasks(self.app.store, today=today, limit=limit)
            notes = inspection_notes(self.app.store, [r.inspection_id for r in rows if r.inspection_id])
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self.show, rows, notes, complete=limit is None or len(rows) < limit)
            if len(rows) < FIRST_ROWS:
                return  # that was all of them

    def show(self, rows: list[TaskRow], notes: dict[str, str], *, complete: bool = True) -> None:
        """Show a reading: its first screenful (`complete` False) or all of it. Rows already in the
        table that the reading still has as they are stay; the rest are added after them."""
        table = self.query_one("#tasks", DataTable)
        shown = min(table.row_count, len(rows))
        unchanged = rows[:shown] == self.rows[:shown] and all(
            notes.get(r.inspection_id) == self.notes.get(r.inspection_id) for r in rows[:shown])
        if unchanged and shown and not complete:
            return  # the table still holds: the whole reading follows
        if not unchanged or not shown or len(rows) < table.row_count:
            selected = self._selected()
            if selected is not None:
                self.keep = selected.id
            table.clear()
        self.rows, self.notes = rows, notes
        if not table.row_count:
            self._add_rows(0, FIRST_ROWS, rows)
        if complete:
            if len(rows) > table.row_count:
                self.call_after_refresh(self._add_rows, table.row_count, len(rows), rows)
            counts = {s: sum(r.status == s for r in rows) for s in ("open", "in_progress", "overdue", "missed", "done")}
            self.query_one("#tasks-status", Static).update(
                t("tui.tasks.status", count=formatting.count(len(rows)),
                  **{k: formatting.count(v) for k, v in counts.items()})
                if rows else t("tui.tasks.empty"))
        self._show_detail()

    def _cursor_to_kept(self) -> None:
        """Back on the task the cursor was on before the list was read again, once its row is in."""
        table = self.query_one("#tasks", DataTable)
        index = next((i for i, r in enumerate(self.rows[:table.row_count]) if r.id == self.keep), None)
        if index is not None:
            table.move_cursor(row=index)
            self.keep = None

    def _add_rows(self, start: int, end: int, rows: list[TaskRow]) -> None:
        """Rows start..end of `rows`, a chunk at a time after each refresh, so keys still work while
        2,000 rows go in; nothing when the list was read again meanwhile."""
        if rows is not self.rows:
            return
        table = self.query_one("#tasks", DataTable)
        stop = min(end, start + CHUNK) if start else min(end, FIRST_ROWS)
        previous = rows[start - 1] if start else None
        for row in rows[start:stop]:
            new_park = previous is None or previous.park_id != row.park_id
            new_place = new_park or (previous.building, previous.floor) != (row.building, row.floor)
            table.add_row(formatting.clip(row.park_name, PARK_WIDTH) if new_park else "",
                          place_text(row) if new_place else "", self._tenant_cell(row), window_text(row),
                          "、".join(row.inspectors), self._status_cell(row), key=row.id)
            previous = row
        if self.keep is not None:
            self._cursor_to_kept()
        if start and stop < end:
            self.call_after_refresh(self._add_rows, stop, end, rows)

    def _tenant_cell(self, row: TaskRow) -> Text:
        text = Text(formatting.narrow_name(row.tenant_name, TENANT_WIDTH))
        if row.inspection_id in self.notes:
            text = Text(t("tui.tasks.note_mark"), style="bold yellow") + text
        return text

    def _status_cell(self, row: TaskRow) -> Text:
        return Text(t(f"tui.tasks.state.{row.status}"), style=STATUS_STYLE.get(row.status, ""))

    def _selected(self) -> TaskRow | None:
        table = self.query_one("#tasks", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#tasks")
    def _show_detail(self) -> None:
        row = self._selected()
        text = Text()
        if row is not None:
            note = self.notes.get(row.inspection_id or "")
            if note:  # first, before the cut of a narrow screen
                text.append(t("tui.review.hazard_note", comment=note) + "\n", style="bold yellow")
            text.append(" · ".join(p for p in (row.park_name, place_text(row), row.unit_no, row.tenant_name,
                                               row.credit_code, row.plan_name) if p))
        self.query_one("#tasks-detail", Static).update(text)

    @on(DataTable.RowSelected, "#tasks")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        row = self._selected()
        if row is None:
            return
        templates, _problems = templates_for("tenant")
        if not templates:
            self.notify(t("tui.tasks.no_template"), severity="warning")
            return
        try:  # fire safety first: a drawn 双随机 task is a fire-safety inspection
            inspection_id = start_task_inspection(self.app.store, row.id, templates[0])
        except UserError as exc:
            self.notify(exc.message(), severity="warning")
            return
        self.announce(INSPECTION)
        self.app.push_screen(InspectionScreen(inspection_id))

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self):
        yield SystemCommand(t("tui.tasks.reload"), t("tui.tasks.reload_help"), self.action_reload)
