"""Add or change one building of a park: the fields of `forms.building.BuildingInput`, in the form
style of the tenant form (a label, the field, its message underneath; YesNoBox for yes/no).

A refused save shows each message next to its field and writes nothing; a good save is one
transaction (services/buildings.py) and tells the other screens: the county's rules read buildings,
so the ledger's rule marks and the overviews' counts change with them.
"""

from __future__ import annotations

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Select, Static

from forms.building import BUILDING_FIELDS, BuildingInput
from forms.catalogues import CHOICE_LISTS, label
from forms.errors import field_messages
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import TENANT, AppScreen
from inspect_app.services.buildings import building_as_input, save_building
from inspect_app.services.errors import UserError
from inspect_app.widgets.form_row import FormRow, first_to_fill, show_form_result
from inspect_app.widgets.yes_no_box import YesNoBox

# (field, kind): "text", "bool" or "select:<list>" of forms.catalogues.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "text"),
    ("design_hazard_class", "select:fire_hazard_class"),
    ("fire_resistance_grade", "select:fire_resistance_grade"),
    ("floors", "text"),
    ("floor_area_m2", "text"),
    ("sprinklers", "bool"),
    ("fire_alarm", "bool"),
    ("manager_name", "text"),
)
assert {name for name, _ in FIELDS} == set(BUILDING_FIELDS)  # every field of the model has its row
REQUIRED = frozenset(name for name, f in BuildingInput.model_fields.items() if f.is_required())


class BuildingFormScreen(AppScreen[str | None]):
    DEFAULT_CSS = """
    BuildingFormScreen #form { height: 1fr; }
    BuildingFormScreen Input, BuildingFormScreen Select { width: 1fr; }
    BuildingFormScreen Checkbox { width: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.form.save", id="building_form.save", priority=True),
        Binding("escape", "cancel", "tui.form.cancel", id="building_form.cancel"),
    ]

    def __init__(self, *, park_id: str, park_label: str, building_id: str | None):
        super().__init__()
        self.park_id = park_id
        self.park_label = park_label
        self.building_id = building_id
        self.initial: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        values = building_as_input(self.app.store, self.building_id) if self.building_id else {}
        yield Header()
        title = (t("buildings.edit_title", name=values.get("name")) if self.building_id
                 else t("buildings.add_title", park=self.park_label))
        yield Static(title, classes="screen-title", id="form-title", markup=False)
        with VerticalScroll(id="form", can_focus=False):  # Tab goes field to field, not to the container
            for name, kind in FIELDS:
                yield FormRow(name, t(f"fields.building.{name}"), self._control(name, kind, values.get(name)),
                              required=name in REQUIRED)
        yield Static(t("tui.form.hint"), classes="status-line", id="form-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.initial = self.values()
        row = first_to_fill(self.query(FormRow))
        (row.control if row is not None else self.query_one("#field-name")).focus()

    def _control(self, name: str, kind: str, value: object) -> Widget:
        widget_id = f"field-{name}"
        if kind == "bool":
            return YesNoBox(t("common.yes"), value=bool(value), id=widget_id, compact=True)
        if kind.startswith("select:"):
            options = [(label(kind[7:], code), code) for code in CHOICE_LISTS[kind[7:]]]
            return Select(options, value=value if value else Select.NULL, prompt=t("tui.form.choose"),
                          id=widget_id, compact=True, allow_blank=True)
        return Input(formatting.input_text(value), id=widget_id, compact=True)

    def values(self) -> dict[str, object]:
        """What the person has typed, field by field, before validation."""
        result: dict[str, object] = {}
        for name, _kind in FIELDS:
            widget = self.query_one(f"#field-{name}")
            result[name] = ("" if widget.value is Select.NULL else widget.value) if isinstance(widget, Select) \
                else widget.value
        return result

    def action_save(self) -> None:
        try:
            data = BuildingInput.model_validate(self.values())
        except ValidationError as exc:
            self.show_errors(field_messages(exc))
            return
        try:
            saved = save_building(self.app.store, park_id=self.park_id, data=data, building_id=self.building_id)
        except UserError as exc:
            self.show_errors({exc.field or "name": exc.message()})
            return
        self.announce(TENANT)  # the rules' results of the building's tenants may have changed
        self.show_errors({})
        self.notify(t("buildings.saved", name=data.name))
        self.dismiss(saved)

    def show_errors(self, messages: dict[str, str]) -> None:
        text = t("tui.form.invalid", count=len(messages)) if messages else t("tui.form.hint")
        show_form_result(self.query(FormRow), messages, self.query_one("#form-status", Static), text)

    def action_cancel(self) -> None:
        from inspect_app.screens.confirm import ConfirmScreen

        if self.values() == self.initial:
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmScreen(t("tui.form.discard")),
                             lambda yes: self.dismiss(None) if yes else None)
