"""A park's buildings (楼栋): the figures the county's rules compare a tenant with — design fire-hazard
class, fire-resistance grade, floors, sprinklers, alarm, the unified manager of a shared building.

`b` on the park's ledger opens it; `a` adds a building, Enter changes the highlighted one
(screens/building_form.py). A building is named as the ledger names it, so its tenants are those
whose ledger building is that name (forms/rule_checks.py): the count column says how many.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.catalogues import label
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import TENANT, AppScreen
from inspect_app.screens.building_form import BuildingFormScreen
from inspect_app.services.buildings import BuildingRow, list_buildings, tenants_per_building
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

COLUMNS = ("name", "tenants", "design_hazard_class", "fire_resistance_grade", "floors", "sprinklers",
           "fire_alarm", "manager_name")


def _yes_no(value: bool | None) -> str:
    if value is None:
        return t("buildings.unknown")
    return t("buildings.yes") if value else t("buildings.no")


class BuildingsScreen(AppScreen):
    DEFAULT_CSS = """
    BuildingsScreen #buildings { height: 1fr; }
    """
    ENTER_OPENS_ROW = "edit"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("a", "add", "tui.buildings.add", id="buildings.add"),
        Binding("enter", "edit", "tui.buildings.edit", id="buildings.edit"),
        Binding("escape", "back", "tui.common.back", id="buildings.back"),
    ]
    SHOWS = frozenset({TENANT})  # buildings and the ledger's building names (a sync, an import)

    def __init__(self, park_id: str, park_label: str):
        super().__init__()
        self.park_id = park_id
        self.park_label = park_label
        self.rows: list[BuildingRow] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("buildings.title", park=self.park_label), classes="screen-title")
        yield FitDataTable(id="buildings", cursor_type="row", zebra_stripes=True)
        yield Static(t("tui.common.loading"), id="buildings-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#buildings", DataTable)
        for key in COLUMNS:
            header = t("buildings.tenants") if key == "tenants" else t(f"tui.buildings.col_{key}")
            table.add_column(header, key=key)
        table.focus()
        self.reload()

    def refresh_data(self) -> None:
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        table = self.query_one("#buildings", DataTable)
        if keep is None and self.rows and 0 <= table.cursor_row < len(self.rows):
            keep = self.rows[table.cursor_row].id
        self.load(keep)

    @work(thread=True, exclusive=True, group="buildings")
    def load(self, keep: str | None) -> None:
        rows = list_buildings(self.app.store, self.park_id)
        counts = tenants_per_building(self.app.store, self.park_id)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rows, counts, keep)

    def show(self, rows: list[BuildingRow], counts: dict[str, int], keep: str | None) -> None:
        self.rows = rows
        self.loaded = True
        table = self.query_one("#buildings", DataTable)
        table.clear()
        for row in rows:
            table.add_row(row.name, formatting.count(counts.get(row.id, 0)),
                          label("fire_hazard_class", row.design_hazard_class) if row.design_hazard_class
                          else t("buildings.unknown"),
                          label("fire_resistance_grade", row.fire_resistance_grade) if row.fire_resistance_grade
                          else t("buildings.unknown"),
                          formatting.count(row.floors) if row.floors else t("buildings.unknown"),
                          _yes_no(row.sprinklers), _yes_no(row.fire_alarm),
                          row.manager_name or t("buildings.unknown"), key=row.id)
        ids = [r.id for r in rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        status = t("tui.buildings.status", count=len(rows)) if rows else t("buildings.empty")
        self.query_one("#buildings-status", Static).update(status)

    def _selected(self) -> BuildingRow | None:
        table = self.query_one("#buildings", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowSelected, "#buildings")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_add(self) -> None:
        self._open_form(None)

    def action_edit(self) -> None:
        row = self._selected()
        if row is not None:
            self._open_form(row.id)

    def _open_form(self, building_id: str | None) -> None:
        screen = BuildingFormScreen(park_id=self.park_id, park_label=self.park_label, building_id=building_id)
        self.app.push_screen(screen, lambda saved: self.reload(keep=saved) if saved else None)

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self):
        yield SystemCommand(t("tui.buildings.add"), t("tui.buildings.add_help"), self.action_add)
        yield SystemCommand(t("tui.buildings.edit"), t("tui.buildings.edit_help"), self.action_edit)
