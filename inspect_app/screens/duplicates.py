"""Possible duplicates: tenants of one park with the same credit code (services/duplicates.py).

Two devices may add the same company offline; both rows reach every device and are listed here.
1 keeps the first (older) row and merges the second into it, 2 the other way round, d marks the
two as different companies. Each is an ordinary, synced edit, so every device stops listing the pair.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app.screens.base import ALL_KINDS, AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.services.duplicates import mark_distinct, merge_tenants, possible_duplicates
from inspect_app.services.errors import UserError
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static


class DuplicatesScreen(AppScreen):
    BINDINGS = [
        Binding("1", "merge(0)", "tui.duplicates.keep_first", id="duplicates.keep_first"),
        Binding("2", "merge(1)", "tui.duplicates.keep_second", id="duplicates.keep_second"),
        Binding("d", "distinct", "tui.duplicates.distinct", id="duplicates.distinct"),
        Binding("escape", "back", "tui.common.back", id="duplicates.back"),
    ]

    def __init__(self, park_id: str | None = None):
        super().__init__()
        self.park_id = park_id
        self.pairs = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.duplicates.title"), classes="screen-title")
        yield FitDataTable(id="duplicates", cursor_type="row", zebra_stripes=True)
        yield Static("", id="duplicate-detail", classes="status-line")
        yield Static(t("tui.common.loading"), id="duplicates-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#duplicates", DataTable)
        for key in ("code", "first", "second"):
            table.add_column(t(f"tui.duplicates.col_{key}"), key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="duplicates")
    def load(self) -> None:
        pairs = possible_duplicates(self.app.store, self.park_id)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, pairs)

    def show(self, pairs) -> None:
        self.pairs = pairs
        table = self.query_one("#duplicates", DataTable)
        cursor = table.cursor_row
        table.clear()
        for pair in pairs:
            table.add_row(pair.credit_code, pair.first.name, pair.second.name, key=f"{pair.first.id}/{pair.second.id}")
        if pairs:
            table.move_cursor(row=min(max(cursor, 0), len(pairs) - 1))
        self._show_detail()
        self.query_one("#duplicates-status", Static).update(
            t("tui.duplicates.count", count=len(pairs)) if pairs else t("tui.duplicates.empty"))

    def _selected(self):
        table = self.query_one("#duplicates", DataTable)
        if not self.pairs or not 0 <= table.cursor_row < len(self.pairs):
            return None
        return self.pairs[table.cursor_row]

    @on(DataTable.RowHighlighted, "#duplicates")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        pair = self._selected()
        text = ""
        if pair is not None:
            text = t("tui.duplicates.detail", park=pair.park_name,
                     first=f"{pair.first.created_at} {pair.first.contact}".strip(), first_inspections=pair.first.inspections,
                     second=f"{pair.second.created_at} {pair.second.contact}".strip(),
                     second_inspections=pair.second.inspections)
        self.query_one("#duplicate-detail", Static).update(text)

    @on(DataTable.RowSelected, "#duplicates")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # Enter does nothing by itself: merging is a deliberate key

    def action_merge(self, keep_index: int) -> None:
        pair = self._selected()
        if pair is None:
            return
        keep, other = (pair.first, pair.second) if keep_index == 0 else (pair.second, pair.first)

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(merge=(keep.id, other.id), names=(keep.name, other.name))

        self.app.push_screen(ConfirmScreen(t("tui.duplicates.confirm_merge", keep=keep.name, other=other.name)), answered)

    def action_distinct(self) -> None:
        pair = self._selected()
        if pair is not None:
            self._write(distinct=(pair.first.id, pair.second.id), names=(pair.first.name, pair.second.name))

    @work(thread=True, group="duplicates-write")
    def _write(self, *, names: tuple[str, str], merge: tuple[str, str] | None = None,
               distinct: tuple[str, str] | None = None) -> None:
        try:
            if merge is not None:
                result = merge_tenants(self.app.store, *merge)
                message = t("tui.duplicates.merged", keep=names[0], other=names[1], moved=result.moved)
                if result.quarters_dropped:
                    message += t("tui.duplicates.quarters_dropped", count=result.quarters_dropped)
            else:
                mark_distinct(self.app.store, *distinct)
                message = t("tui.duplicates.marked_distinct", first=names[0], second=names[1])
        except UserError as exc:
            self.app.call_from_thread(self.notify, exc.message(), severity="warning")
        else:
            self.app.call_from_thread(self.notify, message)
            self.announce(*ALL_KINDS)  # a merge moves the other tenant's inspections, hazards, notices
        self.app.call_from_thread(self.load)

    def action_back(self) -> None:
        self.app.pop_screen()
