"""A small chooser over a tenant's results of the county's rules: which one becomes a hazard.

`g` on the ledger opens it when the highlighted tenant breaks more than one rule (one result
becomes a hazard at once). Each line is the finding in words with the article it rests on;
Enter picks it, Esc closes without a choice.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from forms.i18n import t
from inspect_app.screens.base import AppModalScreen
from inspect_app.widgets.plain import Static, as_typed


class RuleResultsScreen(AppModalScreen[str | None]):
    """Dismisses with the chosen result's rule code, or None."""

    DEFAULT_CSS = """
    RuleResultsScreen { align: center middle; }
    RuleResultsScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 20;
        border: round $primary; padding: 0 1; background: $surface;
    }
    RuleResultsScreen .pick-title { text-style: bold; }
    RuleResultsScreen OptionList { height: auto; max-height: 14; }
    RuleResultsScreen .pick-hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", "tui.common.back", id="rule_results.close"),
    ]

    def __init__(self, tenant_name: str, results: list):
        super().__init__()
        self.tenant_name = tenant_name
        self.results = results  # forms.rule_checks.RuleResult, in the rules file's order

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("rules.pick_title", name=self.tenant_name), classes="pick-title")
            yield OptionList(*[Option(as_typed(result.text()), id=result.rule.code) for result in self.results],
                             id="rule-results")
            yield Static(t("tui.rules.pick_hint"), classes="pick-hint")

    def on_mount(self) -> None:
        options = self.query_one("#rule-results", OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#rule-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
