"""Ask where to write an export: a path prefilled with a dated default, Tab completes, Enter confirms.

Dismisses with the chosen Path (suffix .xlsx or .csv, or those the caller names), or None when the person leaves with Esc.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from forms.i18n import t
from inspect_app.screens.base import AppModalScreen
from inspect_app.widgets.path_input import PathInput
from inspect_app.widgets.plain import Static

SUFFIXES = (".xlsx", ".csv")


class ExportPathScreen(AppModalScreen[Path | None]):
    DEFAULT_CSS = """
    ExportPathScreen { align: center middle; }
    ExportPathScreen > Vertical { width: 76; max-width: 96%; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    ExportPathScreen #export-error { color: $error; height: auto; }
    ExportPathScreen #export-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "tui.common.back", id="export_path.cancel")]

    def __init__(self, title: str, default: Path, *, suffixes: tuple[str, ...] = SUFFIXES,
                 hint_key: str = "tui.export_path.hint", bad_suffix_key: str = "cli.export_bad_suffix"):
        super().__init__()
        self.title_text = title
        self.default = default
        self.suffixes = suffixes  # the quarterly report: .xlsx or .pdf
        self.hint_key = hint_key
        self.bad_suffix_key = bad_suffix_key

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text)
            yield PathInput(str(self.default), id="export-path")
            yield Static("", id="export-error")
            yield Static(t(self.hint_key), id="export-hint")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip().strip("'\"")).expanduser()
        if path.suffix.lower() not in self.suffixes:
            self.query_one("#export-error", Static).update(t(self.bad_suffix_key, suffix=path.suffix or "(none)"))
            return
        if not path.parent.is_dir():
            self.query_one("#export-error", Static).update(t("tui.export_path.no_folder", folder=path.parent))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
