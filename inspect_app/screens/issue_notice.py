"""Issue a document from the TUI: preview, issue, export, print, serve.

Three kinds: the 隐患整改通知书 for hazards (`IssueNoticeScreen(hazard_ids)`), the 复查意见书
answering a rectification notice (`IssueNoticeScreen.opinion(number)`) and the 检查记录 of a
finished inspection (`IssueNoticeScreen.record(inspection_id)`). The preview shows what the
document will say before anything is written: the addressee, the number it will get (read, not
reserved: the counter moves only when it is issued), and per kind the hazards with their five
implementations, the re-inspection outcomes, or the inspection's times, inspectors, accompanying
person and results; and what still stops it. Ctrl+S (or Enter) issues it through
`services.notices`; a refusal is shown here and nothing is written. When this device has no
signing key yet, the screen offers to create one. After issuing, E exports the signed PDF to the
folder in the field, P prints it and S records its service (送达).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Input

from forms import china_time
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, NOTICE, AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.notices import NoticeServiceScreen
from inspect_app.services.errors import UserError
from inspect_app.services.hazards import HazardRow, ensure_ready_for_notice, get_hazard
from inspect_app.services.notice_drafts import (
    OpinionDraft,
    RecordDraft,
    opinion_draft,
    opinion_problem,
    record_draft,
    record_problem,
)
from inspect_app.services.notice_review import notice_status, submit_for_review
from inspect_app.services.notices import (
    Agency,
    IssuedNotice,
    agency_default,
    agency_from_config,
    default_export_folder,
    export_notices,
    issue_inspection_record,
    issue_rectification_notice,
    issue_reinspection_opinion,
    next_number_preview,
    print_pdf,
)
from inspect_app.widgets.form_row import FormRow
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import Static

AFTER_ISSUE = frozenset({"export", "print", "serve"})
RECTIFICATION, OPINION, RECORD = "rectification", "reinspection_opinion", "inspection_record"


# --- the screen -------------------------------------------------------------------------------


class IssueNoticeScreen(AppScreen[str | None]):
    """Dismisses with the issued notice's number, or None when nothing was issued."""

    DEFAULT_CSS = """
    IssueNoticeScreen #notice-preview { height: 1fr; padding: 0 1; }
    IssueNoticeScreen #notice-preview:focus { background: $boost; }
    IssueNoticeScreen #notice-missing { height: auto; padding: 0 1; color: $warning; }
    IssueNoticeScreen #notice-missing.-ready { color: $success; }
    IssueNoticeScreen #row-folder { display: none; }
    IssueNoticeScreen.-issued #row-folder { display: block; }
    IssueNoticeScreen Input { width: 1fr; }
    IssueNoticeScreen #notice-status { height: auto; max-height: 8; }
    """
    BINDINGS = [
        Binding("ctrl+s", "issue", "tui.notice.issue", id="notice.issue", priority=True),
        Binding("enter", "issue", "tui.notice.issue", id="notice.issue_enter", show=False),
        Binding("e", "export", "tui.notice.export", id="notice.export"),
        Binding("p", "print", "tui.notice.print", id="notice.print"),
        Binding("s", "serve", "tui.notices.serve", id="notice.serve"),
        Binding("ctrl+r", "submit_review", "tui.review.submit", id="notice.submit_review", priority=True),
        Binding("escape", "close", "tui.notice.close", id="notice.close"),
    ]

    def __init__(self, hazard_ids: list[str] | None = None, *, kind: str = RECTIFICATION,
                 notice_number: str | None = None, inspection_id: str | None = None, now: datetime | None = None):
        super().__init__()
        self.kind = kind
        self.hazard_ids = list(hazard_ids or [])
        self.notice_number = notice_number  # the rectification notice an opinion answers
        self.inspection_id = inspection_id  # the inspection a record is of
        self.now = now
        self.issued: IssuedNotice | None = None
        self.exported: Path | None = None
        self.agency: Agency | None = None

    @classmethod
    def opinion(cls, notice_number: str, *, now: datetime | None = None) -> IssueNoticeScreen:
        """The 复查意见书 answering rectification notice `notice_number`."""
        return cls(kind=OPINION, notice_number=notice_number, now=now)

    @classmethod
    def record(cls, inspection_id: str, *, now: datetime | None = None) -> IssueNoticeScreen:
        """The 检查记录 of a finished inspection."""
        return cls(kind=RECORD, inspection_id=inspection_id, now=now)

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t(f"tui.notice.title_{self.kind}"), classes="screen-title", id="notice-title")
        preview = VerticalScroll(Static("", id="notice-text"), id="notice-preview")
        preview.can_focus = True
        yield preview
        yield Static("", id="notice-missing")
        yield FormRow("folder", t("tui.notice.folder"),
                      Input(str(default_export_folder()), id="field-folder", compact=True))
        yield Static(t("tui.notice.hint"), classes="status-line", id="notice-status")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.agency = agency_from_config(self.app.settings.agency, agency_default(self.app.store))
        self.refresh_preview()
        self.query_one("#notice-preview").focus()

    def issue_time(self) -> datetime:
        """`now` when given; else the current time, on the app's day when the app runs on a fixed one
        (the app's day is a China date: the time is combined with it in China time)."""
        if self.now is not None:
            return self.now
        now = china_time.now()
        today = self.app.today
        return now if today == now.date() else datetime.combine(today, now.time(), now.tzinfo)

    def rows(self) -> list[HazardRow]:
        return [get_hazard(self.app.store, h, self.app.today, self.app.settings.calendar) for h in self.hazard_ids]

    def refresh_preview(self) -> None:
        """The document's key fields as they stand; and whether it can be issued."""
        store = self.app.store
        text = Text()
        if self.issued is not None:
            number = self.issued.number
            text.append(t("tui.notice.number_issued", number=number) + "\n", style="bold")
        else:
            number = next_number_preview(store, self.agency, self.issue_time().year, self.kind)
            text.append(t("tui.notice.number_next", number=number) + "\n", style="bold")
        try:
            problem = self.preview_kind(text)
        except UserError as exc:  # the notice or inspection is gone (e.g. merged away by a sync)
            problem = exc.message()
        self.query_one("#notice-text", Static).update(text)
        missing = self.query_one("#notice-missing", Static)
        if self.issued is not None:
            missing.update(t("tui.notice.issued_hint"))
            missing.set_class(True, "-ready")
            return
        missing.update(problem or t(f"tui.notice.ready_{self.kind}"))
        missing.set_class(problem is None, "-ready")

    def _agency_line(self, text: Text) -> None:
        text.append(t("tui.notice.agency", agency=self.agency.name or t("tui.notice.agency_unset")) + "\n")

    def _addressee_line(self, text: Text, tenant_name: str | None, park_name: str, park_code: str) -> None:
        addressee = tenant_name or t("tui.notice.park_common", park=park_name)
        # A record is addressed to nobody: it names the unit inspected.
        key = "tui.notice.inspected_unit" if self.kind == RECORD else "tui.notice.addressee"
        text.append(t(key, addressee=addressee, park=park_code) + "\n")

    def preview_kind(self, text: Text) -> str | None:
        """Append this kind's lines to `text`; return why it cannot be issued (None when it can)."""
        if self.kind == OPINION:
            return self._preview_opinion(text, opinion_draft(self.app.store, self.notice_number))
        if self.kind == RECORD:
            return self._preview_record(text, record_draft(self.app.store, self.inspection_id))
        rows = self.rows() if self.hazard_ids else []
        if rows:
            first = rows[0]
            self._addressee_line(text, first.tenant_name, first.park_name, first.park_code)
        self._agency_line(text)
        for n, row in enumerate(rows, start=1):
            text.append("\n")
            text.append(t("tui.notice.hazard", number=n, severity=t(f"choices.severity.{row.severity}"),
                          location=row.location, description=row.description) + "\n",
                        style="bold red" if row.severity == "major" else "bold")
            text.append(self._five_lines(row))
        if self.issued is None:
            self.review_line(text)
        return self.problem(rows)

    def _preview_opinion(self, text: Text, draft: OpinionDraft) -> str | None:
        a = draft.addressee
        text.append(t("tui.notice.answers", number=draft.notice_number) + "\n")
        self._addressee_line(text, a.tenant_name, a.park_name, a.park_code)
        self._agency_line(text)
        dash = t("tui.notice.none")
        for n, line in enumerate(draft.lines, start=1):
            text.append("\n")
            text.append(t("tui.notice.opinion_hazard", number=n, location=line.location,
                          description=line.description) + "\n", style="bold")
            text.append("   " + t("tui.notice.deadline", deadline=line.deadline.isoformat() if line.deadline else dash)
                        + "\n")
            if line.outcome is None:
                text.append("   " + t("tui.notice.not_reinspected") + "\n", style="yellow")
                continue
            outcome = t(f"tui.reinspection.outcomes.{line.outcome}")
            text.append("   " + t("tui.notice.reinspected", date=line.inspected_on.isoformat(), outcome=outcome)
                        + "\n", style="green" if line.outcome == "rectified" else "bold")
            if line.new_deadline is not None:
                text.append("   " + t("tui.notice.new_deadline", deadline=line.new_deadline.isoformat()) + "\n")
        if self.issued is not None:
            return None
        problem = opinion_problem(draft)
        return problem.message() if problem else None

    def _preview_record(self, text: Text, draft: RecordDraft) -> str | None:
        a = draft.addressee
        self._addressee_line(text, a.tenant_name, a.park_name, a.park_code)
        self._agency_line(text)
        dash = t("tui.notice.none")
        start = china_time.local(draft.started_at).strftime("%Y-%m-%d %H:%M")
        end = china_time.local(draft.finished_at).strftime("%Y-%m-%d %H:%M") if draft.finished_at else dash
        text.append(t("tui.notice.checklist", checklist=draft.checklist) + "\n")
        text.append(t("tui.notice.inspected_from_to", start=start, end=end) + "\n")
        text.append(t("tui.notice.inspectors", names="、".join(draft.inspectors) or dash) + "\n")
        text.append(t("tui.notice.accompanied_by", name=draft.accompanied_by or t("tui.notice.accompanied_unset"))
                    + "\n")
        text.append(t("tui.notice.results", passed=draft.passed, failed=draft.failed, na=draft.not_applicable) + "\n")
        if self.issued is not None:
            return None
        problem = record_problem(draft)
        return problem.message() if problem else None

    def _five_lines(self, row: HazardRow) -> str:
        dash = t("tui.notice.none")

        def show(value) -> str:
            return dash if value is None or value == "" else str(value)

        funds = dash if row.funds is None else t("tui.notice.funds", yuan=formatting.input_text(row.funds),
                                                  reason=row.funds_reason or "")
        lines = [
            t("tui.notice.responsible", person=show(row.responsible), phone=show(row.responsible_phone)),
            t("tui.notice.measures", measures=show(row.measures)),
            t("tui.notice.funds_line", funds=funds),
            t("tui.notice.deadline", deadline=row.deadline.isoformat() if row.deadline else dash),
            t("tui.notice.contingency", plan=show(row.contingency_plan)),
        ]
        return "".join(f"   {line}\n" for line in lines)

    def problem(self, rows: list[HazardRow]) -> str | None:
        """Why the notice cannot be issued now (None when it can): the service's own messages."""
        noticed = [r for r in rows if r.notice_number]
        if noticed:
            return t("tui.notice.already", number=noticed[0].notice_number)
        if len({(r.park_id, r.tenant_id) for r in rows}) > 1:
            return UserError("errors.notice_mixed_addressees").message()
        try:
            ensure_ready_for_notice(self.app.store, self.hazard_ids, self.app.today)
        except UserError as exc:
            return exc.message()
        # The agency's review policy: the service refuses too; here it says what to do next.
        review = notice_status(self.app.store, self.hazard_ids)
        if not review.may_issue:
            key = "need_review" if review.state == "missing" else review.state
            return t(f"tui.review.{key}", comment=review.comment or "")
        return None

    def review_line(self, text: Text) -> None:
        """The office's review of these hazards, when the policy asks for one or it was returned."""
        if not self.hazard_ids:
            return
        review = notice_status(self.app.store, self.hazard_ids)
        if review.state == "approved":
            text.append("\n" + t("tui.review.approved") + "\n", style="bold green")
        elif review.state == "returned":
            text.append("\n" + t("tui.review.returned", comment=review.comment or "") + "\n", style="bold yellow")
        elif review.required:
            text.append("\n" + t(f"review.state.{review.state}") + "\n", style="bold yellow")

    def say(self, message: str, *, warning: bool = False) -> None:
        status = self.query_one("#notice-status", Static)
        status.update(Text(message, style="bold yellow" if warning else ""))

    # --- issuing ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "issue":
            return self.issued is None
        if action == "submit_review":
            return self.issued is None and self.kind == RECTIFICATION
        if action in AFTER_ISSUE:
            if self.issued is None:
                return False
            if isinstance(self.focused, Input):
                return None  # typed into the folder field
        return True

    def current_problem(self) -> str | None:
        """Why this document cannot be issued now, read afresh (None when it can)."""
        try:
            if self.kind == OPINION:
                found = opinion_problem(opinion_draft(self.app.store, self.notice_number))
            elif self.kind == RECORD:
                found = record_problem(record_draft(self.app.store, self.inspection_id))
            else:
                return self.problem(self.rows() if self.hazard_ids else [])
        except UserError as exc:
            return exc.message()
        return found.message() if found else None

    def action_issue(self) -> None:
        if self.issued is not None:
            return
        problem = self.current_problem()
        if problem is not None:
            # The reason is on the line above already; this line says that nothing happened.
            self.query_one("#notice-missing", Static).update(problem)
            self.say(t("tui.notice.refused_above" if self.kind == RECTIFICATION else "tui.notice.refused_see_above"),
                     warning=True)
            return
        from inspect_app.services.keys import has_device_key  # cryptography: not before it is needed

        directory = self.app.settings.keys_dir
        try:
            present = has_device_key(directory)
        except UserError as exc:
            self.say(exc.message(), warning=True)
            return
        if not present:
            self.offer_key(directory)
            return
        self.issue()

    def action_submit_review(self) -> None:
        """Send the prepared notice (number not taken) to the office; it waits there, offline too."""
        if self.issued is not None or self.kind != RECTIFICATION:
            return
        try:
            submit_for_review(self.app.store, self.hazard_ids, self.app.today)
        except UserError as exc:
            self.say(exc.message(), warning=True)
            return
        self.refresh_preview()
        self.say(t("tui.review.submitted"))

    def offer_key(self, directory: Path) -> None:
        def answered(yes: bool | None) -> None:
            if not yes:
                self.say(t("tui.notice.key_declined"), warning=True)
                return
            if self.create_key(directory):
                self.issue()

        self.app.push_screen(ConfirmScreen(t("tui.notice.key_confirm", directory=str(directory))), answered)

    def create_key(self, directory: Path) -> bool:
        from inspect_app.services.keys import create_key_or_refuse  # cryptography: not before it is needed

        try:
            create_key_or_refuse(self.app.store, directory, organisation=self.agency.name or None)
        except UserError as exc:
            self.say(exc.message(), warning=True)
            return False
        except OSError as exc:
            self.say(t("tui.notice.key_failed", directory=str(directory), reason=exc.strerror or str(exc)),
                     warning=True)
            return False
        self.notify(t("tui.notice.key_created", directory=str(directory)))
        return True

    def issue(self) -> None:
        store, keys_dir, now = self.app.store, self.app.settings.keys_dir, self.issue_time()
        font = self.app.settings.pdf_font
        try:
            if self.kind == OPINION:
                self.issued = issue_reinspection_opinion(store, notice_number=self.notice_number, agency=self.agency,
                                                         keys_dir=keys_dir, now=now, font=font)
            elif self.kind == RECORD:
                self.issued = issue_inspection_record(store, inspection_id=self.inspection_id, agency=self.agency,
                                                      keys_dir=keys_dir, now=now, font=font)
            else:
                self.issued = issue_rectification_notice(store, hazard_ids=self.hazard_ids, agency=self.agency,
                                                         keys_dir=keys_dir, now=now, font=font)
        except UserError as exc:
            self.say(t("tui.notice.refused", message=exc.message()), warning=True)
            return
        self.announce(NOTICE, HAZARD)  # a notice locks its hazards, and the hazards list marks them
        self.add_class("-issued")
        self.refresh_preview()
        self.refresh_bindings()
        issued = t("tui.notice.issued", document=t(f"tui.notice.kinds.{self.kind}"), number=self.issued.number)
        self.say(issued)
        self.notify(issued)

    # --- export and print ---------------------------------------------------------------------

    def folder(self) -> Path:
        value = self.query_one("#field-folder", Input).value.strip()
        return Path(value).expanduser() if value else default_export_folder()

    def export(self) -> Path | None:
        try:
            [path] = export_notices(self.app.store, self.folder(), [self.issued.number])
        except UserError as exc:
            self.say(exc.message(), warning=True)
            return None
        except OSError as exc:
            self.say(t("errors.export_folder", folder=str(self.folder()), reason=exc.strerror or str(exc)),
                     warning=True)
            return None
        self.exported = path
        return path

    def action_export(self) -> None:
        if self.issued is None:
            return
        path = self.export()
        if path is not None:
            self.say(t("tui.notice.exported", path=str(path)))

    @on(Input.Submitted, "#field-folder")
    def _folder_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def action_print(self) -> None:
        if self.issued is None:
            return
        path = self.exported if self.exported is not None and self.exported.exists() else self.export()
        if path is None:
            return
        try:
            how = print_pdf(path)
        except UserError as exc:
            self.say(t("tui.notice.print_refused", message=exc.message(), path=str(path)), warning=True)
            return
        except OSError as exc:
            self.say(t("tui.notice.print_refused", message=exc.strerror or str(exc), path=str(path)), warning=True)
            return
        self.say(t("tui.notice.printed", number=self.issued.number, how=how))

    def action_serve(self) -> None:
        """Record the service (送达) of the notice just issued."""
        if self.issued is not None:
            self.app.push_screen(NoticeServiceScreen(self.issued.number))

    def action_close(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#notice-preview").focus()
            return
        self.dismiss(self.issued.number if self.issued else None)

    def palette_commands(self):
        if self.issued is None:
            yield SystemCommand(t("tui.notice.issue"), t(f"tui.notice.issue_help_{self.kind}"), self.action_issue)
        else:
            yield SystemCommand(t("tui.notice.export"), t("tui.notice.export_help"), self.action_export)
            yield SystemCommand(t("tui.notice.print"), t("tui.notice.print_help"), self.action_print)
