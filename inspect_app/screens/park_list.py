"""The first screen: every park with its tenants, area, headcount and open / overdue hazards."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, INSPECTION, SETTINGS, TENANT, AppScreen
from inspect_app.services.parks import ParkSummary, agency_warning, is_office, park_summaries
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static
from inspect_app.widgets.sync_status import SyncStatusLine

ALL_PARKS = "*"
FIRST_ROWS = 60  # more than a tall terminal shows
CHUNK = 500  # rows added between two refreshes after the first screenful


class ParkListScreen(AppScreen):
    DEFAULT_CSS = """
    ParkListScreen #agency-warning { height: auto; padding: 0 1; color: $warning; text-style: bold; display: none; }
    ParkListScreen #agency-warning.-shown { display: block; }
    """
    ENTER_OPENS_ROW = "open_park"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("enter", "open_park", "tui.parks.open", id="parks.open"),
        Binding("i", "inspect", "tui.inspection.parks_inspect", id="parks.inspect"),
        Binding("slash", "search_all", "tui.parks.search_all", id="parks.search_all", key_display="/"),
        Binding("z", "hazards", "tui.hazards.menu", id="parks.hazards"),
        Binding("o", "overview", "tui.overview.menu", id="parks.overview"),
        Binding("q", "quarterly", "tui.quarterly.open", id="parks.quarterly", show=False),  # in ^p, F1
        Binding("ctrl+q", "app.quit", "tui.app.quit", id="parks.quit", priority=True),
        Binding("d", "notices", "tui.notices.menu", id="parks.notices"),
        Binding("u", "due", "tui.due.menu", id="parks.due"),
        # In ^p and F1 (the footer is full at 80 columns), as F5.
        Binding("k", "tasks", "tui.tasks.menu", id="parks.tasks", show=False),
        # The list reloads whenever it is shown again; F5 stays in ^p and F1 (the footer is full).
        Binding("f5", "reload", "tui.parks.reload", id="parks.reload", show=False),
        # Not in the footer (full at 80 columns): the sync status line shows "(c)" when there are conflicts.
        Binding("c", "app.conflicts", "tui.sync.conflicts", id="parks.conflicts", show=False),
        # The office's review queue: offered (F1, ^p) on the office's device only (`check_action`).
        Binding("r", "review", "tui.review.menu", id="parks.review", show=False),
    ]
    # Counts of tenants and hazards, area, headcount; the warning while no agency is set.
    SHOWS = frozenset({TENANT, INSPECTION, HAZARD, SETTINGS})

    def __init__(self):
        super().__init__()
        self.summaries: list[ParkSummary] = []
        self.office = False  # this device does the office's work (services/office_role.py); read with the figures
        # The park the cursor was on before the list was read again, and its row then.
        self.keep: tuple[str, int] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.parks.title"), classes="screen-title")
        yield FitDataTable(id="parks", cursor_type="row", zebra_stripes=True)
        yield Static(t("tui.common.loading"), id="park-status", classes="status-line")
        yield Static("", id="agency-warning")
        yield SyncStatusLine()
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#parks", DataTable)
        # Hazard counts before the figures: they are what an inspector looks for first.
        for key in ("code", "name", "tenants", "open", "overdue", "area", "headcount", "street"):
            table.add_column(t(f"tui.parks.col_{key}"), key=key)
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.query_one(SyncStatusLine).refresh_status()  # an edit elsewhere adds pending changes

    def refresh_data(self) -> None:
        if self.summaries:  # else the first load is still under way
            self.load()

    @work(thread=True, exclusive=True, group="parks")
    def load(self) -> None:
        # The first screenful is read alone (its parks' overdue hazards only) and shown at once; then
        # every park, appended below it in chunks: at 3,000 parks the first screen paints as soon as
        # a bare Textual app's would (benchmarks/run.py startup_ratio).
        worker = get_current_worker()
        warning = agency_warning(self.app.store, self.app.settings.agency)
        office = is_office(self.app.store)
        for limit in (FIRST_ROWS, None):
            summaries = park_summaries(self.app.store, self.app.today, limit)
            if worker.is_cancelled:
                return
            complete = limit is None or len(summaries) < limit
            self.app.call_from_thread(self.show, summaries, warning, office, complete=complete)
            if complete:
                return

    def show(self, summaries: list[ParkSummary], warning: str | None = None, office: bool = False, *,
             complete: bool = True) -> None:
        """Show a reading: its first screenful (`complete` False) or every park. Rows already in the
        table that the reading still has as they are stay; the rest are added after them in chunks,
        and the cursor stays on its park."""
        if office != self.office:
            self.office = office
            self.refresh_bindings()  # the review queue's key in F1 and ^p, or not
        # Notices need an issuing agency; without a short name their numbers carry a placeholder.
        line = self.query_one("#agency-warning", Static)
        line.update(t(f"tui.settings.warn_{warning}") if warning else "")
        line.set_class(warning is not None, "-shown")
        table = self.query_one("#parks", DataTable)
        shown = min(table.row_count, len(summaries))
        unchanged = summaries[:shown] == self.summaries[:shown]
        if not complete and shown and unchanged:
            return  # read again (a reload): the table still holds, the whole reading follows
        if not unchanged or len(summaries) < table.row_count:
            selected = self._selected()
            if selected is not None:
                self.keep = (selected.id, table.cursor_row)
            table.clear()
        self.summaries = summaries
        self._add_rows(table.row_count, len(summaries), summaries)
        self.app.call_after_refresh(self.app.first_screen_shown)  # no-op after the first time
        if complete:
            status = self.query_one("#park-status", Static)
            status.update(t("tui.parks.status", parks=len(summaries),
                            tenants=formatting.count(sum(s.tenants for s in summaries)))
                          if summaries else t("tui.parks.empty"))

    def _add_rows(self, start: int, end: int, summaries: list[ParkSummary]) -> None:
        """Rows start..end, the first screenful at once and then a chunk after each refresh, so keys
        still work while 3,000 rows go in; nothing when the list was read again meanwhile."""
        if summaries is not self.summaries:
            return
        table = self.query_one("#parks", DataTable)
        stop = min(end, start + (CHUNK if start else FIRST_ROWS))
        for s in summaries[start:stop]:
            table.add_row(
                s.code, formatting.short_name(s.name), formatting.count(s.tenants), formatting.count(s.open_hazards),
                formatting.count(s.overdue_hazards) if s.overdue_hazards else "",
                formatting.area(s.rented_area_m2), formatting.count(s.headcount), s.street, key=s.id,
            )
        if self.keep is not None:
            park_id, row = self.keep
            index = next((i for i, s in enumerate(summaries[:stop]) if s.id == park_id), None)
            if index is None and stop == len(summaries):  # its park is gone: the same row, or the last one
                self.keep = None
                if stop:
                    table.move_cursor(row=min(row, stop - 1))
            elif index is not None:
                table.move_cursor(row=index)
                self.keep = None
        if stop < end:
            self.call_after_refresh(self._add_rows, stop, end, summaries)

    def _selected(self) -> ParkSummary | None:
        table = self.query_one("#parks", DataTable)
        if not 0 <= table.cursor_row < min(len(self.summaries), table.row_count):
            return None
        return self.summaries[table.cursor_row]

    @on(DataTable.RowSelected, "#parks")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_park()

    def action_open_park(self) -> None:
        park = self._selected()
        if park is not None:
            self.open_ledger(park.id)

    def action_search_all(self) -> None:
        self.open_ledger(None, focus_search=True)

    def action_reload(self) -> None:
        self.load()

    def open_ledger(self, park_id: str | None, *, focus_search: bool = False) -> None:
        self.app.open_ledger(park_id, focus_search=focus_search)

    def action_inspect(self) -> None:
        """Inspect the selected park's common areas: resume the unfinished inspection, or start one."""
        from inspect_app.screens.start_inspection import begin_inspection  # loads the ORM: not at start-up

        park = self._selected()
        if park is None:
            self.notify(t("tui.start_inspection.no_park"), severity="warning")
            return
        begin_inspection(self, park_id=park.id, tenant_id=None, subject=t("inspection.common_areas", park=park.name))

    def action_hazards(self) -> None:
        self.app.open_hazards()

    def action_notices(self) -> None:
        """The issued documents of the highlighted park and their service."""
        from inspect_app.screens.notices import NoticesScreen  # loads the ORM: not at start-up

        park = self._selected()
        if park is not None:
            self.app.push_screen(NoticesScreen(park.id, park_label=f"{park.code} {park.name}"))

    def action_due(self) -> None:
        """The highlighted park's tenants due for inspection."""
        from inspect_app.screens.due import DueScreen  # loads the services: not at start-up

        park = self._selected()
        if park is not None:
            self.app.push_screen(DueScreen(park.id, park_label=f"{park.code} {park.name}"))

    def action_tasks(self) -> None:
        """This device's inspection tasks (今日任务), every park's it holds."""
        from inspect_app.screens.tasks import TasksScreen  # loads the services: not at start-up

        self.app.push_screen(TasksScreen())

    def is_office(self) -> bool:
        return self.office

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The office's keys are offered, and act, only on the office's device."""
        return self.office if action == "review" else True

    def action_review(self) -> None:
        """The office's queue of notices waiting for approval."""
        if not self.is_office():
            self.notify(t("tui.review.not_office"), severity="warning")
            return
        from inspect_app.screens.review_queue import ReviewQueueScreen  # loads the ORM: not at start-up

        self.app.push_screen(ReviewQueueScreen())

    def action_overview(self) -> None:
        """The county overview, its cursor on the highlighted park."""
        from inspect_app.screens.overview import CountyOverviewScreen  # not at start-up

        park = self._selected()
        self.app.push_screen(CountyOverviewScreen(park_id=park.id if park else None))

    def action_quarterly(self) -> None:
        from inspect_app.screens.quarterly import QuarterlyScreen  # loads the ORM: not at start-up

        park = self._selected()
        if park is not None:
            self.app.push_screen(QuarterlyScreen(park.id))

    def palette_commands(self):
        yield SystemCommand(t("tui.parks.search_all"), t("tui.parks.search_all_help"), self.action_search_all)
        if self._selected() is not None:
            yield SystemCommand(t("tui.quarterly.open"), t("tui.quarterly.open_help"), self.action_quarterly)
        yield SystemCommand(t("tui.hazards.menu"), t("tui.hazards.menu_help"), self.action_hazards)
        yield SystemCommand(t("tui.overview.menu"), t("tui.overview.menu_help"), self.action_overview)
        if self.is_office():
            yield SystemCommand(t("tui.review.menu"), t("tui.review.menu_help"), self.action_review)
        if self._selected() is not None:
            yield SystemCommand(t("tui.notices.menu"), t("tui.notices.menu_help"), self.action_notices)
            yield SystemCommand(t("tui.due.menu"), t("tui.due.menu_help"), self.action_due)
        yield SystemCommand(t("tui.tasks.menu"), t("tui.tasks.menu_help"), self.action_tasks)
        selected = self._selected()
        if selected is not None:
            yield SystemCommand(t("tui.inspection.parks_inspect_named", name=selected.name),
                                t("tui.inspection.parks_inspect_help"), self.action_inspect)
        for park in self.summaries:
            yield SystemCommand(t("tui.parks.open_named", name=park.name), park.code,
                                lambda park_id=park.id: self.open_ledger(park_id))
