"""Add or change one building of a park: the fields of `forms.building.BuildingInput`, in the form
style of the tenant form (a label, the field, its message underneath; YesNoBox for yes/no).

A refused save shows each message next to its field and writes nothing; a good save is one
transaction (services/buildings.py) and tells the other screens: the county's rules read buildings,
so the ledger's rule marks and the overviews' counts change with them.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header

from forms.building import BUILDING_FIELDS, BuildingInput
from forms.i18n import t
from inspect_app.screens.field_form import FieldFormScreen
from inspect_app.services.buildings import building_as_input, save_building
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import Static

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


class BuildingFormScreen(FieldFormScreen):
    DEFAULT_CSS = """
    BuildingFormScreen #form { height: 1fr; }
    BuildingFormScreen Input, BuildingFormScreen Select { width: 1fr; }
    BuildingFormScreen Checkbox { width: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.form.save", id="building_form.save", priority=True),
        Binding("escape", "cancel", "tui.form.cancel", id="building_form.cancel"),
    ]
    MODEL, FIELDS, REQUIRED, LABELS = BuildingInput, FIELDS, REQUIRED, "fields.building"

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
        yield Static(title, classes="screen-title", id="form-title")
        with VerticalScroll(id="form", can_focus=False):  # Tab goes field to field, not to the container
            yield from self.field_rows(values)
        yield Static(t("tui.form.hint"), classes="status-line", id="form-status")
        yield KeysFooter(compact=True)

    def write(self, data: BuildingInput) -> str:
        return save_building(self.app.store, park_id=self.park_id, data=data, building_id=self.building_id)

    def after_save(self, data: BuildingInput, saved: str) -> str:
        self.notify(t("buildings.saved", name=data.name))
        return saved
