"""Issued documents (已签发文书) of a park or of all parks, and recording their service (送达).

The list shows each document's number, kind, addressee, issue date (China time) and its service:
the date and method, 待送达 while the three working days run, 逾期未送达 after (in red), or
"served late". `s` opens the service form for the highlighted document, Enter (or `e`) writes its
PDF to the documents folder as the issue screen does, `l` shows only the late ones.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Header, Input, Select

from forms.catalogues import SERVICE_METHODS, label
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import NOTICE, AppModalScreen, AppScreen
from inspect_app.services.attachments import attach_file
from inspect_app.services.errors import UserError
from inspect_app.services.notice_service import (
    NoticeRow,
    ServiceInvalid,
    ServicePhotoFailed,
    find_notice,
    kind_text,
    list_notices,
    record_service,
    service_text,
)
from inspect_app.services.notices import default_export_folder, export_notices
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.form_row import FormRow, first_to_fill, show_form_result
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static
from inspect_app.widgets.yes_no_box import YesNoBox

ALERT = "bold red"
NUMBER_WIDTH = 18  # cells, the number's end (where numbers differ); the full number is on the detail line
ADDRESSEE_WIDTH = 12


class NoticesScreen(AppScreen):
    DEFAULT_CSS = """
    NoticesScreen #notices-detail { height: 2; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("s", "serve", "tui.notices.serve", id="notices.serve"),
        Binding("enter,e", "export", "tui.notices.export", id="notices.export"),
        Binding("l", "late_only", "tui.notices.late_only", id="notices.late_only"),
        Binding("escape", "back", "tui.common.back", id="notices.back"),
    ]
    SHOWS = frozenset({NOTICE})  # the service recorded here or on the issue screen

    def __init__(self, park_id: str | None = None, *, park_label: str | None = None,
                 inspection_id: str | None = None):
        super().__init__()
        self.park_id = park_id
        self.park_label = park_label  # with inspection_id: the inspected unit
        self.inspection_id = inspection_id  # only the documents issued from this inspection
        self.late_only = False
        self.rows: list[NoticeRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        if self.inspection_id:
            title = t("tui.notices.title_inspection", subject=self.park_label or "")
        else:
            title = t("tui.notices.title_park", park=self.park_label) if self.park_label else t("tui.notices.title_all")
        yield Static(title, classes="screen-title", id="notices-title")
        yield FitDataTable(id="notices", cursor_type="row", zebra_stripes=True)
        yield Static("", id="notices-detail")
        yield Static("", id="notices-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#notices", DataTable)
        for key in ("number", "kind", "addressee", "issued", "service"):
            table.add_column(t(f"tui.notices.col_{key}"), key=key)
        table.focus()
        self.reload()

    def refresh_data(self) -> None:
        row = self.selected()
        self.reload(keep=row.id if row else None)

    def reload(self, *, keep: str | None = None) -> None:
        rows = list_notices(self.app.store, today=self.app.today, park_id=self.park_id, late_only=self.late_only,
                            inspection_id=self.inspection_id, calendar=self.app.settings.calendar)
        table = self.query_one("#notices", DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            style = ALERT if row.late else ""
            table.add_row(formatting.clip_start(row.number, NUMBER_WIDTH), kind_text(row.kind),
                          formatting.narrow_name(row.addressee, ADDRESSEE_WIDTH), row.issued_on.isoformat(),
                          Text(service_text(row), style=style), key=row.id)
        self.rows = rows
        index = next((i for i, r in enumerate(rows) if r.id == keep), None) if keep else None
        if rows:
            table.move_cursor(row=index if index is not None else min(max(cursor, 0), len(rows) - 1))
        status = self.query_one("#notices-status", Static)
        late = sum(1 for r in rows if r.late)
        status.update(t("tui.notices.status_count", total=formatting.count(len(rows)), late=formatting.count(late))
                      if rows else t("tui.notices.empty"))
        self._show_detail()

    def selected(self) -> NoticeRow | None:
        table = self.query_one("#notices", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _show_detail(self) -> None:
        row = self.selected()
        self.query_one("#notices-detail", Static).update(detail_text(row) if row else "")

    @on(DataTable.RowHighlighted, "#notices")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#notices")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_export()

    def action_serve(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.state is None:
            self.notify(t("tui.notice_service.only_issued"), severity="warning")
            return
        self.app.push_screen(NoticeServiceScreen(row.number))

    def action_export(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            [path] = export_notices(self.app.store, default_export_folder(), [row.number])
        except UserError as exc:
            self.notify(exc.message(), severity="error")
            return
        except OSError as exc:
            self.notify(t("errors.export_folder", folder=str(default_export_folder()), reason=exc.strerror or str(exc)),
                        severity="error")
            return
        self.notify(t("tui.notices.exported", path=str(path)), timeout=10)

    def action_late_only(self) -> None:
        self.late_only = not self.late_only
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self):
        yield SystemCommand(t("tui.notices.serve"), t("tui.notices.serve_help"), self.action_serve)
        yield SystemCommand(t("tui.notices.export"), t("tui.notices.export_help"), self.action_export)
        yield SystemCommand(t("tui.notices.late_only"), t("tui.notices.late_only_help"), self.action_late_only)


def detail_text(row: NoticeRow) -> str:
    if row.state is None:
        return t("tui.notices.detail_not_served", number=row.number, addressee=row.addressee)
    deadline = row.deadline.isoformat()
    service = row.service
    if service is None:
        return t("tui.notices.detail_pending", number=row.number, addressee=row.addressee, deadline=deadline)
    refused = t("tui.notices.detail_refused", witness=service.witness or "") if service.refused else ""
    return t("tui.notices.detail_served", number=row.number, recipient=service.recipient, refused=refused,
             deadline=deadline)


# --- the service form -----------------------------------------------------------------------------

FIELDS = ("method", "recipient", "served_on", "refused", "witness", "note", "photo")


class NoticeServiceScreen(AppModalScreen[bool]):
    """Record how a document was served; dismisses with True once recorded.

    As the re-inspection dialog: a photo given by path is checked before anything is written; if
    it still cannot be attached after the service is recorded, the service stays recorded, the
    reason shows by the photo field and Ctrl+S tries the photo again (Esc closes)."""

    DEFAULT_CSS = """
    NoticeServiceScreen { align: center middle; }
    NoticeServiceScreen > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%;
                                     border: thick $primary; background: $surface; padding: 0 1; }
    NoticeServiceScreen Input, NoticeServiceScreen Select { width: 1fr; }
    NoticeServiceScreen #service-title { text-style: bold; }
    NoticeServiceScreen #service-status { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.notice_service.save", id="notice_service.save", priority=True),
        Binding("escape", "cancel", "tui.notice_service.cancel", id="notice_service.cancel"),
    ]

    def __init__(self, number: str):
        super().__init__()
        self.number = number
        self.service_id: str | None = None

    def compose(self) -> ComposeResult:
        row = find_notice(self.app.store, self.number, today=self.app.today, calendar=self.app.settings.calendar)
        with Vertical():
            yield Static(formatting.clip(t("tui.notice_service.title", number=row.number), 150), id="service-title")
            yield Static(t("tui.notice_service.issued", issued=row.issued_on.isoformat(),
                           deadline=row.deadline.isoformat() if row.deadline else "—"), id="service-issued")
            if row.service is not None:
                yield Static(t("tui.notice_service.previous", date=row.service.served_on.isoformat(),
                               method=label("service_method", row.service.method),
                               recipient=row.service.recipient), id="service-previous")
            for name in FIELDS:
                yield FormRow(name, t(f"tui.notice_service.fields.{name}"), self._control(name),
                              required=name in ("method", "recipient", "served_on"))
            yield Static(t("tui.notice_service.hint"), id="service-status")

    def _control(self, name: str) -> Widget:
        widget_id = f"service-{name}"
        if name == "method":
            return Select([(label("service_method", m), m) for m in SERVICE_METHODS], value="direct",
                          allow_blank=False, id=widget_id, compact=True)
        if name == "refused":
            return YesNoBox(t("tui.notice_service.refused_yes"), False, id=widget_id, compact=True)
        value = self.app.today.isoformat() if name == "served_on" else ""
        placeholder = t("tui.notice_service.photo_placeholder") if name == "photo" else ""
        return Input(value, placeholder=placeholder, id=widget_id, compact=True)

    def on_mount(self) -> None:
        # The method has a default: start in the first empty field (the recipient), where typing goes.
        row = first_to_fill(self.query(FormRow))
        (row.control if row is not None else self.query_one("#service-method")).focus()

    def value(self, name: str) -> object:
        widget = self.query_one(f"#service-{name}")
        if isinstance(widget, Checkbox):
            return widget.value
        return str(widget.value) if widget.value is not Select.NULL else ""

    def action_save(self) -> None:
        if self.service_id is None:
            if self._record():
                self.dismiss(True)
        elif self._attach_photo():
            self.dismiss(True)

    def _record(self) -> bool:
        """Check and record the service (the photo too); False (nothing written) when refused."""
        values = {name: self.value(name) for name in FIELDS if name != "photo"}
        photo = str(self.value("photo")).strip()
        try:
            settings = self.app.settings
            row = record_service(self.app.store, self.number, values, today=self.app.today, photo=photo or None,
                                 calendar=settings.calendar, strip_metadata=settings.strip_photo_metadata)
        except ServiceInvalid as exc:
            self.show_errors(exc.messages, t("tui.notice_service.invalid", count=len(exc.messages)))
            return False
        except ServicePhotoFailed as exc:
            self._recorded(exc.row)
            self.show_errors({"photo": exc.message()}, t("tui.notice_service.photo_failed"))
            return False
        except UserError as exc:
            self.show_errors({exc.field: exc.message()} if exc.field else {}, exc.message())
            return False
        self._recorded(row)
        if photo:
            self.notify(t("tui.notice_service.photo_attached"))
        return True

    def _recorded(self, row: NoticeRow) -> None:
        self.announce(NOTICE)
        self.service_id = row.service.id if row.service else None
        self.notify(t("tui.notice_service.saved", number=row.number))
        for name in FIELDS:  # a second Ctrl+S must not record it twice: only the photo may change
            if name != "photo":
                self.query_one(f"#service-{name}").disabled = True

    def _attach_photo(self) -> bool:
        """After a photo failure, Ctrl+S tries the photo alone again."""
        path = str(self.value("photo")).strip()
        if not path:
            return True
        try:
            attach_file(self.app.store, path=path, owner_table="notice_service", owner_id=self.service_id,
                        strip_metadata=self.app.settings.strip_photo_metadata)
        except UserError as exc:
            self.show_errors({"photo": exc.message()}, t("tui.notice_service.photo_failed"))
            return False
        self.notify(t("tui.notice_service.photo_attached"))
        return True

    def show_errors(self, messages: dict[str, str], status: str) -> None:
        show_form_result(self.query(FormRow), messages, self.query_one("#service-status", Static), status)

    def action_cancel(self) -> None:
        self.dismiss(self.service_id is not None)

