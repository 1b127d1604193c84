"""The inspector profile (name, ID number, agency, phone) and this device's role (inspector or
office: who may draw plans and review notices, services/office_role.py), asked for on first run."""

from __future__ import annotations

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Select

from forms.errors import field_messages
from forms.i18n import t
from forms.inspector import InspectorInput
from inspect_app.bindings import relabel_binding
from inspect_app.screens.base import SETTINGS, AppModalScreen
from inspect_app.services import office_role
from inspect_app.services.profile import current_inspector, save_profile
from inspect_app.widgets.form_row import FormRow, show_form_errors
from inspect_app.widgets.plain import Static

FIELDS = ("name", "id_number", "agency", "phone")


class ProfileScreen(AppModalScreen[str | None]):
    """Dismisses with the inspector's name when saved, None when put off until later."""

    DEFAULT_CSS = """
    ProfileScreen { align: center middle; }
    ProfileScreen > Vertical { width: 76; max-width: 100%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    ProfileScreen Input, ProfileScreen Select { width: 1fr; }
    ProfileScreen .intro { margin-bottom: 1; }
    """
    # Textual focuses it once the screen is composed; a query in on_mount raised NoMatches when the
    # app was closing while it pushed this screen (the first-run profile comes after a refresh).
    AUTO_FOCUS = "#profile-name"
    ENTER_MOVES_FOCUS = True  # Enter goes to the next field, at once (inspect_app/bindings.py, rule 5)
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.form.save", id="profile.save", priority=True),
        Binding("escape", "later", "tui.profile.later", id="profile.later"),
    ]

    def __init__(self, *, first_run: bool = False):
        super().__init__()
        self.first_run = first_run
        if not first_run:  # editing a saved profile: Esc leaves it as it was, there is no "later"
            relabel_binding(self, "escape", t("tui.form.cancel"))

    def compose(self) -> ComposeResult:
        inspector = current_inspector(self.app.store)
        with Vertical():
            yield Static(t("tui.profile.title"), classes="screen-title")
            yield Static(t("tui.profile.intro_first" if self.first_run else "tui.profile.intro"), classes="intro")
            for name in FIELDS:
                value = getattr(inspector, name) if inspector else ""
                yield FormRow(name, t(f"fields.inspector.{name}"),
                              Input(value or "", id=f"profile-{name}", compact=True), required=name != "phone")
            store = self.app.store
            yield FormRow("role", t("tui.profile.role"), Select(
                [(t(f"tui.profile.role_{role}"), role) for role in office_role.ROLES], value=office_role.role(store),
                allow_blank=False, id="profile-role", compact=True))
            if store.office_run:  # `parkinspect --office`: the office's role whatever is saved here
                yield Static(t("tui.profile.role_run"), id="profile-role-run")
            yield Static(t("tui.profile.hint_first" if self.first_run else "tui.profile.hint"), classes="status-line")

    def action_save(self) -> None:
        values = {name: self.query_one(f"#profile-{name}", Input).value for name in FIELDS}
        try:
            data = InspectorInput.model_validate(values)
        except ValidationError as exc:
            show_form_errors(self.query(FormRow), field_messages(exc))
            return
        inspector = save_profile(self.app.store, data)
        office_role.set_role(self.app.store, str(self.query_one("#profile-role", Select).value))
        self.announce(SETTINGS)  # the park list offers the office's keys, or not
        self.notify(t("tui.profile.saved", name=inspector.name))
        self.dismiss(inspector.name)

    def action_later(self) -> None:
        self.dismiss(None)
