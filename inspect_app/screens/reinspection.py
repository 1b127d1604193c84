"""The re-inspection (复查) of one hazard, as a dialog; dismisses with the outcome, or None.

Rectified closes the hazard; not rectified needs a new deadline and keeps it open; escalate hands
it to the bureau. A photo given by path is attached to the re-inspection once it is recorded: a
bad path then leaves the re-inspection recorded, shows why next to the photo field, and Ctrl+S
tries the photo again (Esc closes).

O (Ctrl+O from a text field) issues the 复查意见书 for the rectification notice the hazard is on,
and after a re-inspection is saved the dialog offers it; a hazard on no notice gets a message
saying so (the opinion answers a notice).
"""

from __future__ import annotations

from datetime import date

from pydantic_core import PydanticCustomError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Select

from forms import fields
from forms.errors import message as error_message
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, AppModalScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.services.attachments import attach_file
from inspect_app.services.errors import UserError
from inspect_app.services.hazards import REINSPECTION_OUTCOMES, get_hazard, record_reinspection
from inspect_app.services.notice_drafts import opinion_notice_of
from inspect_app.widgets.form_row import FormRow, show_form_result
from inspect_app.widgets.plain import Static

FIELDS = ("outcome", "inspected_on", "evidence_note", "photo", "new_deadline")
MAX_NOTE = 1000


class ReinspectionScreen(AppModalScreen[str | None]):
    DEFAULT_CSS = """
    ReinspectionScreen { align: center middle; }
    ReinspectionScreen > Vertical { width: 78; max-width: 100%; height: auto; border: thick $primary;
                                    background: $surface; padding: 0 1; }
    ReinspectionScreen Input, ReinspectionScreen Select { width: 1fr; }
    ReinspectionScreen #reinspection-title { text-style: bold; margin-bottom: 1; }
    ReinspectionScreen #reinspection-status { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.reinspection.save", id="reinspection.save", priority=True),
        Binding("o", "issue_opinion", "tui.reinspection.opinion", id="reinspection.opinion"),
        # From a text field, where O is a letter typed.
        Binding("ctrl+o", "issue_opinion", "tui.reinspection.opinion", id="reinspection.opinion_ctrl",
                show=False, priority=True),
        Binding("escape", "cancel", "tui.reinspection.cancel", id="reinspection.cancel"),
    ]

    def __init__(self, hazard_id: str):
        super().__init__()
        self.hazard_id = hazard_id
        self.reinspection_id: str | None = None
        self.outcome: str | None = None

    def compose(self) -> ComposeResult:
        row = get_hazard(self.app.store, self.hazard_id, self.app.today, self.app.settings.calendar)
        with Vertical():
            yield Static(formatting.clip(t("tui.reinspection.title", description=row.description), 140),
                         id="reinspection-title")
            for name in FIELDS:
                yield FormRow(name, t(f"tui.reinspection.fields.{name}"), self._control(name),
                              required=name in ("outcome", "inspected_on"))
            yield Static(t("tui.reinspection.hint"), id="reinspection-status")

    def _control(self, name: str) -> Widget:
        widget_id = f"reinspection-{name}"
        if name == "outcome":
            return Select([(t(f"tui.reinspection.outcomes.{o}"), o) for o in REINSPECTION_OUTCOMES],
                          value="rectified", allow_blank=False, id=widget_id, compact=True)
        value = self.app.today.isoformat() if name == "inspected_on" else ""
        placeholder = {"new_deadline": t("tui.reinspection.new_deadline_placeholder"),
                       "photo": t("tui.reinspection.photo_placeholder", example=formatting.photo_path_example())}.get(name, "")
        return Input(value, placeholder=placeholder, id=widget_id, compact=True)

    def on_mount(self) -> None:
        self.query_one("#reinspection-outcome").focus()

    def value(self, name: str) -> str:
        widget = self.query_one(f"#reinspection-{name}")
        return str(widget.value) if widget.value is not Select.NULL else ""

    def action_save(self) -> None:
        if self.reinspection_id is None and not self._record():
            return
        if self._attach_photo():
            self.offer_opinion()

    def offer_opinion(self) -> None:
        """After a re-inspection is recorded: when its hazard is on a rectification notice, ask
        whether to issue the 复查意见书 now; then close with the outcome either way."""
        number = opinion_notice_of(self.app.store, self.hazard_id)
        if number is None:
            self.dismiss(self.outcome)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.open_opinion(number, then_close=True)
            else:
                self.dismiss(self.outcome)

        self.app.push_screen(ConfirmScreen(t("tui.reinspection.offer_opinion", number=number)), answered)

    def open_opinion(self, number: str, *, then_close: bool = False) -> None:
        self.app.push_screen(IssueNoticeScreen.opinion(number),
                             (lambda _issued: self.dismiss(self.outcome)) if then_close else None)

    def action_issue_opinion(self) -> None:
        number = opinion_notice_of(self.app.store, self.hazard_id)
        if number is None:
            self.query_one("#reinspection-status", Static).update(t("tui.reinspection.no_notice"))
            self.app.bell()
            return
        self.open_opinion(number)

    def _record(self) -> bool:
        """Check the typed values and record the re-inspection; False (nothing written) if refused."""
        errors: dict[str, str] = {}

        def parsed(name: str, parse):
            try:
                return parse(self.value(name))
            except PydanticCustomError as exc:
                errors[name] = error_message(exc.type, exc.context)
                return None

        on: date | None = parsed("inspected_on", fields.parse_date)
        if on is None and "inspected_on" not in errors:
            errors["inspected_on"] = error_message("required")
        new_deadline = parsed("new_deadline", fields.parse_date)
        note = parsed("evidence_note", lambda v: fields.optional_text(v, max_length=MAX_NOTE))
        if errors:
            self.show_errors(errors, t("tui.reinspection.invalid", count=len(errors)))
            return False
        outcome = self.value("outcome")
        actor = self.app.store.actor_id
        try:
            self.reinspection_id = record_reinspection(
                self.app.store, self.hazard_id, outcome=outcome, on=on, evidence_note=note,
                new_deadline=new_deadline, inspector_ids=[actor] if actor else [])
        except UserError as exc:
            self.show_errors({exc.field: exc.message()} if exc.field else {}, exc.message())
            return False
        self.announce(HAZARD)
        self.outcome = outcome
        # Recorded: only the photo may still change (a second Ctrl+S must not record it twice).
        for name in FIELDS:
            if name != "photo":
                self.query_one(f"#reinspection-{name}").disabled = True
        return True

    def _attach_photo(self) -> bool:
        path = self.value("photo").strip()
        if not path:
            return True
        try:
            attach_file(self.app.store, path=path, owner_table="reinspection", owner_id=self.reinspection_id,
                        strip_metadata=self.app.settings.strip_photo_metadata)
        except UserError as exc:
            self.show_errors({"photo": exc.message()}, t("tui.reinspection.photo_failed"))
            self.query_one("#reinspection-photo").focus()
            return False
        self.notify(t("tui.reinspection.photo_attached"))
        return True

    def show_errors(self, messages: dict[str, str], status: str) -> None:
        show_form_result(self.query(FormRow), messages, self.query_one("#reinspection-status", Static), status)

    def action_cancel(self) -> None:
        self.dismiss(self.outcome)  # None unless the re-inspection was recorded
