"""Tenant detail and edit form: add a tenant, or look at and change one.

Validation is `forms.tenant.TenantInput`, the same model the importer uses. A refused save shows
each message next to its field and writes nothing; a good save is one transaction (row + change
log + audit event) and returns the tenant id to the ledger.

An existing tenant's results of the county's rules are listed under the title, each finding with
the article it rests on (services/rules.py, evaluated over its park when the form opens).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header

from forms.credit_code import organisation_code_warning
from forms.i18n import t
from forms.rules import TemplateError
from forms.tenant import NEW_TENANT_DEFAULTS, TenantInput
from inspect_app.screens.field_form import FieldFormScreen
from inspect_app.services.ledger import get_tenant, save_tenant, tenant_as_input
from inspect_app.services.rules import tenant_results
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.placeholders import placeholder
from inspect_app.widgets.plain import Static

# (field, kind): kind is "text", "bool", "multi:<list>" or "select:<list>" of forms.catalogues.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "text"),
    ("credit_code", "text"),
    ("contact_name", "text"),
    ("contact_phone", "text"),
    ("building", "text"),
    ("unit_no", "text"),
    ("rented_area_m2", "text"),
    ("headcount", "text"),
    ("scale", "select:scale"),
    ("lease_use", "select:lease_use"),
    ("risk_points", "multi:risk_point"),
    ("lease_start", "text"),
    ("lease_end", "text"),
    ("status", "select:tenant_status"),
    ("fire_hazard_class", "select:fire_hazard_class"),
    ("process_or_goods", "text"),
    ("safety_agreement_signed", "bool"),
    ("safety_agreement_date", "text"),
    ("sublet", "bool"),
    ("subtenant_name", "text"),
    ("people_living_on_site", "bool"),
    ("floor", "text"),
    ("three_party_agreement", "bool"),
    ("bank_consent", "bool"),
    ("notes", "text"),
)
REQUIRED = frozenset(name for name, f in TenantInput.model_fields.items() if f.is_required())


class TenantFormScreen(FieldFormScreen):
    DEFAULT_CSS = """
    TenantFormScreen #form { height: 1fr; }
    TenantFormScreen Input, TenantFormScreen Select { width: 1fr; }
    TenantFormScreen SelectionList { width: 1fr; height: auto; max-height: 8; }
    TenantFormScreen Checkbox { width: auto; }
    TenantFormScreen #form-rules { height: auto; max-height: 5; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.form.save", id="form.save", priority=True),
        Binding("escape", "cancel", "tui.form.cancel", id="form.cancel"),
    ]
    MODEL, FIELDS, REQUIRED, LABELS = TenantInput, FIELDS, REQUIRED, "fields.tenant"

    def __init__(self, *, park_id: str | None, tenant_id: str | None):
        super().__init__()
        self.tenant_id = tenant_id
        self.park_id = park_id
        self.tenant = None
        self.initial: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        if self.tenant_id:
            self.tenant = get_tenant(self.app.store, self.tenant_id)
            self.park_id = self.tenant.park_id
        yield Header()
        title = t("tui.form.edit_title", name=self.tenant.name) if self.tenant else t("tui.form.add_title")
        yield Static(title, classes="screen-title", id="form-title")
        if self.tenant is not None:
            yield Static(self._rule_findings(), id="form-rules")
        with VerticalScroll(id="form", can_focus=False):  # Tab goes field to field, not to the container
            values = self._initial_values()
            yield from self.field_rows(values)
        yield Static(t("tui.form.hint"), classes="status-line", id="form-status")
        yield KeysFooter(compact=True)

    def _rule_findings(self) -> str:
        """Each of the tenant's rule results on its line ("⚠ finding (basis: article)"), or that there are none."""
        try:
            found = tenant_results(self.app.store, self.park_id, self.tenant_id)
        except TemplateError:
            return t("tui.rules.file_invalid")
        if not found:
            return t("rules.none")
        return "\n".join(t("tui.rules.form_line", text=result.text()) for result in found)

    def _initial_values(self) -> dict[str, object]:
        if self.tenant is None:
            return dict(NEW_TENANT_DEFAULTS)  # the same a ledger import fills in
        return tenant_as_input(self.tenant)

    def placeholder_of(self, name: str) -> str:
        return placeholder(name)

    def write(self, data: TenantInput):
        return save_tenant(self.app.store, park_id=self.park_id, data=data, tenant_id=self.tenant_id)

    def after_save(self, data: TenantInput, tenant) -> str:
        if organisation_code_warning(data.credit_code):
            self.notify(t("warnings.organisation_code"), severity="warning", timeout=8)
        self.notify(t("tui.form.saved", name=tenant.name))
        return tenant.id
