"""The exit list of a quarter (腾退名单) for a park: each listed tenant, its grounds, the evidence
of the highlighted one on the detail lines, and the decision so far. `k` keep, `t` talk, `x` exit
record a decision (who and when go to the audit trail), `e` exports the office's sheet (.xlsx),
`[` and `]` step through quarters. Opened with `x` from a park's ledger
(inspect_app/services/exit_list.py).
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, QUARTERLY, TENANT, AppScreen
from inspect_app.screens.export_path import ExportPathScreen
from inspect_app.services import exit_list
from inspect_app.services.errors import UserError
from inspect_app.services.notices import default_export_folder
from inspect_app.services.risk_flags import Quarter
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

NAME_WIDTH = 20


class ExitListScreen(AppScreen):
    DEFAULT_CSS = """
    ExitListScreen #exit-table { height: 1fr; }
    ExitListScreen #exit-detail { height: 4; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("k", "decide('keep')", "tui.exit.keep", id="exit.keep"),
        Binding("t", "decide('talk')", "tui.exit.talk", id="exit.talk"),
        Binding("x", "decide('exit')", "tui.exit.exit", id="exit.exit"),
        Binding("e", "export", "tui.exit.export", id="exit.export"),
        Binding("left_square_bracket", "quarter(-1)", "tui.exit.previous", id="exit.previous", key_display="[",
                show=False),
        Binding("right_square_bracket", "quarter(1)", "tui.exit.next", id="exit.next", key_display="]", show=False),
        Binding("escape", "back", "tui.common.back", id="exit.back"),
    ]
    SHOWS = frozenset({TENANT, HAZARD, QUARTERLY})

    def __init__(self, park_id: str, park_name: str, quarter: Quarter | None = None):
        super().__init__()
        self.park_id = park_id
        self.park_name = park_name
        self.quarter = quarter
        self.rows: list[exit_list.ExitCandidate] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="exit-title", classes="screen-title")
        yield DataTable(id="exit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="exit-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.quarter = self.quarter or Quarter.last_complete(self.app.today)
        table = self.query_one("#exit-table", DataTable)
        for key in ("name", "grounds", "decision"):
            table.add_column(t(f"tui.exit.col_{key}"), key=key)
        table.focus()
        self.reload()

    def refresh_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.query_one("#exit-title", Static).update(t("tui.exit.title", park=self.park_name,
                                                       quarter=self.quarter.label()))
        self.load(self.quarter)

    @work(thread=True, exclusive=True, group="exit")
    def load(self, quarter: Quarter) -> None:
        rows = exit_list.exit_list(self.app.store, self.park_id, quarter, today=self.app.today,
                                   thresholds=self.app.settings.risk_flags)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[exit_list.ExitCandidate]) -> None:
        table = self.query_one("#exit-table", DataTable)
        keep = self._selected().tenant_id if self._selected() else None
        table.clear()
        self.rows = rows
        for row in rows:
            grounds = "、".join(g.label() for g in row.grounds)
            decided = t(f"exit.decision.{row.decision.decision}") if row.decision else t("exit.undecided")
            table.add_row(formatting.narrow_name(row.name, NAME_WIDTH), grounds, decided, key=row.tenant_id)
        index = next((i for i, r in enumerate(rows) if r.tenant_id == keep), 0)
        if rows:
            table.move_cursor(row=index)
        self._show_detail()

    def _selected(self) -> exit_list.ExitCandidate | None:
        table = self.query_one("#exit-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#exit-table")
    def _show_detail(self) -> None:
        row = self._selected()
        if row is None:
            text = t("tui.exit.empty")
        else:
            text = "\n".join(f"{g.label()}：{g.evidence}" for g in row.grounds)
            if row.decision:
                text += "\n" + t("exit.decided", decision=t(f"exit.decision.{row.decision.decision}"),
                                 who=row.decision.decided_by or "—")
        self.query_one("#exit-detail", Static).update(text)

    def action_decide(self, decision: str) -> None:
        row = self._selected()
        if row is None:
            return
        try:
            exit_list.decide(self.app.store, self.park_id, row.tenant_id, self.quarter, decision,
                             today=self.app.today, thresholds=self.app.settings.risk_flags)
        except UserError as exc:
            self.notify(exc.message(), severity="error", timeout=10)
            return
        self.notify(t("exit.recorded", name=row.name, quarter=self.quarter.label(),
                      decision=t(f"exit.decision.{decision}")))
        self.reload()

    def action_quarter(self, step: int) -> None:
        self.quarter = self.quarter.shift(step)
        self.reload()

    def action_export(self) -> None:
        default = default_export_folder() / f"{t('tui.exit.file_name', quarter=str(self.quarter))}.xlsx"

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            try:
                exit_list.export_exit_list(self.app.store, self.park_id, self.quarter, path, today=self.app.today,
                                           thresholds=self.app.settings.risk_flags)
            except (UserError, OSError) as exc:
                reason = exc.message() if isinstance(exc, UserError) else (exc.strerror or str(exc))
                self.notify(reason, severity="error", timeout=10)
                return
            self.notify(t("tui.exit.exported", path=str(path)), timeout=10)

        self.app.push_screen(ExportPathScreen(t("tui.exit.export"), default, suffixes=(".xlsx",),
                                              bad_suffix_key="exit.bad_suffix"), chosen)

    def action_back(self) -> None:
        self.app.pop_screen()
