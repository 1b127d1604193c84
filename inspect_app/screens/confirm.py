"""A yes/no question as a modal dialog; dismisses with True or False.

Characters typed before the dialog was shown are swallowed: the rest of a name typed at speed
("…jianguo y"), queued behind the key that opened the dialog, must not answer "Yes (Y)" (the rule
in inspect_app/bindings.py). Only a key pressed once the question is on screen answers it.
"""

from __future__ import annotations

from textual import events
from textual._time import get_time
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from forms.i18n import t
from inspect_app.screens.base import AppModalScreen
from inspect_app.widgets.plain import Static


class ConfirmScreen(AppModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; max-width: 90%; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    ConfirmScreen Horizontal { height: auto; align: center middle; margin-top: 1; }
    ConfirmScreen Button { margin: 0 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "tui.confirm.yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "tui.confirm.no", id="confirm.no"),
    ]

    def __init__(self, question: str):
        super().__init__()
        self.question = question
        self.shown_at = float("inf")  # until mounted every key is early

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(t("tui.confirm.yes_button"), id="yes", variant="warning")
                yield Button(t("tui.confirm.no_button"), id="no")

    def on_mount(self) -> None:
        self.shown_at = get_time()
        self.query_one("#no", Button).focus()

    def on_key(self, event: events.Key) -> None:
        # A key's time is when the terminal delivered it (the same clock): typed-ahead keys queued
        # behind the one that opened the dialog are older than the dialog itself.
        if event.is_printable and event.time < self.shown_at:
            event.stop()  # never reaches the app's bindings: Y and N are not answers yet
            event.prevent_default()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
