"""One deadline for all the new hazards of an inspection, from its summary (`d`).

Takes a date (2026-12-31) or "+N" days from today; a day before today (the issue date) is refused
under the field and nothing is written (services.hazards.parse_deadline_change, set_deadlines).
Dismisses with the new deadline, or None when left with Esc.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from forms.i18n import t
from inspect_app.screens.base import HAZARD, AppModalScreen
from inspect_app.services.errors import UserError
from inspect_app.services.hazards import parse_deadline_change, set_deadlines
from inspect_app.widgets.plain import Static


class DeadlinesScreen(AppModalScreen[date | None]):
    DEFAULT_CSS = """
    DeadlinesScreen { align: center middle; }
    DeadlinesScreen > Vertical { width: 60; max-width: 96%; height: auto; border: thick $primary;
                                 background: $surface; padding: 1 2; }
    DeadlinesScreen #deadlines-error { color: $error; height: auto; }
    DeadlinesScreen #deadlines-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "tui.common.back", id="deadlines.cancel")]

    def __init__(self, hazard_ids: list[str]):
        super().__init__()
        self.hazard_ids = list(hazard_ids)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("tui.deadlines.title", count=len(self.hazard_ids)), classes="screen-title")
            yield Input(placeholder=t("tui.deadlines.placeholder"), id="deadlines-input")
            yield Static("", id="deadlines-error")
            yield Static(t("tui.deadlines.hint"), id="deadlines-hint")

    def on_mount(self) -> None:
        self.query_one("#deadlines-input", Input).focus()

    @on(Input.Submitted, "#deadlines-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        today = self.app.today
        try:
            deadline = parse_deadline_change(event.value, today)
            set_deadlines(self.app.store, self.hazard_ids, deadline, today=today)
        except UserError as exc:
            self.query_one("#deadlines-error", Static).update(exc.message())
            self.app.bell()
            return
        self.announce(HAZARD)
        self.dismiss(deadline)

    def action_cancel(self) -> None:
        self.dismiss(None)
