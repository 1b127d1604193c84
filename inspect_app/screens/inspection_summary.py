"""What a finished inspection found: the counts, and the hazards it created.

Here the unit's accompanying person (陪同人员) is typed, and R issues the inspection's 检查记录
(which that person signs); N issues the rectification notice for the new hazards. Each new
hazard shows its deadline (preset from the template by severity); D gives them all one deadline
(a date or "+N" days, never before today). The name is
saved when the record is issued and when the summary is left; a name that cannot be printed on
one line is refused next to the field. Dismisses with "five" (go on to agree the 五落实 of the new
hazards) or "back".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input

from forms.catalogues import label
from forms.i18n import t
from inspect_app.screens.base import AppModalScreen
from inspect_app.screens.deadlines import DeadlinesScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.services.errors import UserError
from inspect_app.services.inspections import set_accompanied_by
from inspect_app.widgets.form_row import FormRow
from inspect_app.widgets.plain import Static


@dataclass(frozen=True)
class NewHazard:
    id: str
    code: str
    severity: str
    text: str
    deadline: date | None = None


@dataclass(frozen=True)
class InspectionSummary:
    subject: str
    passed: int
    failed: int
    not_applicable: int
    hazards: list[NewHazard]
    inspection_id: str | None = None  # None: no record can be issued from here
    accompanied_by: str | None = None  # as stored when the summary opens


class InspectionSummaryScreen(AppModalScreen[str]):
    DEFAULT_CSS = """
    InspectionSummaryScreen { align: center middle; }
    InspectionSummaryScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                                         border: thick $success; background: $surface; padding: 0 1; }
    InspectionSummaryScreen #summary-hazards { height: auto; max-height: 12; }
    InspectionSummaryScreen .hazard-line { text-wrap: nowrap; text-overflow: ellipsis; }
    InspectionSummaryScreen Horizontal { height: auto; align: center middle; margin-top: 1; }
    InspectionSummaryScreen Button { margin: 0 1; }
    InspectionSummaryScreen #notice { min-width: 12; }
    InspectionSummaryScreen FormRow .form-label { width: 17; }
    InspectionSummaryScreen FormRow .form-error { padding: 0 1 0 18; }
    InspectionSummaryScreen #summary-accompanied { width: 1fr; }
    """
    BINDINGS = [
        Binding("f", "choose('five')", "tui.inspection_summary.five", id="inspection_summary.five", show=False),
        Binding("n", "issue_notice", "tui.notice.summary_issue", id="inspection_summary.issue", show=False),
        Binding("r", "issue_record", "tui.inspection_summary.record", id="inspection_summary.record", show=False),
        Binding("d", "deadlines", "tui.inspection_summary.deadlines", id="inspection_summary.deadlines", show=False),
        Binding("escape", "choose('back')", "tui.inspection_summary.back", id="inspection_summary.back"),
    ]

    def __init__(self, summary: InspectionSummary):
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        s = self.summary
        with Vertical():
            yield Static(t("tui.inspection_summary.title", subject=s.subject), classes="screen-title")
            yield Static(t("tui.inspection_summary.counts", passed=s.passed, failed=s.failed, na=s.not_applicable))
            with VerticalScroll(id="summary-hazards"):
                if s.hazards:
                    yield Static(t("tui.inspection_summary.hazards", count=len(s.hazards)))
                    for number, hazard in enumerate(s.hazards, start=1):
                        # One line each (the full text is on the hazard): a wrapped line would break
                        # after the code and leave the severity dangling at the left edge.
                        yield Static(self._hazard_line(number, hazard), classes="hazard-line")
                else:
                    yield Static(t("tui.inspection_summary.no_hazards"))
            if s.inspection_id:
                yield FormRow("accompanied_by", t("tui.inspection_summary.accompanied_by"),
                              Input(s.accompanied_by or "", placeholder=t("tui.inspection_summary.accompanied_hint"),
                                    id="summary-accompanied", compact=True))
            with Horizontal():
                if s.hazards:
                    yield Button(t("tui.inspection_summary.five"), id="five", variant="primary")
                    yield Button(t("tui.notice.summary_issue"), id="notice")
                if s.inspection_id:
                    yield Button(t("tui.inspection_summary.record_button"), id="record")
                yield Button(t("tui.inspection_summary.back"), id="back")

    @staticmethod
    def _hazard_line(number: int, hazard: NewHazard) -> Text:
        deadline = hazard.deadline.isoformat() if hazard.deadline else t("tui.hazards.no_deadline")
        line = t("tui.inspection_summary.hazard_line", number=number, code=hazard.code, deadline=deadline,
                 severity=label("severity", hazard.severity), text=hazard.text)
        return Text(line, style="bold red" if hazard.severity == "major" else "")

    def action_deadlines(self) -> None:
        """One deadline for every new hazard (a date or +N days); the lines show it at once."""
        if not self.summary.hazards:
            return

        def changed(deadline: date | None) -> None:
            if deadline is None:
                return
            hazards = [replace(h, deadline=deadline) for h in self.summary.hazards]
            self.summary = replace(self.summary, hazards=hazards)
            for number, (line, hazard) in enumerate(zip(self.query(".hazard-line").results(Static), hazards,
                                                        strict=True), start=1):
                line.update(self._hazard_line(number, hazard))
            self.notify(t("tui.inspection_summary.deadlines_set", deadline=deadline.isoformat(), count=len(hazards)))

        self.app.push_screen(DeadlinesScreen([h.id for h in self.summary.hazards]), changed)

    def on_mount(self) -> None:
        # With hazards, Enter goes on to the 五落实: that is the next thing to do on site.
        self.query_one("#five" if self.summary.hazards else "#back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "notice":
            self.action_issue_notice()
            return
        if event.button.id == "record":
            self.action_issue_record()
            return
        self.action_choose(event.button.id)

    @on(Input.Submitted, "#summary-accompanied")
    def _accompanied_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_issue_record()

    def save_accompanied(self) -> bool:
        """Store the typed name (unchanged: nothing written); False, with the reason under the
        field and nothing written, when it cannot be printed on a signature line."""
        if not self.summary.inspection_id:
            return True
        row = self.query_one("#row-accompanied_by", FormRow)
        try:
            set_accompanied_by(self.app.store, self.summary.inspection_id,
                               self.query_one("#summary-accompanied", Input).value)
        except UserError as exc:
            row.show_error(exc.message())
            self.query_one("#summary-accompanied", Input).focus()
            self.app.bell()
            return False
        row.show_error(None)
        return True

    def action_issue_record(self) -> None:
        """The 检查记录 of this inspection, on top of this summary, with the accompanying person
        as typed here."""
        if self.summary.inspection_id and self.save_accompanied():
            self.app.push_screen(IssueNoticeScreen.record(self.summary.inspection_id))

    def action_issue_notice(self) -> None:
        """The notice for the new hazards, on top of this summary: before the 五落实 are agreed its
        preview says what is missing; the summary stays for going on to them."""
        if self.summary.hazards:
            self.app.push_screen(IssueNoticeScreen([h.id for h in self.summary.hazards]))

    def action_choose(self, choice: str) -> None:
        if choice == "five" and not self.summary.hazards:
            return
        if not self.save_accompanied():
            return
        self.dismiss(choice)
