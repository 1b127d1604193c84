"""Admission screening (入园审查) of one applicant for a park: the applicant's fields, Ctrl+S
screens them against the entry rules in force (inspect_app/services/entry.py), and the result
lists every reason to refuse with its source. With the focus on the result, `a` admits (the
tenant is entered in the ledger) and `x` records a refusal; both write the decision, who and when.
Opened with `j` from a park's ledger.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Input

from forms.i18n import t
from inspect_app.screens.base import TENANT, AppScreen
from inspect_app.services import entry
from inspect_app.services.errors import UserError
from inspect_app.widgets.form_row import FormRow, first_to_fill, show_form_result
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import Static

FIELDS = ("name", "credit_code", "industry_code", "process", "fire_hazard_class", "planned_area_m2",
          "planned_headcount", "commitment_tax_wan_per_mu", "contact_name", "contact_phone", "building", "unit_no")
REQUIRED = frozenset(FIELDS[:8])


class EntryResult(Static, can_focus=True):
    """The screening's result: focusable, so that `a` and `x` act on it instead of being typed."""


class EntryScreen(AppScreen):
    DEFAULT_CSS = """
    EntryScreen #entry-form { height: 1fr; }
    EntryScreen Input { width: 1fr; }
    EntryScreen #entry-result { height: auto; max-height: 8; padding: 0 1; border-top: solid $primary; }
    EntryScreen #entry-result:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("ctrl+s", "screen_applicant", "tui.entry.check", id="entry.check", priority=True),
        Binding("a", "admit", "tui.entry.admit", id="entry.admit"),
        Binding("x", "refuse", "tui.entry.refuse", id="entry.refuse"),
        Binding("escape", "back", "tui.common.back", id="entry.back"),
    ]
    SHOWS = frozenset()

    def __init__(self, park_id: str, park_name: str):
        super().__init__()
        self.park_id = park_id
        self.park_name = park_name
        self.screening: entry.Screening | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.entry.title", park=self.park_name), classes="screen-title")
        with VerticalScroll(id="entry-form"):
            for name in FIELDS:
                yield FormRow(name, entry.field_label(name), Input(id=f"entry-{name}", compact=True),
                              required=name in REQUIRED)
        yield EntryResult(t("tui.entry.hint"), id="entry-result")
        yield KeysFooter()

    def on_mount(self) -> None:
        row = first_to_fill(self.query(FormRow))
        (row.control if row else self.query_one(f"#entry-{FIELDS[0]}", Input)).focus()

    def _values(self) -> dict[str, str]:
        return {name: self.query_one(f"#entry-{name}", Input).value for name in FIELDS}

    def action_screen_applicant(self) -> None:
        result = self.query_one("#entry-result", EntryResult)
        self.screening = None
        values = {name: value for name, value in self._values().items() if value.strip() or name in REQUIRED}
        applicant, messages = entry.check_applicant(values)
        if applicant is None:
            show_form_result(self.query(FormRow), messages, result, t("tui.entry.fix_fields"))
            return
        try:
            self.screening = entry.screen_applicant(applicant)
        except entry.TemplateError as exc:
            result.update("\n".join(str(p) for p in exc.problems))
            return
        show_form_result(self.query(FormRow), {}, result, self._result_text())
        result.focus()

    def _result_text(self) -> str:
        s = self.screening
        lines = [t("entry.rules_version", title=s.rules.title(), id=s.rules.id, version=s.rules.version)]
        lines += [t("entry.refusal", code=r.rule.code, message=r.message(), source=r.rule.source())
                  for r in s.refusals]
        lines.append(t("entry.admissible", name=s.applicant.name, park=self.park_name) if s.admissible
                     else t("entry.refused", name=s.applicant.name, park=self.park_name, count=len(s.refusals)))
        lines.append(t("tui.entry.decide_hint"))
        return "\n".join(lines)

    def _decide(self, decision: str) -> None:
        if self.screening is None:
            self.notify(t("tui.entry.screen_first"), severity="warning")
            return
        try:
            entry.decide(self.app.store, self.park_id, self.screening, decision)
        except UserError as exc:
            self.notify(exc.message(), severity="error", timeout=10)
            return
        name = self.screening.applicant.name
        self.screening = None
        if decision == "admit":
            self.announce(TENANT)
            self.notify(t("entry.admitted", name=name, park=self.park_name))
            self.app.pop_screen()
        else:
            self.notify(t("entry.refusal_recorded", name=name))
            self.query_one("#entry-result", EntryResult).update(t("entry.refusal_recorded", name=name))

    def action_admit(self) -> None:
        self._decide("admit")

    def action_refuse(self) -> None:
        self._decide("refuse")

    def action_back(self) -> None:
        self.app.pop_screen()
