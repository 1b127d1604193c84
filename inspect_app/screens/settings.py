"""The office's settings (F3, or the command palette): the issuing agency printed on every
document and the risk-flag thresholds, saved into config.toml (services/office_settings.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, TextArea

from forms.i18n import t
from inspect_app.screens.base import AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.services import office_settings
from inspect_app.services.errors import UserError
from inspect_app.services.office_settings import SettingsRefused
from inspect_app.widgets.form_row import FormRow, show_form_result
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import Static
from inspect_app.widgets.yes_no_box import YesNoBox

AGENCY_ROWS = ("name", "short", "region", "basis", "contact_address", "contact_phone", "contact_person",
               "administrative_organ", "review_body", "court")


class SettingsScreen(AppScreen[bool]):
    """Dismisses with True when saved, False when closed without saving."""

    DEFAULT_CSS = """
    SettingsScreen #settings-form { height: 1fr; }
    SettingsScreen Input { width: 1fr; }
    SettingsScreen TextArea { width: 1fr; height: 4; }
    SettingsScreen Checkbox { width: auto; }
    SettingsScreen .settings-section { text-style: bold; padding: 0 1; }
    /* Wider labels than other forms: the thresholds need words ("疑似僵尸：产值低于万元"). */
    SettingsScreen FormRow .form-label { width: 26; }
    SettingsScreen FormRow .form-error { padding: 0 1 0 27; }
    """
    AUTO_FOCUS = "#settings-name"
    ENTER_MOVES_FOCUS = True  # Enter goes to the next field, at once (inspect_app/bindings.py, rule 5)
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.form.save", id="settings.save", priority=True),
        Binding("escape", "close", "tui.form.cancel", id="settings.close"),
    ]

    def compose(self) -> ComposeResult:
        self.initial = office_settings.current_values()
        yield Header()
        yield Static(t("tui.settings.title"), classes="screen-title")
        with VerticalScroll(id="settings-form"):
            yield Static(t("tui.settings.agency_section"), classes="settings-section")
            for field in AGENCY_ROWS:
                yield FormRow(field, t(f"tui.settings.field_{field}"), self._control(field))
            yield Static(t("tui.settings.risk_section"), classes="settings-section")
            for field in office_settings.THRESHOLD_FIELDS:
                yield FormRow(field, t(f"tui.settings.field_{field}"), self._control(field), required=True)
        yield Static(t("tui.settings.hint"), id="settings-status", classes="status-line")
        yield KeysFooter(compact=True)

    def _control(self, field: str):
        value = self.initial[field]
        widget_id = f"settings-{field}"
        if field == "basis":
            return TextArea(str(value), id=widget_id, soft_wrap=True, tab_behavior="focus")
        if field == "administrative_organ":
            return YesNoBox(t("tui.settings.organ_yes"), bool(value), id=widget_id, compact=True)
        return Input(str(value), id=widget_id, compact=True)

    def values(self) -> dict[str, object]:
        result: dict[str, object] = {}
        for field in (*AGENCY_ROWS, *office_settings.THRESHOLD_FIELDS):
            widget = self.query_one(f"#settings-{field}")
            result[field] = widget.text if isinstance(widget, TextArea) else widget.value
        return result

    def action_save(self) -> None:
        try:
            office_settings.save(self.values())
        except SettingsRefused as exc:
            self.show_errors(exc.messages)
            return
        except UserError as exc:  # the file could not be read or written: said, not hidden
            self.show_errors({})
            self.query_one("#settings-status", Static).update(exc.message())
            return
        self.app.reload_settings()  # read config.toml again, once, and tell every screen
        self.notify(t("tui.settings.saved"))
        self.dismiss(True)

    def show_errors(self, messages: dict[str, str]) -> None:
        text = t("tui.form.invalid", count=len(messages)) if messages else t("tui.settings.hint")
        show_form_result(self.query(FormRow), messages, self.query_one("#settings-status", Static), text)

    def action_close(self) -> None:
        if self.values() == self.initial:
            self.dismiss(False)
            return
        self.app.push_screen(ConfirmScreen(t("tui.form.discard")),
                             lambda yes: self.dismiss(False) if yes else None)
