"""Mark a tenant as having left the park, on a day the person gives (today by default).

The ledger keeps the tenant's history; the day it left counts for the quarterly figures and the
overview, so it is asked, not assumed: a tenant often left weeks before the inspector hears of it.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from forms import fields
from forms.errors import message
from forms.i18n import t
from inspect_app.screens.base import TENANT, AppModalScreen
from inspect_app.services.errors import UserError
from inspect_app.services.ledger import mark_tenant_left
from inspect_app.widgets.form_row import FormRow, show_form_result
from inspect_app.widgets.plain import Static


class TenantLeavingScreen(AppModalScreen[bool]):
    """Dismisses with True once the tenant is marked as left, False when put back."""

    DEFAULT_CSS = """
    TenantLeavingScreen { align: center middle; }
    TenantLeavingScreen > Vertical { width: 64; max-width: 100%; height: auto; border: thick $warning;
                                     background: $surface; padding: 0 1; }
    TenantLeavingScreen Input { width: 1fr; }
    TenantLeavingScreen #leaving-status { margin-top: 1; color: $text-muted; }
    """
    AUTO_FOCUS = "#leaving-left_on"
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.leaving.save", id="leaving.save", priority=True),
        Binding("escape", "cancel", "tui.form.cancel", id="leaving.cancel"),
    ]

    def __init__(self, tenant_id: str, name: str):
        super().__init__()
        self.tenant_id = tenant_id
        self.tenant_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("tui.ledger.confirm_left", name=self.tenant_name), classes="screen-title")
            yield FormRow("left_on", t("tui.leaving.left_on"),
                          Input(self.app.today.isoformat(), id="leaving-left_on", compact=True), required=True)
            yield Static(t("tui.leaving.hint"), id="leaving-status")

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        text = self.query_one("#leaving-left_on", Input).value
        try:
            left_on = fields.parse_date(text)
            if left_on is None:
                raise fields.error("required")
        except PydanticCustomError as exc:  # the same words as a date refused on any form
            self._refused(message(exc.type, exc.context))
            return
        try:
            mark_tenant_left(self.app.store, self.tenant_id, left_on)
        except UserError as exc:
            self._refused(exc.message())
            return
        self.announce(TENANT)
        self.notify(t("tui.ledger.marked_left", name=self.tenant_name, date=left_on.isoformat()))
        self.dismiss(True)

    def _refused(self, message: str) -> None:
        show_form_result(self.query(FormRow), {"left_on": message},
                         self.query_one("#leaving-status", Static), t("tui.leaving.refused"))

    def action_cancel(self) -> None:
        self.dismiss(False)
