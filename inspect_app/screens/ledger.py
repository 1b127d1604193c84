"""A park's tenant ledger (园中园台账), or every park's when opened for a county-wide search.

Only a window of rows lives in the DataTable (PAGE_SIZE at a time, more appended as the cursor
reaches the end): a DataTable filled with 30,000 rows takes seconds to paint. Queries run in a
thread worker; a newer keystroke cancels the older query's result.

The county's rules (services/rules.py) are applied to the whole park once, in a worker of their
own, and kept until a tenant or building changes (DataChanged TENANT): the rows never wait for
them. Each row's count is in the narrow rules column, the highlighted tenant's first finding on
the line under the table; `g` turns a result into a hazard (a chooser when there are several),
`b` opens the park's buildings, whose figures the rules compare with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Input, Select
from textual.worker import get_current_worker

from forms.catalogues import RISK_POINTS, SCALES, label, labels
from forms.i18n import t
from forms.rules import TemplateError
from inspect_app import formatting
from inspect_app.bindings import focus_now
from inspect_app.screens.base import HAZARD, INSPECTION, TENANT, AppScreen
from inspect_app.screens.buildings import BuildingsScreen
from inspect_app.screens.due import DueScreen
from inspect_app.screens.entry import EntryScreen
from inspect_app.screens.exit_list import ExitListScreen
from inspect_app.screens.ledger_import import LedgerImportScreen
from inspect_app.screens.overview import CountyOverviewScreen, ParkOverviewScreen
from inspect_app.screens.quarterly import QuarterlyScreen
from inspect_app.screens.rule_results import RuleResultsScreen
from inspect_app.screens.start_inspection import begin_inspection
from inspect_app.screens.tenant_form import TenantFormScreen
from inspect_app.screens.tenant_leaving import TenantLeavingScreen
from inspect_app.services import dossier
from inspect_app.services.collector import collector_paused, set_aside, take_back
from inspect_app.services.errors import UserError
from inspect_app.services.ledger import LedgerQuery, LedgerRow, LedgerTotal, get_park, get_tenant, ledger_page
from inspect_app.services.notices import default_export_folder
from inspect_app.services.rules import apply_rules, hazard_from_result, tenant_results
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static
from inspect_app.widgets.sync_status import SyncStatusLine

# Two screens of a tall terminal, three of 80x24: each keystroke of a search fills the table
# again, and 100 rows cost it 8-10 ms of the 50 a keystroke may take at 300,000 tenants.
PAGE_SIZE = 50
NAME_WIDTH = 18  # cells: without its place prefix and company form a name fits; the full one is in the form
COLUMNS = ("name", "location", "rented_area_m2", "headcount", "open_hazards", "rules", "last_inspected", "scale",
           "lease_use", "risk_points")
SORT_ORDER = ("name", "location", "rented_area_m2", "headcount", "scale", "lease_use")


class LedgerScreen(AppScreen):
    DEFAULT_CSS = """
    LedgerScreen .toolbar Input { width: 1fr; }
    LedgerScreen .toolbar Select { width: 22; margin-left: 1; }
    LedgerScreen #scale-filter { width: 16; }
    LedgerScreen #ledger-rules { height: 1; padding: 0 1; color: $warning; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    # The footer shows what is done at the door (search, add, inspect, hazards, import, the tenant's
    # file, the due list); marking as left, sorting, the left tenants, the quarterly grid, the
    # park's overview, its buildings (b) and a rule result as a hazard (g, named on the line under
    # the table when the highlighted tenant has one) are in ^p and F1
    # (bindings.py: the footer at 80 columns).
    ENTER_OPENS_ROW = "open_tenant"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("slash", "focus_search", "tui.ledger.search", id="ledger.search", key_display="/"),
        Binding("enter", "open_tenant", "tui.ledger.open", id="ledger.open", show=False),
        Binding("a", "add_tenant", "tui.ledger.add", id="ledger.add"),
        Binding("i", "inspect", "tui.inspection.ledger_inspect", id="ledger.inspect"),
        Binding("l", "mark_left", "tui.ledger.mark_left", id="ledger.mark_left", show=False),
        Binding("s", "next_sort", "tui.ledger.sort", id="ledger.sort", show=False),
        Binding("r", "reverse_sort", "tui.ledger.reverse", id="ledger.reverse", show=False),
        Binding("h", "toggle_left", "tui.ledger.toggle_left", id="ledger.toggle_left", show=False),
        Binding("z", "hazards", "tui.hazards.menu", id="ledger.hazards"),
        Binding("q", "quarterly", "tui.quarterly.open", id="ledger.quarterly", show=False),
        Binding("o", "overview", "tui.overview.park_menu", id="ledger.overview", show=False),
        Binding("m", "import_ledger", "tui.ledger_import.menu", id="ledger.import"),
        Binding("d", "dossier", "tui.dossier.key", id="ledger.dossier"),
        Binding("u", "due", "tui.due.menu", id="ledger.due"),
        Binding("b", "buildings", "tui.buildings.menu", id="ledger.buildings", show=False),
        Binding("g", "rule_hazard", "tui.rules.to_hazard", id="ledger.rule_hazard", show=False),
        Binding("j", "entry", "tui.entry.menu", id="ledger.entry", show=False),
        Binding("x", "exit_list", "tui.exit.menu", id="ledger.exit_list", show=False),
        Binding("down", "focus_table", "tui.ledger.to_table", id="ledger.to_table", show=False),
        Binding("escape", "back", "tui.common.back", id="ledger.back"),
    ]
    SHOWS = frozenset({TENANT, INSPECTION, HAZARD})  # the rows, their hazard counts and inspections
    # Textual focuses the first focusable widget (the search box) as the screen appears, before
    # on_mount: an `i` typed right behind the Enter that opened the ledger landed in the search.
    AUTO_FOCUS = "#ledger"

    def __init__(self, park_id: str | None, *, focus_search: bool = False, search: str = ""):
        super().__init__()
        self.park_id = park_id
        self.focus_search = focus_search
        self.search = search  # prefilled, e.g. a tenant's name when coming from its hazard
        self.query_state = LedgerQuery(park_id=park_id, search=search, limit=PAGE_SIZE)
        self.rows: list[LedgerRow] = []
        self.total = LedgerTotal(0)
        self._loading_more = False
        # A tenant the cursor must land on once the rows are back (one just saved), whichever of
        # the form's callback and the screen's resume reloads last.
        self.wanted_tenant: str | None = None
        self.park_label: str | None = None
        # A row action asked for before the first rows arrived (an `i` typed right behind the Enter
        # that opened the ledger): it runs once the rows are shown, on the first row. One, the last
        # asked: two keys pressed while waiting must not open two screens on top of each other.
        self.first_rows_shown = False
        self.waiting_for_rows: Callable[[], None] | None = None
        # tenant id -> its results of the county's rules (None until the first evaluation is back);
        # evaluated again only when a tenant or building changed.
        self.rule_results: dict[str, list] | None = None
        self.rules_outdated = False
        self.rules_set_aside = False  # left out of the collector's passes (services/collector.py)

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="ledger-title", classes="screen-title")
        with Horizontal(classes="toolbar"):
            yield Input(self.search, placeholder=t("tui.ledger.search_placeholder"), id="search", compact=True)
            yield Select([(label("scale", s), s) for s in SCALES], prompt=t("tui.ledger.all_scales"), id="scale-filter",
                         compact=True)
            yield Select([(label("risk_point", r), r) for r in RISK_POINTS], prompt=t("tui.ledger.all_risks"),
                         id="risk-filter", compact=True)
        yield FitDataTable(id="ledger", cursor_type="row", zebra_stripes=True)
        yield Static("", id="ledger-rules")
        yield Static(t("tui.common.loading"), id="ledger-status", classes="status-line")
        yield SyncStatusLine()
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        park = get_park(self.app.store, self.park_id) if self.park_id else None
        title = f"{park.code}  {park.name}" if park else t("tui.ledger.all_parks_title")
        self.park_label = title if park else None  # the due list's title
        self.query_one("#ledger-title", Static).update(title)
        table = self.query_one("#ledger", DataTable)
        if self.park_id is None:
            table.add_column(t("tui.ledger.col_park"), key="park_code")
        # Short headers, and the columns an inspector scans first on the left, so that at 80
        # columns the name, place, size and open hazards are all in view.
        for key in COLUMNS:
            header = {"last_inspected": t("tui.lookback.col_last"), "rules": t("rules.mark")}.get(
                key) or t(f"tui.ledger.col_{key}")
            table.add_column(header, key=key)
        (self.query_one("#search", Input) if self.focus_search else table).focus()
        self.reload()
        self.load_rules()

    def on_unmount(self) -> None:
        if self.rules_set_aside:
            self.rule_results = None
            take_back()

    def on_screen_resume(self) -> None:
        self.query_one(SyncStatusLine).refresh_status()  # an edit adds pending changes

    def data_changed(self, kinds: frozenset[str]) -> None:
        if TENANT in kinds:  # a tenant or a building: the rules' results may differ
            self.rules_outdated = True
        super().data_changed(kinds)

    def refresh_data(self) -> None:
        """A tenant, an inspection or a hazard changed (a form, an inspection, the hazards view,
        a sync): read again, the cursor staying on its tenant."""
        if self.rules_outdated:
            self.rules_outdated = False
            self.load_rules()
        if self.rows:
            row = self._selected()
            self.reload(keep_tenant=self.wanted_tenant or (row.id if row else None))

    # --- loading ------------------------------------------------------------------------------

    def reload(self, *, keep_tenant: str | None = None) -> None:
        self.query_state = replace(self.query_state, offset=0, today=self.app.today)
        self.load(self.query_state, append=False, keep_tenant=keep_tenant)

    @work(thread=True, exclusive=True, group="ledger")
    def load(self, query: LedgerQuery, *, append: bool, keep_tenant: str | None = None) -> None:
        rows, total = ledger_page(self.app.store, query)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rows, total, append, keep_tenant)

    def show(self, rows: list[LedgerRow], total: LedgerTotal, append: bool, keep_tenant: str | None) -> None:
        table = self.query_one("#ledger", DataTable)
        if not append:
            table.clear()
            self.rows = []
        for row in rows:
            table.add_row(*self._cells(row), key=row.id)
        self.rows.extend(rows)
        self.total = total
        self._loading_more = False
        if keep_tenant:
            index = next((i for i, r in enumerate(self.rows) if r.id == keep_tenant), None)
            if index is not None:
                table.move_cursor(row=index)
                if keep_tenant == self.wanted_tenant:
                    self.wanted_tenant = None
        self._update_status()
        self._show_rule_line()
        if not self.first_rows_shown:
            self.first_rows_shown = True
            if self.waiting_for_rows is not None:
                self.call_after_refresh(self.waiting_for_rows)
                self.waiting_for_rows = None

    # --- the county's rules -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="ledger-rules")
    def load_rules(self) -> None:
        try:
            # The county's findings live as long as the screen: set aside from the collector as they
            # are made, before it walks them (600,000 objects at 300,000 tenants: a third of a
            # second each time, four times over as they aged, then every few keystrokes).
            with collector_paused():
                grouped = apply_rules(self.app.store, self.park_id).by_tenant()
                if set_aside(sum(map(len, grouped.values()))):
                    self.rules_set_aside = True  # whatever happens next: take_back when the screen closes
        except TemplateError:  # the office's rules file (PARKINSPECT_RULES_FILE) cannot be used
            self.app.call_from_thread(self.show_rules, {}, t("tui.rules.file_invalid"))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_rules, grouped)

    def show_rules(self, grouped: dict[str, list], problem: str = "") -> None:
        self.rule_results = grouped
        table = self.query_one("#ledger", DataTable)
        for row in self.rows:
            table.update_cell(row.id, "rules", self._rules_cell(row.id))
        self._show_rule_line(problem)

    def _rules_cell(self, tenant_id: str) -> str:
        found = (self.rule_results or {}).get(tenant_id)
        return t("tui.rules.cell", count=len(found)) if found else ""

    def _show_rule_line(self, problem: str = "") -> None:
        """The highlighted tenant's findings on the line under the table: the count, the key that makes
        a hazard, and the first one with its article (the tenant's form lists them all)."""
        row = self._selected()
        found = (self.rule_results or {}).get(row.id) if row is not None else None
        text = problem or (t("tui.rules.ledger_line", count=len(found), first=found[0].text()) if found else "")
        self.query_one("#ledger-rules", Static).update(text)

    @on(DataTable.RowHighlighted, "#ledger")
    def _rules_of_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_rule_line()

    def _cells(self, row: LedgerRow) -> list[str]:
        hazards = formatting.count(row.open_hazards) if row.open_hazards else ""
        if row.overdue_hazards:
            hazards = t("tui.ledger.hazards_overdue", open=row.open_hazards, overdue=row.overdue_hazards)
        short = formatting.narrow_name(row.name, NAME_WIDTH)
        name = short if row.status == "in_park" else t("tui.ledger.left_marker", name=short)
        cells = [name, row.location, formatting.area(row.rented_area_m2), formatting.count(row.headcount), hazards,
                 self._rules_cell(row.id), _last_inspected(row), label("scale", row.scale), label("lease_use", row.lease_use), labels("risk_point", row.risk_points)]
        return [row.park_code, *cells] if self.park_id is None else cells

    def _update_status(self) -> None:
        q = self.query_state
        # Past a few thousand matches of a search of every park the count is an estimate (db/queries.py).
        count_key = "tui.ledger.status_count_about" if self.total.estimated else "tui.ledger.status_count"
        parts = [t(count_key, total=formatting.count(self.total), shown=formatting.count(len(self.rows)))]
        parts.append(t("tui.ledger.status_sort", column=t(f"fields.tenant.{q.sort}"),
                       direction="↓" if q.descending else "↑"))
        if q.include_left:
            parts.append(t("tui.ledger.status_with_left"))
        self.query_one("#ledger-status", Static).update(" · ".join(parts))

    @on(DataTable.RowHighlighted, "#ledger")
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        near_end = event.cursor_row >= len(self.rows) - 1
        if near_end and len(self.rows) < self.total and not self._loading_more:
            self._loading_more = True
            self.query_state = replace(self.query_state, offset=len(self.rows))
            self.load(self.query_state, append=True)

    # --- search, filters, sort ----------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_state = replace(self.query_state, search=event.value.strip())
        self.reload()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.action_focus_table()

    @on(Select.Changed, "#scale-filter")
    def _scale_changed(self, event: Select.Changed) -> None:
        self.query_state = replace(self.query_state, scale=None if event.value is Select.NULL else event.value)
        self.reload()

    @on(Select.Changed, "#risk-filter")
    def _risk_changed(self, event: Select.Changed) -> None:
        self.query_state = replace(self.query_state, risk_point=None if event.value is Select.NULL else event.value)
        self.reload()

    @on(DataTable.HeaderSelected, "#ledger")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column in SORT_ORDER:
            same = self.query_state.sort == column
            self.sort_by(column, descending=not self.query_state.descending if same else False)

    def sort_by(self, column: str, *, descending: bool) -> None:
        self.query_state = replace(self.query_state, sort=column, descending=descending)
        self.reload()

    def action_next_sort(self) -> None:
        current = SORT_ORDER.index(self.query_state.sort) if self.query_state.sort in SORT_ORDER else -1
        column = SORT_ORDER[(current + 1) % len(SORT_ORDER)]
        self.sort_by(column, descending=column in ("rented_area_m2", "headcount"))

    def action_reverse_sort(self) -> None:
        self.sort_by(self.query_state.sort, descending=not self.query_state.descending)

    def action_toggle_left(self) -> None:
        self.query_state = replace(self.query_state, include_left=not self.query_state.include_left)
        self.reload()

    def action_focus_search(self) -> None:
        focus_now(self.query_one("#search", Input))  # what is typed behind `/` is the search (rule 7)

    def action_focus_table(self) -> None:
        self.query_one("#ledger", DataTable).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#search", Input) and self.query_one("#search", Input).value:
            self.query_one("#search", Input).value = ""
            return
        self.app.pop_screen()

    # --- tenant actions -----------------------------------------------------------------------

    def _selected(self) -> LedgerRow | None:
        table = self.query_one("#ledger", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _not_loaded_yet(self, action: Callable[[], None]) -> bool:
        """True (and the action kept for when the rows arrive) before the first rows are shown."""
        if self.first_rows_shown:
            return False
        self.waiting_for_rows = action
        return True

    @on(DataTable.RowSelected, "#ledger")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_tenant()

    def action_open_tenant(self) -> None:
        if self._not_loaded_yet(self.action_open_tenant):
            return
        row = self._selected()
        if row is not None:
            self._open_form(row.id)

    def action_add_tenant(self) -> None:
        if self.park_id is None:
            self.notify(t("tui.ledger.add_needs_park"), severity="warning")
            return
        self._open_form(None)

    def _open_form(self, tenant_id: str | None) -> None:
        screen = TenantFormScreen(park_id=self.park_id, tenant_id=tenant_id)
        self.app.push_screen(screen, lambda saved_id: self._tenant_saved(saved_id, added=tenant_id is None))

    def _tenant_saved(self, saved_id: str | None, *, added: bool) -> None:
        if saved_id is None:
            return
        q = self.query_state
        if added and (q.search or q.scale or q.risk_point):
            # A tenant just added must be on screen with the cursor on it, whatever the search was.
            with self.prevent(Input.Changed, Select.Changed):
                self.query_one("#search", Input).value = ""
                self.query_one("#scale-filter", Select).clear()
                self.query_one("#risk-filter", Select).clear()
            self.query_state = replace(q, search="", scale=None, risk_point=None)
            self.notify(t("tui.ledger.search_cleared_for_new"))
        self.wanted_tenant = saved_id
        self.reload(keep_tenant=saved_id)

    def action_mark_left(self) -> None:
        if self._not_loaded_yet(self.action_mark_left):
            return
        row = self._selected()
        if row is None:
            return
        if row.status == "left":  # say so: a key that does nothing looks like a broken key
            left_on = get_tenant(self.app.store, row.id).left_on
            self.notify(t("tui.ledger.already_left", name=row.name, date=left_on.isoformat() if left_on else "—"))
            return
        self.app.push_screen(TenantLeavingScreen(row.id, row.name),
                             lambda left: self.reload() if left else None)

    def action_inspect(self) -> None:
        """Inspect the selected tenant: resume its unfinished inspection, or start one."""
        if self._not_loaded_yet(self.action_inspect):
            return
        row = self._selected()
        if row is None:
            self.notify(t("tui.start_inspection.no_tenant"), severity="warning")
            return
        # A county-wide search lists every park's tenants: the row's park is then looked up.
        park_id = self.park_id or get_tenant(self.app.store, row.id).park_id
        begin_inspection(self, park_id=park_id, tenant_id=row.id, subject=row.name,
                         after=lambda _: self.reload(keep_tenant=row.id))  # hazard counts changed

    def action_hazards(self) -> None:
        self.app.open_hazards(self.park_id)

    def action_overview(self) -> None:
        """This park's overview (figures, tenants' classes and risk flags); the county's from a county-wide search."""
        self.app.push_screen(ParkOverviewScreen(self.park_id) if self.park_id else CountyOverviewScreen())

    def action_buildings(self) -> None:
        """The park's buildings: the figures (design class, floors, manager …) the rules compare with."""
        if self.park_id is None:
            self.notify(t("tui.buildings.needs_park"), severity="warning")
            return
        self.app.push_screen(BuildingsScreen(self.park_id, self.park_label or ""))

    def action_rule_hazard(self) -> None:
        """The highlighted tenant's result of a county rule as a hazard, the rule's article its legal
        basis; with several results a chooser asks which. Results are evaluated afresh for the
        tenant's park, so a hazard is never made from a result the ledger no longer has."""
        if self._not_loaded_yet(self.action_rule_hazard):
            return
        row = self._selected()
        if row is None:
            return
        park_id = self.park_id or get_tenant(self.app.store, row.id).park_id
        try:
            found = tenant_results(self.app.store, park_id, row.id)
        except TemplateError:
            self.notify(t("tui.rules.file_invalid"), severity="error")
            return
        if not found:
            self.notify(t("rules.no_results_here"), severity="warning")
        elif len(found) == 1:
            self._make_rule_hazard(park_id, found[0])
        else:
            chosen = {result.rule.code: result for result in found}
            self.app.push_screen(RuleResultsScreen(row.name, found),
                                 lambda code: self._make_rule_hazard(park_id, chosen[code]) if code else None)

    def _make_rule_hazard(self, park_id: str, result) -> None:
        try:
            hazard_from_result(self.app.store, park_id, result.tenant_id, result.rule.code, today=self.app.today)
        except UserError as exc:
            self.notify(exc.message(), severity="warning", timeout=8)
            return
        self.announce(HAZARD)  # the hazards list, the counts here and on the park list
        self.notify(t("rules.hazard_made", title=result.rule.title()), timeout=8)

    def action_due(self) -> None:
        """This park's tenants due for inspection (every park's from a county-wide search)."""
        self.app.push_screen(DueScreen(self.park_id, park_label=self.park_label))

    def action_import_ledger(self) -> None:
        if self.park_id is None:
            self.notify(t("tui.ledger_import.needs_park"), severity="warning")
            return
        park = get_park(self.app.store, self.park_id)
        self.app.push_screen(LedgerImportScreen(self.park_id, f"{park.code} {park.name}"),
                             lambda written: self.reload() if written else None)

    def action_quarterly(self) -> None:
        if self.park_id is None:
            self.notify(t("tui.quarterly.needs_park"), severity="warning")
            return
        self.app.push_screen(QuarterlyScreen(self.park_id))

    def action_entry(self) -> None:
        """Screen an applicant for this park (入园审查)."""
        if self.park_id is None:
            self.notify(t("tui.entry.needs_park"), severity="warning")
        else:
            self.app.push_screen(EntryScreen(self.park_id, self.park_label or ""))

    def action_exit_list(self) -> None:
        """This park's exit list of the last complete quarter (腾退名单)."""
        if self.park_id is None:
            self.notify(t("tui.entry.needs_park"), severity="warning")
        else:
            self.app.push_screen(ExitListScreen(self.park_id, self.park_label or ""))

    def action_dossier(self) -> None:
        """一企一档 of the selected tenant, signed, to the folder notices are exported to."""
        row = self._selected()
        if row is None:
            self.notify(t("tui.dossier.no_tenant"), severity="warning")
            return
        self.notify(t("tui.dossier.writing", name=row.name))
        self._write_dossier(row.id)

    @work(thread=True, group="dossier")
    def _write_dossier(self, tenant_id: str) -> None:
        # Rendering and signing take a moment: in a thread, so the ledger keeps answering keys.

        try:
            tenant = get_tenant(self.app.store, tenant_id)
            target = default_export_folder() / dossier.file_name(tenant)
            settings = self.app.settings
            written = dossier.write_dossier(self.app.store, tenant_id, target, keys_dir=settings.keys_dir,
                                            agency_table=settings.agency, thresholds=settings.risk_flags,
                                            calendar=settings.calendar, font=settings.pdf_font)
        except UserError as exc:
            self.app.call_from_thread(self.notify, t("tui.dossier.failed", reason=exc.message()), severity="error",
                                      timeout=10)
            return
        except OSError as exc:
            self.app.call_from_thread(self.notify, t("tui.dossier.failed", reason=exc.strerror or str(exc)),
                                      severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, t("tui.dossier.written", path=str(written.path)), timeout=10)

    def palette_commands(self):
        yield SystemCommand(t("tui.dossier.key"), t("tui.dossier.key_help"), self.action_dossier)
        yield SystemCommand(t("tui.hazards.menu"), t("tui.hazards.menu_park_help"), self.action_hazards)
        yield SystemCommand(t("tui.quarterly.open"), t("tui.quarterly.open_help"), self.action_quarterly)
        yield SystemCommand(t("tui.overview.park_menu"), t("tui.overview.park_menu_help"), self.action_overview)
        yield SystemCommand(t("tui.ledger_import.menu"), t("tui.ledger_import.menu_help"), self.action_import_ledger)
        yield SystemCommand(t("tui.inspection.ledger_inspect"), t("tui.inspection.ledger_inspect_help"),
                            self.action_inspect)
        yield SystemCommand(t("tui.due.menu"), t("tui.due.menu_help"), self.action_due)
        yield SystemCommand(t("tui.buildings.menu"), t("tui.buildings.menu_help"), self.action_buildings)
        yield SystemCommand(t("tui.rules.to_hazard"), t("tui.rules.to_hazard_help"), self.action_rule_hazard)
        yield SystemCommand(t("tui.entry.menu"), t("tui.entry.menu_help"), self.action_entry)
        yield SystemCommand(t("tui.exit.menu"), t("tui.exit.menu_help"), self.action_exit_list)
        yield SystemCommand(t("tui.ledger.add"), t("tui.ledger.add_help"), self.action_add_tenant)
        yield SystemCommand(t("tui.ledger.search"), t("tui.ledger.search_help"), self.action_focus_search)
        yield SystemCommand(t("tui.ledger.toggle_left"), t("tui.ledger.toggle_left_help"), self.action_toggle_left)
        yield SystemCommand(t("tui.ledger.mark_left"), t("tui.ledger.mark_left_help"), self.action_mark_left)
        for column in SORT_ORDER:
            yield SystemCommand(t("tui.ledger.sort_by", column=t(f"fields.tenant.{column}")), "",
                                lambda c=column: self.sort_by(c, descending=c in ("rented_area_m2", "headcount")))


def _last_inspected(row: LedgerRow) -> str:
    """"26-03-02" (8 cells, the century is never in doubt), after ▶ when an inspection is unfinished."""
    day = row.last_inspected.strftime("%y-%m-%d") if row.last_inspected else ""
    return (t("tui.lookback.unfinished_mark") if row.unfinished else "") + day
