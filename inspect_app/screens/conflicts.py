"""Sync conflicts (values that lost a concurrent edit) and the changes the hub refused.

r restores the losing value (an ordinary edit, which settles the conflict), d keeps the current
value (marks the conflict resolved), x lists the refused changes with their reasons, a the
received changes this device set aside, p the possible duplicate tenants (screens/duplicates.py).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app.screens.base import ALL_KINDS, AppScreen
from inspect_app.screens.duplicates import DuplicatesScreen
from inspect_app.services.conflicts import (
    dismiss_conflict,
    rejected_changes,
    restore_losing_value,
    set_aside_changes,
    unresolved_conflicts,
)
from inspect_app.services.errors import UserError
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static


def _when(value) -> str:
    return value.strftime("%m-%d %H:%M") if value else ""


class ConflictsScreen(AppScreen):
    BINDINGS = [
        Binding("r", "restore", "tui.sync.restore", id="conflicts.restore"),
        Binding("d", "dismiss_conflict", "tui.sync.dismiss", id="conflicts.dismiss"),
        Binding("x", "rejected", "tui.sync.show_rejected", id="conflicts.rejected"),
        Binding("a", "set_aside", "tui.sync.show_set_aside", id="conflicts.set_aside"),
        Binding("p", "duplicates", "tui.duplicates.show", id="conflicts.duplicates"),
        Binding("escape", "back", "tui.common.back", id="conflicts.back"),
    ]

    def __init__(self):
        super().__init__()
        self.conflicts = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.sync.conflicts_title"), classes="screen-title")
        yield FitDataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield Static("", id="conflict-detail", classes="status-line")
        yield Static(t("tui.common.loading"), id="conflicts-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#conflicts", DataTable)
        # Who wrote the losing value and when: on the detail line (six columns do not fit in 80).
        for key in ("record", "field", "losing", "current"):
            table.add_column(t(f"tui.sync.col_{key}"), key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="conflicts")
    def load(self) -> None:
        conflicts = unresolved_conflicts(self.app.store)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, conflicts)

    def show(self, conflicts) -> None:
        self.conflicts = conflicts
        table = self.query_one("#conflicts", DataTable)
        cursor = table.cursor_row
        table.clear()
        for c in conflicts:
            table.add_row(c.record, c.field_label, c.losing, c.current, key=c.id)
        if conflicts:
            table.move_cursor(row=min(max(cursor, 0), len(conflicts) - 1))
        self._show_detail()
        self.query_one("#conflicts-status", Static).update(
            t("tui.sync.conflicts_count", count=len(conflicts)) if conflicts else t("tui.sync.conflicts_empty"))

    def _selected(self):
        table = self.query_one("#conflicts", DataTable)
        if not self.conflicts or table.cursor_row < 0:
            return None
        return self.conflicts[table.cursor_row]

    def action_restore(self) -> None:
        conflict = self._selected()
        if conflict is not None:
            self._settle(conflict, restore=True)

    def action_dismiss_conflict(self) -> None:
        conflict = self._selected()
        if conflict is not None:
            self._settle(conflict, restore=False)

    @work(thread=True, group="conflicts-write")
    def _settle(self, conflict, *, restore: bool) -> None:
        try:
            if restore:
                restore_losing_value(self.app.store, conflict.id)
                message = t("tui.sync.restored", record=conflict.record, field=conflict.field_label,
                            value=conflict.losing)
            else:
                dismiss_conflict(self.app.store, conflict.id)
                message = t("tui.sync.dismissed", record=conflict.record, field=conflict.field_label)
        except UserError as exc:
            self.app.call_from_thread(self.notify, exc.message(), severity="warning")
        else:
            self.app.call_from_thread(self.notify, message)
            if restore:  # the value put back may be any record's
                self.announce(*ALL_KINDS)
        self.app.call_from_thread(self.load)

    @on(DataTable.RowHighlighted, "#conflicts")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        conflict = self._selected()
        self.query_one("#conflict-detail", Static).update(
            t("tui.sync.conflict_detail", source=conflict.source, when=_when(conflict.written_at))
            if conflict is not None else "")

    @on(DataTable.RowSelected, "#conflicts")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # Enter does nothing by itself: restoring is a deliberate key

    def action_rejected(self) -> None:
        self.app.push_screen(RejectedChangesScreen())

    def action_set_aside(self) -> None:
        self.app.push_screen(SetAsideChangesScreen())

    def action_duplicates(self) -> None:
        self.app.push_screen(DuplicatesScreen())

    def action_back(self) -> None:
        self.app.pop_screen()


class RejectedChangesScreen(AppScreen):
    """This device's changes the hub refused, newest first, with the reason in words."""

    BINDINGS = [Binding("escape", "back", "tui.common.back", id="rejected.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.sync.rejected_title"), classes="screen-title")
        yield FitDataTable(id="rejected", cursor_type="row", zebra_stripes=True)
        yield Static(t("tui.common.loading"), id="rejected-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#rejected", DataTable)
        for key in ("when", "what", "record", "reason"):
            table.add_column(t(f"tui.sync.col_{key}"), key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="rejected")
    def load(self) -> None:
        rejected = rejected_changes(self.app.store)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rejected)

    def show(self, rejected) -> None:
        table = self.query_one("#rejected", DataTable)
        table.clear()
        for r in rejected:
            table.add_row(_when(r.rejected_at), r.what, r.record, r.reason, key=str(r.device_seq))
        self.query_one("#rejected-status", Static).update(
            t("tui.sync.rejected_count", count=len(rejected)) if rejected else t("tui.sync.rejected_empty"))

    def action_back(self) -> None:
        self.app.pop_screen()


class SetAsideChangesScreen(AppScreen):
    """Changes received from other devices that this device could not apply (docs/SYNC.md,
    "Set aside"), newest first, with the reason in words. Kept, never lost; later edits of the
    same records still arrive."""

    BINDINGS = [Binding("escape", "back", "tui.common.back", id="set_aside.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.sync.set_aside_title"), classes="screen-title")
        yield FitDataTable(id="set-aside", cursor_type="row", zebra_stripes=True)
        yield Static("", id="set-aside-detail", classes="status-line")
        yield Static(t("tui.common.loading"), id="set-aside-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.changes = []
        table = self.query_one("#set-aside", DataTable)
        for key in ("when", "what", "record"):
            table.add_column(t(f"tui.sync.col_{key}"), key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="set-aside")
    def load(self) -> None:
        changes = set_aside_changes(self.app.store)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, changes)

    def show(self, changes) -> None:
        self.changes = changes
        table = self.query_one("#set-aside", DataTable)
        table.clear()
        for c in changes:
            table.add_row(_when(c.received_at), c.what, c.record, key=f"{c.origin_device}/{c.device_seq}")
        self._show_detail()
        self.query_one("#set-aside-status", Static).update(
            t("tui.sync.set_aside_count", count=len(changes)) if changes else t("tui.sync.set_aside_empty"))

    @on(DataTable.RowHighlighted, "#set-aside")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        # The reason is long (the database's words included): on its own line, for the row chosen.
        table = self.query_one("#set-aside", DataTable)
        chosen = self.changes[table.cursor_row] if self.changes and 0 <= table.cursor_row < len(self.changes) else None
        # Text, not markup: the database's words may hold brackets.
        self.query_one("#set-aside-detail", Static).update(Text(chosen.reason) if chosen is not None else "")

    def action_back(self) -> None:
        self.app.pop_screen()
