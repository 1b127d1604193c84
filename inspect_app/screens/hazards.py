"""The hazards view (隐患一览): hazards across parks, earliest deadline first.

Like the ledger, only a window of rows lives in the DataTable (PAGE_SIZE, more appended when the
cursor reaches the end) and queries run in a thread worker. The service reads a page in deadline
order from an index that is that order (db/hazard_queries.py), so the first rows come as fast
for 200,000 hazards as for 2,000; how many match is counted after the rows are shown, in the
worker, up to COUNT_CAP ("more than 10,000" beyond). The screen filters by park, severity and
status (it opens on the hazards not yet closed, which is what the park list counts). The highlighted hazard's full text is on the line under the table, since at
80 columns the description column holds only its start.
"""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Select
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, NOTICE, TENANT, AppScreen
from inspect_app.screens.export_path import ExportPathScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.notices import NoticesScreen
from inspect_app.screens.photo_viewer import PhotoViewerScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.services.attachments import hazard_files
from inspect_app.services.errors import UserError
from inspect_app.services.hazards import (
    HAZARD_VIEW_STATUSES,
    UNRESOLVED,
    HazardCount,
    HazardQuery,
    HazardRow,
    count_hazards,
    hazard_page,
    park_choices,
)
from inspect_app.services.hazards_export import default_export_folder, default_export_name, export_hazards
from inspect_app.services.lookback import repeat_line
from inspect_app.services.notice_review import hazard_notes
from inspect_app.services.notices import inspection_notices
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static, as_typed

PAGE_SIZE = 100
COUNT_CAP = 10_000  # counted exactly up to here; beyond, the status line says "more than"
SEVERITIES = ("general", "major")
TENANT_WIDTH = 12  # cells; the full name is on the detail line
MIN_DESCRIPTION_WIDTH = 16
ALERT = "bold red"
LATE_MARK = "!"  # after the status: the hazard's notice was not served within three working days


class HazardsScreen(AppScreen):
    DEFAULT_CSS = """
    HazardsScreen .toolbar Select { width: 1fr; margin-right: 1; }
    HazardsScreen #park-filter { width: 2fr; }
    HazardsScreen #hazard-detail { height: 2; padding: 0 1; color: $text-muted; }
    """
    ENTER_OPENS_ROW = "open_hazard"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("enter", "open_hazard", "tui.hazards.open", id="hazards.open"),
        Binding("r", "reinspect", "tui.hazards.reinspect", id="hazards.reinspect"),
        Binding("t", "open_tenant", "tui.hazards.tenant", id="hazards.tenant"),
        Binding("n", "issue_notice", "tui.hazards.notice", id="hazards.issue"),
        Binding("f", "focus_filters", "tui.hazards.filters", id="hazards.filters"),
        Binding("e", "export", "tui.hazards_export.menu", id="hazards.export"),
        # Not in the footer (full at 80 columns in English): the palette lists it, and a hazard whose
        # notice is late says so on the detail line.
        Binding("d", "notices", "tui.notices.menu", id="hazards.notices", show=False),
        Binding("v", "view_photos", "tui.inspection.view_photos", id="hazards.view_photos", show=False),
        Binding("escape", "back", "tui.common.back", id="hazards.back"),
    ]
    SHOWS = frozenset({HAZARD, NOTICE, TENANT})  # a 五落实, a 复查, a notice issued or served, names

    def __init__(self, park_id: str | None = None, *, status: str | None = UNRESOLVED):
        super().__init__()
        self.park_id = park_id
        self.query_state = HazardQuery(park_id=park_id, status=status, limit=PAGE_SIZE)
        self.rows: list[HazardRow] = []
        self.total: HazardCount | None = None  # None until counted (after the rows)
        self._exhausted = False  # the last page read was not full: no rows after self.rows
        self.parks: list[tuple[str, str, str]] | None = None  # (id, code, name) for the park filter
        self._loading_more = False

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.hazards.title_all"), id="hazards-title", classes="screen-title")
        with Horizontal(classes="toolbar"):
            # Park options arrive with the first rows (one query for both, in the worker).
            yield Select([], prompt=t("tui.hazards.all_parks"), id="park-filter", compact=True)
            yield Select([(t(f"choices.severity.{s}"), s) for s in SEVERITIES], prompt=t("tui.hazards.all_severities"),
                         id="severity-filter", compact=True)
            statuses = [(t("tui.hazards.unresolved"), UNRESOLVED)]
            statuses += [(t(f"choices.hazard_status.{s}"), s) for s in HAZARD_VIEW_STATUSES]
            yield Select(statuses, value=self.query_state.status or Select.NULL, prompt=t("tui.hazards.all_statuses"),
                         id="status-filter", compact=True)
        yield FitDataTable(id="hazards", cursor_type="row", zebra_stripes=True)
        yield Static("", id="hazard-detail")
        yield Static(t("tui.common.loading"), id="hazards-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#hazards", DataTable).focus()
        # The first page is read here, before the first paint, not in a worker: a worker would
        # compete for the GIL with that paint and double both (docs/PERFORMANCE.md, ~35 ms at
        # 20,000 hazards). Filters and further pages use the worker.
        self.query_state = replace(self.query_state, offset=0, today=self.app.today,
                                   calendar=self.app.settings.calendar)
        self.show(hazard_page(self.app.store, self.query_state), append=False, keep_hazard=None)
        self.count_matches(self.query_state)
        self.load_parks()

    def _columns(self) -> tuple[str, ...]:
        # The park column says nothing once the view is filtered to one park: its room goes to
        # the description.
        keys = ("deadline", "status", "severity", "park", "tenant", "notice", "description")
        return keys if self.query_state.park_id is None else tuple(k for k in keys if k != "park")

    # --- loading ------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """What the list shows changed (a 五落实, a 复查, a notice, a sync): read again, the
        cursor staying on its hazard."""
        row = self.selected()
        self.reload(keep_hazard=row.id if row else None)

    def reload(self, *, keep_hazard: str | None = None) -> None:
        """Read the list again. With `keep_hazard` the cursor stays on that hazard, or, when it has
        left the list (closed by a 复查 under the "not closed" filter), on the row that took its place."""
        self.query_state = replace(self.query_state, offset=0, today=self.app.today,
                                   calendar=self.app.settings.calendar)
        keep_index = self.query_one("#hazards", DataTable).cursor_row if keep_hazard else None
        self.load(self.query_state, append=False, keep_hazard=keep_hazard, keep_index=keep_index)

    @work(thread=True, exclusive=True, group="hazards")
    def load(self, query: HazardQuery, *, append: bool, keep_hazard: str | None = None,
             keep_index: int | None = None) -> None:
        rows = hazard_page(self.app.store, query)
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self.show, rows, append, keep_hazard, keep_index)
        if not append:  # the rows first, then how many match (the filters changed, or the data)
            self.app.call_from_thread(self.count_matches, query)

    @work(thread=True, exclusive=True, group="hazards-count")
    def count_matches(self, query: HazardQuery) -> None:
        """How many hazards the filters match, up to COUNT_CAP, after the rows are shown."""
        total = count_hazards(self.app.store, query, cap=COUNT_CAP)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_total, query, total)

    def _set_total(self, query: HazardQuery, total: HazardCount) -> None:
        if replace(query, offset=0) != replace(self.query_state, offset=0):
            return  # counted for filters since changed: the newer count is on its way
        self.total = total
        self._update_status()

    @work(thread=True, group="hazard-parks")
    def load_parks(self) -> None:
        """The park filter's options, after the first rows: the rows are what the person waits for."""
        parks = park_choices(self.app.store)
        self.app.call_from_thread(self._set_parks, parks)

    def show(self, rows: list[HazardRow], append: bool, keep_hazard: str | None,
             keep_index: int | None = None) -> None:
        table = self.query_one("#hazards", DataTable)
        if not append:
            self.rows = []
            self.total = None  # counted again after these rows
            self._reset_table()
        width = self._description_width()
        for row in rows:
            table.add_row(*self._cells(row, width), key=row.id)
        self.rows.extend(rows)
        self._exhausted = len(rows) < self.query_state.limit
        self._loading_more = False
        if keep_hazard:
            index = next((i for i, r in enumerate(self.rows) if r.id == keep_hazard), None)
            if index is None and keep_index is not None and self.rows:
                index = min(keep_index, len(self.rows) - 1)  # the next one moved up into its place
            if index is not None:
                table.move_cursor(row=index)
        self._update_status()
        self._show_detail()

    def _reset_table(self) -> None:
        """Empty the table, columns too: a column keeps its widest cell's width until removed."""
        table = self.query_one("#hazards", DataTable)
        table.clear(columns=True)
        for key in self._columns():
            header = t("tui.lookback.col_notice") if key == "notice" else t(f"tui.hazards.col_{key}")
            table.add_column(header, key=key)

    def _set_parks(self, parks: list[tuple[str, str, str]]) -> None:
        self.parks = parks
        select = self.query_one("#park-filter", Select)
        with self.prevent(Select.Changed):
            select.set_options([(as_typed(formatting.clip(f"{code} {name}", 40)), park_id) for park_id, code, name in parks])
            if self.query_state.park_id:
                select.value = self.query_state.park_id
        self._update_title()

    def _update_title(self) -> None:
        park = next((f"{code} {name}" for park_id, code, name in self.parks or [] if park_id == self.query_state.park_id),
                    None)
        title = t("tui.hazards.title_park", park=park) if park else t("tui.hazards.title_all")
        self.query_one("#hazards-title", Static).update(title)

    def _description_width(self) -> int:
        table = self.query_one("#hazards", DataTable)
        available = (table.size.width or self.app.size.width) - 2  # the vertical scrollbar
        fixed = {"deadline": 10, "park": 7, "tenant": TENANT_WIDTH,
                 "notice": max(cell_len(t(f"tui.lookback.{k}")) for k in ("col_notice", "notice_issued",
                                                                          "notice_served")),
                 "status": max(cell_len(t(f"tui.hazards.status_short.{s}")) for s in HAZARD_VIEW_STATUSES)
                 + cell_len(LATE_MARK),
                 "severity": max(cell_len(t(f"tui.hazards.severity_short.{s}")) for s in SEVERITIES)}
        columns = self._columns()
        used = sum(fixed.get(k, 0) for k in columns) + 2 * len(columns)  # cell padding
        return max(MIN_DESCRIPTION_WIDTH, available - used)

    def _cells(self, row: HazardRow, description_width: int) -> list[object]:
        overdue = row.status == "overdue"
        style = ALERT if overdue else ""
        cells = {
            "deadline": Text(row.deadline.isoformat() if row.deadline else t("tui.hazards.no_deadline"), style=style),
            "status": self._status_cell(row, style),
            "severity": Text(t(f"tui.hazards.severity_short.{row.severity}"),
                             style="bold" if row.severity == "major" else ""),
            "park": row.park_code,
            "tenant": formatting.narrow_name(row.tenant_name or t("tui.hazards.common_areas"), TENANT_WIDTH),
            "notice": self._notice_cell(row),
            "description": self._description_cell(row, description_width),
        }
        return [cells[key] for key in self._columns()]

    @staticmethod
    def _notice_cell(row: HazardRow) -> str:
        """Whether the hazard's notice was issued, and served (the detail line has its number and day)."""
        if row.notice_number is None:
            return ""
        return t("tui.lookback.notice_served" if row.notice_served_on else "tui.lookback.notice_issued")

    @staticmethod
    def _description_cell(row: HazardRow, width: int) -> Text:
        """The description, after a mark when the hazard came back after an earlier one was closed."""
        if not row.repeat:
            return Text(formatting.clip(row.description, width))
        mark = t("lookback.repeat_mark", count=row.repeat) + " "
        cell = Text(mark, style=ALERT)
        cell.append(formatting.clip(row.description, max(1, width - cell_len(mark))))
        return cell

    @staticmethod
    def _status_cell(row: HazardRow, style: str) -> Text:
        """The status, and a red mark when the hazard's notice was not served in time (the detail
        line says which notice)."""
        cell = Text(t(f"tui.hazards.status_short.{row.status}"), style=style)
        if row.notice_late:
            cell.append(LATE_MARK, style=ALERT)
        return cell

    def on_resize(self) -> None:
        # The description column takes what the other columns leave: redraw the rows at the new
        # width once the layout has it (re-adding is linear; updating cells one by one is not).
        self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        if not self.rows:
            return
        table = self.query_one("#hazards", DataTable)
        cursor, width = table.cursor_row, self._description_width()
        self._reset_table()
        for row in self.rows:
            table.add_row(*self._cells(row, width), key=row.id)
        table.move_cursor(row=cursor)

    def _update_status(self) -> None:
        status = self.query_one("#hazards-status", Static)
        shown = formatting.count(len(self.rows))
        if not self.rows and (self.total is None or not self.total.count):
            status.update(t("tui.hazards.empty"))
        elif self.total is None:
            status.update(t("tui.hazards.status_counting", shown=shown))
        elif self.total.more:
            status.update(t("tui.hazards.status_count_more", total=formatting.count(self.total.count), shown=shown))
        else:
            status.update(t("tui.hazards.status_count", total=formatting.count(self.total.count), shown=shown))

    def _show_detail(self) -> None:
        row = self.selected()
        detail = ""
        if row is not None:
            detail = t("tui.hazards.detail", subject=row.tenant_name or t("tui.hazards.common_areas"),
                       location=row.location, description=row.description)
            if row.notice_number and not row.notice_late:
                detail = f"{_notice_line(row)} · {detail}"
            if row.repeat:
                detail = f"{repeat_line(row.repeat)} · {detail}"
            note = hazard_notes(self.app.store, [row.id]).get(row.id)
            if note:  # the office returned its notice or asked for changes: first, before the cut
                detail = f"{t('tui.review.hazard_note', comment=note)} · {detail}"
            if row.notice_late:  # first, so that the narrow screen's cut leaves it
                detail = f"{LATE_MARK.strip()} {t('tui.notices.hazard_late', number=row.notice_number)} · {detail}"
        self.query_one("#hazard-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#hazards")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        near_end = event.cursor_row >= len(self.rows) - 1
        if near_end and not self._exhausted and not self._loading_more:
            self._loading_more = True
            self.query_state = replace(self.query_state, offset=len(self.rows))
            self.load(self.query_state, append=True)

    # --- filters ------------------------------------------------------------------------------

    @on(Select.Changed, "#park-filter")
    def _park_changed(self, event: Select.Changed) -> None:
        self.filter(park_id=None if event.value is Select.NULL else event.value)
        self._update_title()

    @on(Select.Changed, "#severity-filter")
    def _severity_changed(self, event: Select.Changed) -> None:
        self.filter(severity=None if event.value is Select.NULL else event.value)

    @on(Select.Changed, "#status-filter")
    def _status_changed(self, event: Select.Changed) -> None:
        self.filter(status=None if event.value is Select.NULL else event.value)

    def filter(self, **changes: str | None) -> None:
        """Change the query's filters (park_id, severity, status) and reload from the first row."""
        if all(getattr(self.query_state, k) == v for k, v in changes.items()):
            return
        self.query_state = replace(self.query_state, **changes)
        self.reload()

    def show_status(self, status: str | None) -> None:
        """Filter by status the way the status Select does (the palette's way in)."""
        self.query_one("#status-filter", Select).value = status or Select.NULL

    def action_focus_filters(self) -> None:
        self.query_one("#park-filter", Select).focus()

    def action_back(self) -> None:
        if self.focused is not self.query_one("#hazards", DataTable):
            self.query_one("#hazards", DataTable).focus()  # from a filter back to the list first
            return
        self.app.pop_screen()

    # --- actions on the highlighted hazard ----------------------------------------------------

    def selected(self) -> HazardRow | None:
        table = self.query_one("#hazards", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowSelected, "#hazards")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_hazard()

    def action_open_hazard(self) -> None:
        row = self.selected()
        if row is not None:
            self.app.push_screen(RectificationScreen(row.id))

    def action_reinspect(self) -> None:
        row = self.selected()
        if row is not None:
            self.app.push_screen(ReinspectionScreen(row.id))

    def action_open_tenant(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.tenant_id is None:
            self.notify(t("tui.hazards.no_tenant"), severity="warning")
            return
        self.app.open_ledger(row.park_id, search=row.tenant_name or "")

    def action_issue_notice(self) -> None:
        """The notice of the highlighted hazard's inspection: the documents issued from it (the
        notice list filtered to them), or, when none is yet, the issue screen for its hazards."""
        row = self.selected()
        if row is None:
            return
        found = inspection_notices(self.app.store, row, self.app.today)
        if found.issued and found.inspection_id:
            subject = row.tenant_name or t("tui.hazards.common_areas")
            self.app.push_screen(NoticesScreen(row.park_id, park_label=subject, inspection_id=found.inspection_id))
            return
        if not found.to_notice:
            self.notify(t("tui.notice.no_open_hazards"), severity="warning")
            return
        self.app.push_screen(IssueNoticeScreen(found.to_notice))

    def action_view_photos(self) -> None:
        """The photos of the hazard under the cursor: its item's from the inspection, then its own."""
        row = self.selected()
        if row is None:
            return
        files = hazard_files(self.app.store, row.id)
        if not files:
            self.notify(t("tui.photos.none"))
            return
        self.app.push_screen(PhotoViewerScreen(files, row.description))

    def action_notices(self) -> None:
        """The issued documents of the park the view is filtered to (or of all parks)."""
        park = next((f"{code} {name}" for park_id, code, name in self.parks or []
                     if park_id == self.query_state.park_id), None)
        self.app.push_screen(NoticesScreen(self.query_state.park_id, park_label=park))

    # --- export what the filters show -------------------------------------------------------

    def action_export(self) -> None:
        default = default_export_folder() / default_export_name(self.app.today)
        query = replace(self.query_state, offset=0, today=self.app.today,
                                   calendar=self.app.settings.calendar)
        # The count may still be on its way: asked here (capped, a few milliseconds) rather than guessed.
        total = self.total or count_hazards(self.app.store, query, cap=COUNT_CAP)
        key = "tui.hazards_export.title_more" if total.more else "tui.hazards_export.title"
        title = t(key, count=formatting.count(total.count))
        self.app.push_screen(ExportPathScreen(title, default), lambda path: self.export(path, query) if path else None)

    @work(thread=True, group="hazards-export")
    def export(self, path, query: HazardQuery) -> None:
        self.app.call_from_thread(self.notify, t("tui.hazards_export.exporting"))
        try:
            rows = export_hazards(self.app.store, path, query)
        except UserError as exc:
            self.app.call_from_thread(self.notify, t("tui.hazards_export.failed", reason=exc.message()), severity="error")
            return
        except OSError as exc:  # e.g. the file is open in Excel
            self.app.call_from_thread(self.notify, t("tui.hazards_export.failed", reason=exc.strerror or str(exc)),
                                      severity="error")
            return
        self.app.call_from_thread(self.notify, t("tui.hazards_export.done", rows=rows, file=path), timeout=10)

    def palette_commands(self):
        yield SystemCommand(t("tui.hazards.open"), t("tui.hazards.open_help"), self.action_open_hazard)
        yield SystemCommand(t("tui.hazards_export.menu"), t("tui.hazards_export.menu_help"), self.action_export)
        yield SystemCommand(t("tui.hazards.notice"), t("tui.hazards.notice_help"), self.action_issue_notice)
        yield SystemCommand(t("tui.hazards.reinspect"), t("tui.hazards.reinspect_help"), self.action_reinspect)
        yield SystemCommand(t("tui.notices.menu"), t("tui.notices.menu_help"), self.action_notices)
        yield SystemCommand(t("tui.hazards.tenant"), t("tui.hazards.tenant_help"), self.action_open_tenant)
        yield SystemCommand(t("tui.inspection.view_photos"), "", self.action_view_photos)
        yield SystemCommand(t("tui.hazards.filters"), t("tui.hazards.filters_help"), self.action_focus_filters)
        for status in (UNRESOLVED, *HAZARD_VIEW_STATUSES):
            name = t("tui.hazards.unresolved") if status == UNRESOLVED else t(f"choices.hazard_status.{status}")
            yield SystemCommand(t("tui.hazards.show_status", status=name), "", lambda s=status: self.show_status(s))
        yield SystemCommand(t("tui.hazards.show_all"), "", lambda: self.show_status(None))


def _notice_line(row: HazardRow) -> str:
    if row.notice_served_on:
        return t("tui.lookback.notice_served_line", number=row.notice_number, on=row.notice_served_on.isoformat())
    return t("tui.lookback.notice_issued_line", number=row.notice_number)
