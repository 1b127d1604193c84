"""The due list (待检清单): a park's tenants due for inspection (every park's from a county-wide
ledger), each with why — a hazard deadline close or past, never inspected, or longer ago than the
interval of its risk class (services/lookback.py, `[inspection]` of config.toml).

It opens most pressing first; `b` switches to building, floor and unit so that a walk through a
building is one pass. Enter opens the tenant, `i` inspects it, as on the ledger.
"""

from __future__ import annotations

from datetime import date

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, INSPECTION, TENANT, AppScreen
from inspect_app.screens.start_inspection import begin_inspection
from inspect_app.screens.tenant_form import TenantFormScreen
from inspect_app.services.lookback import DueRow, due_list, due_reason_text, sort_due
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

NAME_WIDTH = 18  # cells; the name's end tells tenants of one park apart, the detail line has it whole
LOCATION_WIDTH = 12


class DueScreen(AppScreen):
    DEFAULT_CSS = """
    DueScreen #due { height: 1fr; }
    DueScreen #due-detail { height: 1; padding: 0 1; color: $text-muted; }
    """
    ENTER_OPENS_ROW = "open_tenant"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("enter", "open_tenant", "tui.ledger.open", id="due.open", show=False),
        Binding("i", "inspect", "tui.inspection.ledger_inspect", id="due.inspect"),
        Binding("b", "toggle_sort", "tui.due.sort_place", id="due.sort_place"),
        Binding("escape", "back", "tui.common.back", id="due.back"),
    ]
    SHOWS = frozenset({TENANT, INSPECTION, HAZARD})  # an inspection or an edit may take a tenant off

    def __init__(self, park_id: str | None, *, park_label: str | None = None):
        super().__init__()
        self.park_id = park_id
        self.park_label = park_label
        self.rows: list[DueRow] = []
        self.by_place = False
        self.today: date | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        title = t("tui.due.title_park", park=self.park_label) if self.park_label else t("tui.due.title_all")
        yield Static(title, id="due-title", classes="screen-title")
        yield DataTable(id="due", cursor_type="row", zebra_stripes=True)
        yield Static("", id="due-detail")
        yield Static(t("tui.common.loading"), id="due-status", classes="status-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#due", DataTable)
        for key in ("name", "location", "last", "why"):
            table.add_column(t(f"tui.due.col_{key}"), key=key)
        table.focus()
        self.reload()

    def refresh_data(self) -> None:
        if self.today is not None:  # else the first load is still under way
            self.reload()

    def reload(self) -> None:
        self.today = self.app.today
        self.load(self.today, self.by_place)

    @work(thread=True, exclusive=True, group="due")
    def load(self, today: date, by_place: bool) -> None:
        rows = due_list(self.app.store, self.park_id, today=today, by_place=by_place, rules=self.app.settings.due_rules)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[DueRow], keep: str | None = None) -> None:
        table = self.query_one("#due", DataTable)
        keep = keep or (self._selected().tenant_id if self._selected() else None)
        table.clear()
        self.rows = rows
        for row in rows:
            table.add_row(*self._cells(row), key=row.tenant_id)
        index = next((i for i, r in enumerate(rows) if r.tenant_id == keep), 0)
        if rows:
            table.move_cursor(row=index)
        order = t("tui.due.order_place" if self.by_place else "tui.due.order_urgent")
        self.query_one("#due-status", Static).update(
            t("tui.due.status", count=formatting.count(len(rows)), order=order) if rows else t("tui.due.empty"))
        self._show_detail()

    def _cells(self, row: DueRow) -> list[str]:
        last = row.last_inspected.strftime("%y-%m-%d") if row.last_inspected else t("tui.due.never")
        if row.unfinished:
            last = t("tui.lookback.unfinished_mark") + last
        return [formatting.narrow_name(row.name, NAME_WIDTH), formatting.clip(row.location, LOCATION_WIDTH), last,
                due_reason_text(row, self.today)]

    def _selected(self) -> DueRow | None:
        table = self.query_one("#due", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#due")
    def _show_detail(self) -> None:
        row = self._selected()
        text = ""
        if row is not None:
            parts = [row.name, row.location, due_reason_text(row, self.today)]
            if row.unfinished:
                parts.append(t("tui.due.unfinished"))
            text = " · ".join(p for p in parts if p)
        self.query_one("#due-detail", Static).update(text)

    def action_toggle_sort(self) -> None:
        self.by_place = not self.by_place
        self.show(sort_due(self.rows, by_place=self.by_place))

    @on(DataTable.RowSelected, "#due")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_tenant()

    def action_open_tenant(self) -> None:
        row = self._selected()
        if row is not None:
            self.app.push_screen(TenantFormScreen(park_id=row.park_id, tenant_id=row.tenant_id))

    def action_inspect(self) -> None:
        row = self._selected()
        if row is None:
            self.notify(t("tui.start_inspection.no_tenant"), severity="warning")
            return
        begin_inspection(self, park_id=row.park_id, tenant_id=row.tenant_id, subject=row.name)

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self):
        yield SystemCommand(t("tui.due.sort_place"), t("tui.due.sort_place_help"), self.action_toggle_sort)
        yield SystemCommand(t("tui.inspection.ledger_inspect"), t("tui.inspection.ledger_inspect_help"),
                            self.action_inspect)
