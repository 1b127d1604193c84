"""Issue a rectification notice (隐患整改通知书) from the TUI: preview, issue, export, print.

The preview shows what the notice will say before anything is written: the addressee, the
number it will get (read, not reserved: the counter moves only when the notice is issued), each
hazard with its five implementations and deadline, and what is still missing. Ctrl+S (or Enter)
issues it through `services.notices.issue_rectification_notice`; a refusal is shown here and
nothing is written. When this device has no signing key yet, the screen offers to create one.
After issuing, E exports the signed PDF to the folder in the field and P prints it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import platformdirs
from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from db.errors import UserError
from forms import china_time
from forms.i18n import t
from inspect_app import config, formatting
from inspect_app.bindings import TranslatedBindings
from inspect_app.services.hazards import HazardRow, ensure_ready_for_notice, get_hazard
from inspect_app.services.notices import (
    Agency,
    IssuedNotice,
    agency_default,
    agency_from_config,
    export_notices,
    issue_rectification_notice,
    next_number_preview,
    print_pdf,
)
from inspect_app.widgets.form_row import FormRow

AFTER_ISSUE = frozenset({"export", "print", "serve"})


# --- helpers (read only) ------------------------------------------------------------------------


def default_export_folder() -> Path:
    documents = platformdirs.user_documents_dir()
    if documents and Path(documents).is_dir():
        return Path(documents)
    return config.data_dir() / "notices"


# --- the screen -------------------------------------------------------------------------------


class IssueNoticeScreen(TranslatedBindings, Screen[str | None]):
    """Dismisses with the issued notice's number, or None when nothing was issued."""

    DEFAULT_CSS = """
    IssueNoticeScreen #notice-preview { height: 1fr; padding: 0 1; }
    IssueNoticeScreen #notice-preview:focus { background: $boost; }
    IssueNoticeScreen #notice-missing { height: auto; padding: 0 1; color: $warning; }
    IssueNoticeScreen #notice-missing.-ready { color: $success; }
    IssueNoticeScreen #row-folder { display: none; }
    IssueNoticeScreen.-issued #row-folder { display: block; }
    IssueNoticeScreen Input { width: 1fr; }
    IssueNoticeScreen #notice-status { height: auto; max-height: 3; }
    """
    BINDINGS = [
        Binding("ctrl+s", "issue", "tui.notice.issue", id="notice.issue", priority=True),
        Binding("enter", "issue", "tui.notice.issue", id="notice.issue_enter", show=False),
        Binding("e", "export", "tui.notice.export", id="notice.export"),
        Binding("p", "print", "tui.notice.print", id="notice.print"),
        Binding("s", "serve", "tui.notices.serve", id="notice.serve"),
        Binding("escape", "close", "tui.notice.close", id="notice.close"),
    ]

    def __init__(self, hazard_ids: list[str], *, now: datetime | None = None):
        super().__init__()
        self.hazard_ids = list(hazard_ids)
        self.now = now
        self.issued: IssuedNotice | None = None
        self.exported: Path | None = None
        self.agency: Agency | None = None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.notice.title"), classes="screen-title", id="notice-title")
        preview = VerticalScroll(Static("", id="notice-text"), id="notice-preview")
        preview.can_focus = True
        yield preview
        yield Static("", id="notice-missing")
        yield FormRow("folder", t("tui.notice.folder"),
                      Input(str(default_export_folder()), id="field-folder", compact=True))
        yield Static(t("tui.notice.hint"), classes="status-line", id="notice-status")
        yield Footer()

    def on_mount(self) -> None:
        self.agency = agency_from_config(config.agency_config(), agency_default(self.app.store))
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
        return [get_hazard(self.app.store, h, self.app.today) for h in self.hazard_ids]

    def refresh_preview(self) -> None:
        """The notice's key fields as they stand; and whether it can be issued."""
        store = self.app.store
        rows = self.rows() if self.hazard_ids else []
        text = Text()
        if self.issued is not None:
            number = self.issued.number
            text.append(t("tui.notice.number_issued", number=number) + "\n", style="bold")
        else:
            number = next_number_preview(store, self.agency, self.issue_time().year)
            text.append(t("tui.notice.number_next", number=number) + "\n", style="bold")
        if rows:
            first = rows[0]
            addressee = first.tenant_name or t("tui.notice.park_common", park=first.park_name)
            text.append(t("tui.notice.addressee", addressee=addressee, park=first.park_code) + "\n")
        text.append(t("tui.notice.agency", agency=self.agency.name or t("tui.notice.agency_unset")) + "\n")
        for n, row in enumerate(rows, start=1):
            text.append("\n")
            text.append(t("tui.notice.hazard", number=n, severity=t(f"choices.severity.{row.severity}"),
                          location=row.location, description=row.description) + "\n",
                        style="bold red" if row.severity == "major" else "bold")
            text.append(self._five_lines(row))
        self.query_one("#notice-text", Static).update(text)
        missing = self.query_one("#notice-missing", Static)
        if self.issued is not None:
            missing.update(t("tui.notice.issued_hint"))
            missing.set_class(True, "-ready")
            return
        problem = self.problem(rows)
        missing.update(problem or t("tui.notice.ready"))
        missing.set_class(problem is None, "-ready")

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
        return None

    def say(self, message: str, *, warning: bool = False) -> None:
        status = self.query_one("#notice-status", Static)
        status.update(Text(message, style="bold yellow" if warning else ""))

    # --- issuing ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "issue":
            return self.issued is None
        if action in AFTER_ISSUE:
            if self.issued is None:
                return False
            if isinstance(self.focused, Input):
                return None  # typed into the folder field
        return True

    def action_issue(self) -> None:
        if self.issued is not None:
            return
        problem = self.problem(self.rows() if self.hazard_ids else [])
        if problem is not None:
            # The reason is on the line above already; this line says that nothing happened.
            self.query_one("#notice-missing", Static).update(problem)
            self.say(t("tui.notice.refused_above"), warning=True)
            return
        from exports.signing import SigningError, load_device_key

        directory = config.keys_dir()
        try:
            key = load_device_key(directory)
        except SigningError as exc:
            self.say(t(f"signing.error.{exc.kind}", **exc.values), warning=True)
            return
        if key is None:
            self.offer_key(directory)
            return
        self.issue()

    def offer_key(self, directory: Path) -> None:
        from inspect_app.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not yes:
                self.say(t("tui.notice.key_declined"), warning=True)
                return
            if self.create_key(directory):
                self.issue()

        self.app.push_screen(ConfirmScreen(t("tui.notice.key_confirm", directory=str(directory))), answered)

    def create_key(self, directory: Path) -> bool:
        from exports.signing import SigningError
        from inspect_app.services.keys import create_key

        try:
            create_key(self.app.store, directory, organisation=self.agency.name or None)
        except SigningError as exc:
            self.say(t(f"signing.error.{exc.kind}", **exc.values), warning=True)
            return False
        except OSError as exc:
            self.say(t("tui.notice.key_failed", directory=str(directory), reason=exc.strerror or str(exc)),
                     warning=True)
            return False
        self.notify(t("tui.notice.key_created", directory=str(directory)))
        return True

    def issue(self) -> None:
        try:
            self.issued = issue_rectification_notice(self.app.store, hazard_ids=self.hazard_ids, agency=self.agency,
                                                     keys_dir=config.keys_dir(), now=self.issue_time())
        except UserError as exc:
            self.say(t("tui.notice.refused", message=exc.message()), warning=True)
            return
        self.add_class("-issued")
        self.refresh_preview()
        self.refresh_bindings()
        self.say(t("tui.notice.issued", number=self.issued.number))
        self.notify(t("tui.notice.issued", number=self.issued.number))

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
        from inspect_app.screens.notices import NoticeServiceScreen

        if self.issued is not None:
            self.app.push_screen(NoticeServiceScreen(self.issued.number))

    def action_close(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#notice-preview").focus()
            return
        self.dismiss(self.issued.number if self.issued else None)

    def palette_commands(self):
        if self.issued is None:
            yield SystemCommand(t("tui.notice.issue"), t("tui.notice.issue_help"), self.action_issue)
        else:
            yield SystemCommand(t("tui.notice.export"), t("tui.notice.export_help"), self.action_export)
            yield SystemCommand(t("tui.notice.print"), t("tui.notice.print_help"), self.action_print)
