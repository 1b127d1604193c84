"""A hazard's audit trail: one row per changed field, newest first, with who, when and the device.

The table keeps each row to a line at 80 columns; the line under it shows the highlighted change
in full (exact time, device id, the whole before and after values).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header

from forms import china_time
from forms.i18n import catalogue, current_language, t
from inspect_app import formatting
from inspect_app.screens.base import AppScreen
from inspect_app.services.audit import AuditEntry, hazard_history
from inspect_app.services.field_labels import field_label
from inspect_app.services.hazards import get_hazard
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

# Columns that identify or stamp a row rather than describe it: not worth a line of history.
TECHNICAL = frozenset({"id", "hlc", "origin_device", "created_at", "updated_at", "hazard_id", "inspection_id",
                       "check_result_id", "park_id", "tenant_id", "rectification_item_id", "supersedes_id"})
# A new row shows its filled-in values; these say nothing when they hold their defaults.
QUIET_ON_INSERT = {"deleted": False, "revision": 1, "status": "open"}
WIDTHS = {"when": 11, "who": 6, "device": 4, "record": 12, "field": 12}  # cells; the detail line has it all
MIN_CHANGE_WIDTH = 16


@dataclass(frozen=True)
class ChangeLine:
    entry: AuditEntry
    field: str
    before: object
    after: object


def change_lines(entries: list[AuditEntry]) -> list[ChangeLine]:
    """Every changed field of every event, newest event first, fields in the row's own order."""
    lines = []
    for entry in reversed(entries):
        names = [n for n in dict.fromkeys([*entry.after, *entry.before]) if n not in TECHNICAL]
        for name in names:
            before, after = entry.before.get(name), entry.after.get(name)
            if entry.action == "insert" and (after in (None, "", []) or QUIET_ON_INSERT.get(name, object()) == after):
                continue
            lines.append(ChangeLine(entry, name, before, after))
    return lines


class AuditScreen(AppScreen):
    DEFAULT_CSS = """
    AuditScreen #audit-detail { height: 3; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "tui.audit.back", id="audit.back"),
    ]

    def __init__(self, hazard_id: str):
        super().__init__()
        self.hazard_id = hazard_id
        self.lines: list[ChangeLine] = []
        self.names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        row = get_hazard(self.app.store, self.hazard_id, self.app.today, self.app.settings.calendar)
        yield Header()
        yield Static(formatting.clip(t("tui.audit.title", description=row.description), 78), classes="screen-title")
        yield FitDataTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-detail")
        yield Static("", id="audit-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        history = hazard_history(self.app.store, self.hazard_id)
        self.names = history.inspector_names
        self.lines = change_lines(history.entries)
        table = self.query_one("#audit", DataTable)
        for key in ("when", "who", "device", "record", "field", "change"):
            table.add_column(t(f"tui.audit.col_{key}"), key=key)
        available = (table.size.width or self.app.size.width) - 2
        change_width = max(MIN_CHANGE_WIDTH, available - sum(WIDTHS.values()) - 2 * (len(WIDTHS) + 1))
        for line in self.lines:
            entry = line.entry
            table.add_row(
                china_time.local(entry.created_at).strftime("%m-%d %H:%M"),
                formatting.clip(self._who(entry), WIDTHS["who"]),
                entry.device[:WIDTHS["device"]],
                formatting.clip(self._record(entry), WIDTHS["record"]),
                formatting.clip(field_label(entry.table_name, line.field), WIDTHS["field"]),
                formatting.clip(self._change(line), change_width),
            )
        self.query_one("#audit-status", Static).update(
            t("tui.audit.count", count=len(self.lines)) if self.lines else t("tui.audit.empty"))
        table.focus()
        self._show_detail(0)

    def _who(self, entry: AuditEntry) -> str:
        return entry.actor_name or t("tui.audit.nobody")

    def _record(self, entry: AuditEntry) -> str:
        return t(f"tui.audit.records.{entry.table_name}") + " " + t(f"tui.audit.actions.{entry.action}")

    def _change(self, line: ChangeLine) -> str:
        after = self.value(line.field, line.after)
        if line.entry.action == "insert":
            return after
        return f"{self.value(line.field, line.before)} → {after}"

    def value(self, field: str, value: object) -> str:
        """A stored value as a person reads it: labels for codes, names for inspector ids."""
        if value is None or value == "" or value == []:
            return t("tui.audit.blank")
        if isinstance(value, bool):
            return t("common.yes") if value else t("common.no")
        if field == "status":
            return t(f"choices.hazard_status.{value}") if _known(f"choices.hazard_status.{value}") else str(value)
        if field == "severity":
            return t(f"choices.severity.{value}")
        if field == "outcome":
            return t(f"tui.reinspection.outcomes.{value}")
        if field == "inspector_ids" and isinstance(value, list):
            return t("tui.rectification.list_separator").join(self.names.get(i, "?") for i in value)
        return formatting.input_text(value)

    @on(DataTable.RowHighlighted, "#audit")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        if not 0 <= index < len(self.lines):
            return
        line = self.lines[index]
        entry = line.entry
        head = t("tui.audit.detail", when=china_time.local(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                 who=self._who(entry), device=entry.device or "?",
                 record=t(f"tui.audit.records.{entry.table_name}"), action=t(f"tui.audit.actions.{entry.action}"))
        change = t("tui.audit.detail_change", field=field_label(entry.table_name, line.field), change=self._change(line))
        self.query_one("#audit-detail", Static).update(f"{head}\n{change}")

    def action_back(self) -> None:
        self.app.pop_screen()


def _known(key: str) -> bool:
    return key in catalogue(current_language())
