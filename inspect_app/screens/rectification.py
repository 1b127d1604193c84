"""One hazard and its rectification (五落实): see it, fill it in, re-inspect it, read its history.

The form validates with `forms.rectification` (HazardInput, RectificationInput), the models the
CLI and the notice use too. A refused save shows each message next to its field and writes
nothing. The line under the form says which of the five are still missing, as the person types.

Letter keys (R re-inspect, D pending review, H history, N notice) act while the summary at the top
has the focus; in a field they are typed. The screen opens in the first empty field of the five
(on the summary only when nothing is missing). Esc from a field goes back to the summary; Esc
there leaves.

Opened with a list of hazard ids (the inspection summary's new hazards), the screen walks them:
Ctrl+N and Ctrl+S save the current one (when changed) and open the next; after the last the notice
for the walked hazards opens (the issue screen), since issuing it is what comes next at the door.
Opened on one hazard, Ctrl+S saves and stays. N saves a valid form first, then opens the notice.

Empty fields start from defaults (`services.hazards.five_defaults`): the responsible person and
phone given on the inspection's earlier hazard, else the tenant's contact; the earlier hazard's
contingency plan. Measures are offered as completions (→ takes one), not prefilled: each hazard
needs its own. A prefilled value is saved like a typed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Header, Input, Select

from forms import fields
from forms.errors import field_messages
from forms.i18n import t
from forms.rectification import MAX_FUNDS_YUAN, HazardInput, RectificationInput, missing_implementations
from inspect_app import formatting
from inspect_app.screens.audit import AuditScreen
from inspect_app.screens.base import HAZARD, AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.services.errors import UserError
from inspect_app.services.hazards import (
    FiveDefaults,
    HazardRow,
    five_defaults,
    get_hazard,
    mark_pending_review,
    rectification_values,
    save_hazard,
    save_rectification,
)
from inspect_app.services.lookback import repeat_line
from inspect_app.services.notice_review import hazard_notes
from inspect_app.services.notices import hazards_for_notice
from inspect_app.widgets.form_row import FormRow, first_to_fill, show_form_result
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.placeholders import placeholder
from inspect_app.widgets.plain import Static

HAZARD_FIELDS = ("location", "description", "severity")
FIVE_FIELDS = ("responsible_person", "responsible_phone", "measures", "funds_yuan", "funds_reason", "deadline",
               "contingency_plan")
# Which of the five each field serves, for the "*" a complete notice needs.
NEEDED_FOR_NOTICE = frozenset({"responsible_person", "responsible_phone", "measures", "funds_yuan", "deadline",
                               "contingency_plan"})
SEVERITIES = ("general", "major")
LETTER_ACTIONS = frozenset({"reinspect", "pending_review", "history", "issue_notice"})


class Summary(Static, can_focus=True):
    """The hazard's header; focusable so that the screen's letter keys have somewhere to land."""


class RectificationScreen(AppScreen[str | None]):
    DEFAULT_CSS = """
    RectificationScreen #hazard-summary { height: auto; padding: 0 1; }
    RectificationScreen #hazard-summary:focus { background: $boost; }
    RectificationScreen #form { height: 1fr; }
    RectificationScreen .section { padding: 0 1; color: $accent; text-style: bold; }
    RectificationScreen Input, RectificationScreen Select { width: 1fr; }
    RectificationScreen #missing { height: auto; padding: 0 1; color: $warning; }
    RectificationScreen #missing.-complete { color: $success; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.rectification.save", id="rectification.save", priority=True),
        Binding("ctrl+n", "next", "tui.rectification.next", id="rectification.next", priority=True),
        Binding("r", "reinspect", "tui.rectification.reinspect", id="rectification.reinspect"),
        Binding("d", "pending_review", "tui.rectification.pending_review", id="rectification.pending_review"),
        Binding("h", "history", "tui.rectification.history", id="rectification.history"),
        Binding("n", "issue_notice", "tui.notice.hazards_issue", id="rectification.issue"),
        Binding("escape", "back", "tui.rectification.back", id="rectification.back"),
    ]

    def __init__(self, hazard_id: str, hazard_ids: Sequence[str] | None = None):
        super().__init__()
        self.hazard_ids = list(hazard_ids) if hazard_ids else [hazard_id]
        if hazard_id not in self.hazard_ids:
            self.hazard_ids.insert(0, hazard_id)
        self.hazard_id = hazard_id
        self.row: HazardRow | None = None
        self.initial: dict[str, str] = {}  # what the form opened with (defaults included)
        self.stored: dict[str, str] = {}  # what is stored: a save writes when the form differs
        self.defaults = FiveDefaults({}, {})
        self.saved_id: str | None = None  # the last hazard saved here: what the screen returns
        self.built = False  # False while the form is being (re)built: its fields' events are not typing

    @property
    def walking(self) -> bool:
        return len(self.hazard_ids) > 1

    @property
    def position(self) -> int:
        return self.hazard_ids.index(self.hazard_id)

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.row = row = get_hazard(self.app.store, self.hazard_id, self.app.today, self.app.settings.calendar)
        subject = row.tenant_name or t("tui.hazards.common_areas")
        title = (t("tui.rectification.title_walk", position=self.position + 1, count=len(self.hazard_ids),
                   subject=subject) if self.walking else t("tui.rectification.title", subject=subject))
        values = {"location": row.location, "description": row.description, "severity": row.severity,
                  **rectification_values(row)}
        self.stored = {name: formatting.input_text(value) if name != "severity" else str(value)
                       for name, value in values.items()}
        self.defaults = five_defaults(self.app.store, self.hazard_id)
        for name, value in self.defaults.prefill.items():
            if not self.stored.get(name):
                values[name] = value
        yield Header()
        yield Static(title, classes="screen-title", id="rectification-title")
        yield Summary(self._summary(row), id="hazard-summary")
        form = VerticalScroll(id="form")
        form.can_focus = False  # Tab goes from the summary straight to the first field
        with form:
            yield Static(t("tui.rectification.section_hazard"), classes="section")
            for name in HAZARD_FIELDS:
                yield FormRow(name, t(f"tui.rectification.fields.{name}"), self._control(name, values[name]),
                              required=True)
            yield Static(t("tui.rectification.section_five"), classes="section")
            for name in FIVE_FIELDS:
                yield FormRow(name, t(f"tui.rectification.fields.{name}"), self._control(name, values[name]),
                              required=name in NEEDED_FOR_NOTICE)
        yield Static("", id="missing")
        yield Static(self._hint(), classes="status-line", id="form-status")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self._ready()

    def _ready(self) -> None:
        """After (re)building the form: remember what it holds, say what is missing, place the focus."""
        self.built = True
        self.initial = self.values()
        self._update_missing()
        # Something to fill in: start typing there (the first empty one of the five). Only a
        # complete hazard opens on its summary, where its letter keys act (bindings.py).
        row = first_to_fill(self.query(FormRow))
        (row.control if row is not None else self.query_one("#hazard-summary")).focus()

    def _summary(self, row: HazardRow) -> Text:
        status = t(f"choices.hazard_status.{row.status}")
        header = t("tui.rectification.header", severity=t(f"choices.severity.{row.severity}"), status=status,
                   found_on=row.found_on.isoformat(),
                   deadline=row.deadline.isoformat() if row.deadline else t("tui.hazards.no_deadline"))
        text = Text(row.location + "\n")
        text.append(header)
        if row.status == "overdue":
            text.highlight_words([status], style="bold red")
        if row.repeat:  # came back after an earlier one was closed: the inspector should know at once
            text.append("  " + repeat_line(row.repeat), style="bold yellow")
        if row.notice_number:
            text.append("\n" + t("tui.rectification.header_notice", number=row.notice_number), style="italic")
        note = hazard_notes(self.app.store, [row.id]).get(row.id)
        if note:  # the office returned the notice or asked for changes: what to correct, on top
            text.append("\n" + t("tui.review.hazard_note", comment=note), style="bold yellow")
        return text

    def _control(self, name: str, value: object) -> Widget:
        widget_id = f"field-{name}"
        if name == "severity":
            return Select([(t(f"choices.severity.{s}"), s) for s in SEVERITIES], value=value, allow_blank=False,
                          id=widget_id, compact=True)
        offered = self.defaults.suggestions.get(name)
        return Input(formatting.input_text(value), placeholder=placeholder(name), id=widget_id, compact=True,
                     suggester=SuggestFromList(offered, case_sensitive=False) if offered else None)

    def _hint(self) -> str:
        return t("tui.rectification.hint_walk" if self.walking else "tui.rectification.hint")

    def values(self) -> dict[str, str]:
        """What the form holds, field by field, before validation."""
        result = {}
        for name in (*HAZARD_FIELDS, *FIVE_FIELDS):
            widget = self.query_one(f"#field-{name}")
            if isinstance(widget, Select):
                result[name] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                result[name] = widget.value
        return result

    @property
    def changed(self) -> bool:
        """Changed since the form opened: leaving asks before losing it."""
        return self.values() != self.initial

    @property
    def unsaved(self) -> bool:
        """Differs from what is stored (defaults put in count): saving writes."""
        return self.values() != self.stored

    # --- what is missing, as it is typed ------------------------------------------------------

    @on(Input.Changed)
    def _field_changed(self) -> None:
        if self.built:
            self._update_missing()

    def _update_missing(self) -> None:
        missing = lenient_missing(self.values())
        line = self.query_one("#missing", Static)
        separator = t("tui.rectification.list_separator")
        line.update(t("tui.rectification.missing", parts=separator.join(t(f"five.{m}") for m in missing))
                    if missing else t("tui.rectification.complete"))
        line.set_class(not missing, "-complete")

    # --- saving -------------------------------------------------------------------------------

    async def action_save(self) -> None:
        """Save; in a walk go on (the next hazard, after the last the notice); alone, stay here."""
        if self.walking:
            await self.action_next()
            return
        if not self.save():
            return
        self.notify(t("tui.rectification.saved"))
        self.query_one("#hazard-summary", Summary).update(
            self._summary(get_hazard(self.app.store, self.hazard_id, self.app.today, self.app.settings.calendar)))

    def save(self) -> bool:
        """Validate and write the hazard and its 五落实; on refusal show why and write nothing."""
        values = self.values()
        errors: dict[str, str] = {}
        hazard = five = None
        try:
            hazard = HazardInput.model_validate({k: values[k] for k in HAZARD_FIELDS})
        except ValidationError as exc:
            errors.update(field_messages(exc))
        try:
            five = RectificationInput.model_validate({k: values[k] for k in FIVE_FIELDS})
        except ValidationError as exc:
            errors.update(field_messages(exc))
        if errors:
            self.show_errors(errors, t("tui.rectification.invalid", count=len(errors)))
            return False
        try:
            # The hazard first: a notice-locked hazard refuses a change before its 五落实 is touched.
            save_hazard(self.app.store, self.hazard_id, hazard)
            save_rectification(self.app.store, self.hazard_id, five, today=self.app.today)
        except UserError as exc:
            message = exc.message()
            field = exc.field or ("description" if exc.key == "errors.hazard_locked" else None)
            self.show_errors({field: message} if field else {}, t("tui.rectification.refused", message=message))
            return False
        self.announce(HAZARD)
        self.show_errors({}, t("tui.rectification.saved"))
        self.initial = self.stored = values
        self.saved_id = self.hazard_id
        return True

    def show_errors(self, messages: dict[str, str], status: str) -> None:
        show_form_result(self.query(FormRow), messages, self.query_one("#form-status", Static), status)

    async def action_next(self) -> None:
        saved_at = self.position + 1
        if self.unsaved:
            if not self.save():
                return
            self.notify(t("tui.rectification.saved_walk", position=saved_at, count=len(self.hazard_ids)))
        if saved_at >= len(self.hazard_ids):
            self.go_to_notice()
            return
        await self.show_hazard(self.hazard_ids[saved_at])

    def go_to_notice(self) -> None:
        """After the walk's last hazard: the notice for the walked hazards, in this screen's place
        (Esc there goes back to where the walk started)."""
        app, hazard_ids = self.app, list(self.hazard_ids)
        self.dismiss(self.saved_id)
        app.push_screen(IssueNoticeScreen(hazard_ids))

    # --- the hazard's other actions -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return self.walking
        if action in LETTER_ACTIONS and isinstance(self.focused, (Input, Select)):
            return None  # shown dimmed: in a field the letter is typed (Esc leaves the field)
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def _unsaved(self) -> bool:
        if self.changed:
            self.notify(t("tui.rectification.save_first"), severity="warning")
            return True
        return False

    def action_reinspect(self) -> None:
        if self._unsaved():
            return

        def done(outcome: str | None) -> None:
            if outcome:
                self.notify(t("tui.rectification.reinspected", outcome=t(f"tui.reinspection.outcomes.{outcome}")))
                self.saved_id = self.hazard_id
                self.call_later(self.show_hazard, self.hazard_id)

        self.app.push_screen(ReinspectionScreen(self.hazard_id), done)

    def action_pending_review(self) -> None:
        if self._unsaved():
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                mark_pending_review(self.app.store, self.hazard_id)
            except UserError as exc:
                self.notify(exc.message(), severity="warning")
                return
            self.announce(HAZARD)
            self.notify(t("tui.rectification.marked_pending"))
            self.saved_id = self.hazard_id
            self.call_later(self.show_hazard, self.hazard_id)

        self.app.push_screen(ConfirmScreen(t("tui.rectification.confirm_pending")), confirmed)

    def action_history(self) -> None:
        self.app.push_screen(AuditScreen(self.hazard_id))

    def action_issue_notice(self) -> None:
        # The notice is the next step: a valid form is saved on the way (a refused one says why).
        if self.unsaved and not self.save():
            return
        row = get_hazard(self.app.store, self.hazard_id, self.app.today, self.app.settings.calendar)
        hazard_ids = hazards_for_notice(self.app.store, row, self.app.today)
        if not hazard_ids:
            self.notify(t("tui.notice.no_open_hazards"), severity="warning")
            return

        def done(number: str | None) -> None:
            if number:
                self.saved_id = self.hazard_id
                self.call_later(self.show_hazard, self.hazard_id)

        self.app.push_screen(IssueNoticeScreen(hazard_ids), done)

    async def show_hazard(self, hazard_id: str) -> None:
        """Rebuild the form for `hazard_id` as stored now (the next one, or this one after a
        re-inspection or a status change)."""
        self.hazard_id = hazard_id
        self.built = False
        await self.recompose()
        self._ready()

    def action_back(self) -> None:
        summary = self.query_one("#hazard-summary", Summary)
        if self.focused is not summary:
            summary.focus()  # leave the field: the letter keys work again
            self.query_one("#form").scroll_home(animate=False)
            return
        if not self.changed:
            self.dismiss(self.saved_id)
            return
        self.app.push_screen(ConfirmScreen(t("tui.rectification.discard")),
                             lambda yes: self.dismiss(self.saved_id) if yes else None)

    def palette_commands(self):
        yield SystemCommand(t("tui.rectification.save"), "", self.action_save)
        if self.walking:
            yield SystemCommand(t("tui.rectification.next"), t("tui.rectification.next_help"), self.action_next)
        yield SystemCommand(t("tui.rectification.reinspect"), t("tui.rectification.reinspect_help"),
                            self.action_reinspect)
        yield SystemCommand(t("tui.rectification.pending_review"), t("tui.rectification.pending_review_help"),
                            self.action_pending_review)
        yield SystemCommand(t("tui.rectification.history"), t("tui.rectification.history_help"), self.action_history)
        yield SystemCommand(t("tui.notice.hazards_issue"), t("tui.notice.hazards_issue_help"),
                            self.action_issue_notice)


def lenient_missing(values: dict[str, str]) -> list[str]:
    """Which of the five the typed values still lack; a value that does not parse yet counts as missing."""

    def parsed(parse, value: str):
        try:
            return parse(value)
        except PydanticCustomError:
            return None

    def text(name: str) -> str | None:
        return fields.clean_text(values.get(name)) or None

    funds = parsed(lambda v: fields.number(v, minimum=0, maximum=MAX_FUNDS_YUAN, strictly_positive=False),
                   values.get("funds_yuan"))
    deadline: date | None = parsed(fields.parse_date, values.get("deadline"))
    return missing_implementations(
        responsible_person=text("responsible_person"), responsible_phone=parsed(fields.phone, values.get("responsible_phone")),
        measures=text("measures"), funds_yuan=funds, funds_reason=text("funds_reason"), deadline=deadline,
        contingency_plan=text("contingency_plan"))
