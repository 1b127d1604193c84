"""Give a field the ledger file has no column for a default value (导入默认值), for new tenants.

Opened with `d` on the ledger import screen. The person picks a field (those no column fills) and
types its value; Enter checks it as the add-tenant form checks that field and refuses a bad one
with the field's message, closing nothing. An empty value removes the person's default (the
add-tenant form's own, 规下 and 在园, then applies again). Dismisses with (field, value or None),
or None on Esc.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Select

from forms.catalogues import accepted_values
from forms.i18n import t
from forms.tenant import CHOICE_FIELDS, NEW_TENANT_DEFAULTS
from inspect_app.screens.base import AppModalScreen
from inspect_app.services.errors import UserError
from inspect_app.services.ledger_import import check_default, field_label, shown_value
from inspect_app.widgets.plain import Static


class ImportDefaultScreen(AppModalScreen[tuple[str, str | None] | None]):
    DEFAULT_CSS = """
    ImportDefaultScreen { align: center middle; }
    ImportDefaultScreen > Vertical { width: 76; max-width: 96%; height: auto; border: thick $primary;
                                     background: $surface; padding: 1 2; }
    ImportDefaultScreen Select, ImportDefaultScreen Input { width: 100%; }
    ImportDefaultScreen #default-error { color: $error; height: auto; }
    ImportDefaultScreen #default-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "tui.common.back", id="import_default.cancel")]

    def __init__(self, fields: list[str], given: dict[str, str]):
        """`fields`: those the person may give a default (no column fills them); `given`: the
        defaults already given, field -> value as typed."""
        super().__init__()
        # The form's own defaults (规模, 状态) and the closed lists first: what a park's file most
        # often lacks and a person most often wants the same for every new tenant.
        self.fields = sorted(fields, key=lambda name: (name not in NEW_TENANT_DEFAULTS, name not in CHOICE_FIELDS))
        self.given = dict(given)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("tui.import_default.title"))
            options = [(self._option(name), name) for name in self.fields]
            yield Select(options, value=self.fields[0], allow_blank=False, id="default-field", compact=True)
            yield Input(self.given.get(self.fields[0], ""), placeholder=t("tui.import_default.value"),
                        id="default-value", compact=True)
            yield Static("", id="default-error")
            yield Static("", id="default-hint")

    def _option(self, name: str) -> str:
        if name in self.given:
            return t("tui.import_default.option_given", field=field_label(name), value=self.given[name])
        if name in NEW_TENANT_DEFAULTS:
            return t("tui.import_default.option_form", field=field_label(name),
                     value=shown_value(name, NEW_TENANT_DEFAULTS[name]))
        return field_label(name)

    def on_mount(self) -> None:
        self._show_field(self.fields[0])
        self.query_one("#default-value", Input).focus()

    @on(Select.Changed, "#default-field")
    def _field_changed(self, event: Select.Changed) -> None:
        name = str(event.value)
        self.query_one("#default-value", Input).value = self.given.get(name, "")
        self._show_field(name)
        self.query_one("#default-value", Input).focus()

    def _show_field(self, name: str) -> None:
        """The hint under the box: the accepted values of a closed list, else what Enter does."""
        self.query_one("#default-error", Static).update("")
        hint = t("tui.import_default.hint")
        if name in CHOICE_FIELDS:
            hint = t("tui.import_default.choices", choices=accepted_values(CHOICE_FIELDS[name])) + "\n" + hint
        self.query_one("#default-hint", Static).update(hint)

    @on(Input.Submitted, "#default-value")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = str(self.query_one("#default-field", Select).value)
        text = event.value.strip()
        if not text:
            self.dismiss((name, None))
            return
        try:
            check_default(name, text)
        except UserError as exc:  # the field's own message; the screen has imported nothing
            reason = exc.values.get("reason")
            self.query_one("#default-error", Static).update(
                t("tui.import_default.refused", value=text, reason=reason) if reason else exc.message())
            return
        self.dismiss((name, text))

    def action_cancel(self) -> None:
        self.dismiss(None)
