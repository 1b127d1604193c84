"""Import a park's own ledger file with a preview (台账导入): path → header and mapping → dry run → import.

The person types or pastes a path (Tab completes it). Reading the file and every dry run run in a
thread worker (10,000-row files take a second or two). The mapping table lists each header cell
and the field it fills; the Select under it changes the highlighted column's field (or ignores
the column), and the preview runs again; `d` gives a field no column fills a default for new
tenants (screens/import_default.py). The preview lists what the import fills or reads on its own
(defaults, a park's own words such as 规模以下) first, then each refusal, note and change; the
highlighted line is shown whole under the table, wrapped, whatever its length. Nothing is written until Ctrl+S (all or nothing) or
Ctrl+R (skip the refused rows, write a rejects file) is confirmed; "imported" is said only after
the service's transaction has committed. Dismisses with True when something was written.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Header, Input, Select
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import TENANT, AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.import_default import ImportDefaultScreen
from inspect_app.services.errors import UserError
from inspect_app.services.ledger_import import (
    DEFAULTABLE_FIELDS,
    IMPORTABLE_FIELDS,
    LOCATION,
    LedgerImportReport,
    LedgerSheet,
    field_label,
    import_ledger,
    load_sheet,
)
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.path_input import PathInput, PathSuggester
from inspect_app.widgets.plain import DataTable, Static

__all__ = ["LedgerImportScreen", "PathSuggester", "column_letter"]

MAX_DETAIL_ROWS = 500  # a DataTable of 10,000 refusals paints slowly; the rejects file has them all


def column_letter(index: int) -> str:
    """A, B, … Z, AA: how a spreadsheet names column `index` (0-based)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class LedgerImportScreen(AppScreen[bool]):
    DEFAULT_CSS = """
    LedgerImportScreen #import-path { margin: 0 1; }
    LedgerImportScreen #import-sheet { height: auto; padding: 0 1; color: $text-muted; }
    LedgerImportScreen #import-mapping { height: 7; }
    LedgerImportScreen #import-field { margin: 0 1; width: 100%; }
    LedgerImportScreen #import-counts { height: auto; padding: 0 1; text-style: bold; }
    LedgerImportScreen #import-details { height: 1fr; min-height: 3; }
    LedgerImportScreen #import-detail { height: auto; min-height: 2; padding: 0 1; color: $text-muted; }
    LedgerImportScreen #import-status { height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "import(False)", "tui.ledger_import.import_all", id="ledger_import.import_all"),
        Binding("ctrl+r", "import(True)", "tui.ledger_import.import_skip", id="ledger_import.import_skip"),
        Binding("d", "defaults", "tui.ledger_import.defaults", id="ledger_import.defaults"),
        Binding("escape", "back", "tui.common.back", id="ledger_import.back"),
    ]

    def __init__(self, park_id: str, park_label: str, *, path: str = ""):
        super().__init__()
        self.park_id = park_id
        self.park_label = park_label
        self.initial_path = path
        self.sheet: LedgerSheet | None = None
        self.columns: dict[int, str | None] = {}  # column index -> field, as the person set it
        self.defaults: dict[str, str] = {}  # field -> value as typed, for new tenants (`d`)
        self.report: LedgerImportReport | None = None  # the latest dry run
        self.detail_lines: list[tuple[int, str, str, str, str]] = []  # the details table's lines, each in full
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.ledger_import.title", park=self.park_label), classes="screen-title")
        yield PathInput(self.initial_path, placeholder=t("tui.ledger_import.path_placeholder"), id="import-path",
                        compact=True)
        yield Static(t("tui.ledger_import.hint"), id="import-sheet")
        yield DataTable(id="import-mapping", cursor_type="row", zebra_stripes=True)
        options = [(field_label(name), name) for name in IMPORTABLE_FIELDS]
        yield Select(options, prompt=t("tui.ledger_import.ignore"), id="import-field", compact=True, disabled=True)
        yield Static("", id="import-counts")
        yield DataTable(id="import-details", cursor_type="row", zebra_stripes=True)
        yield Static("", id="import-detail")  # the highlighted line in full: at 80 columns the table cuts it
        yield Static("", id="import-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        mapping = self.query_one("#import-mapping", DataTable)
        for key in ("letter", "header", "field"):
            mapping.add_column(t(f"tui.ledger_import.col_{key}"), key=key)
        details = self.query_one("#import-details", DataTable)
        for key in ("row", "column", "value", "reason"):
            details.add_column(t(f"tui.ledger_import.col_{key}"), key=key)
        self.query_one("#import-path", Input).focus()
        if self.initial_path:
            self.open_file(self.initial_path)

    # --- reading and previewing (thread workers) ----------------------------------------------

    @on(Input.Submitted, "#import-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.open_file(event.value.strip())

    def open_file(self, text: str) -> None:
        path = Path(text.strip().strip("'\"")).expanduser()  # a pasted path may come quoted
        if not path.is_file():
            self._status(t("import.file_missing", file=path), error=True)
            return
        self._status(t("tui.ledger_import.reading", file=path.name))
        self.defaults = {}  # given for the file read before, whose columns may differ
        self.load(path)

    @work(thread=True, exclusive=True, group="ledger-import")
    def load(self, path: Path) -> None:
        try:
            sheet = load_sheet(path)
            report = import_ledger(self.app.store, path, park_id=self.park_id, dry_run=True, sheet=sheet)
        except (UserError, OSError, ValueError) as exc:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._failed, exc, path)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, sheet, report)

    @work(thread=True, exclusive=True, group="ledger-import")
    def preview(self, sheet: LedgerSheet, columns: dict[int, str | None], defaults: dict[str, str]) -> None:
        try:
            report = import_ledger(self.app.store, sheet.file, park_id=self.park_id, dry_run=True, sheet=sheet,
                                   columns=columns, defaults=defaults)
        except UserError as exc:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._refused_mapping, exc)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_report, report)

    def _failed(self, exc: Exception, path: Path) -> None:
        self.sheet, self.report = None, None
        self.query_one("#import-mapping", DataTable).clear()
        self._clear_details()
        self.query_one("#import-counts", Static).update("")
        self.query_one("#import-field", Select).disabled = True
        if isinstance(exc, UserError):
            self._status(exc.message(), error=True)
        else:
            self._status(t("tui.ledger_import.unreadable", file=path, reason=getattr(exc, "strerror", None) or exc),
                         error=True)

    def _loaded(self, sheet: LedgerSheet, report: LedgerImportReport) -> None:
        self.sheet = sheet
        self.columns = {i: sheet.detected.get(i) for i, text in enumerate(sheet.headers) if text}
        table = self.query_one("#import-mapping", DataTable)
        table.clear()
        for index in self.columns:
            table.add_row(column_letter(index), formatting.clip(sheet.headers[index], 30),
                          self._field_text(self.columns[index]), key=str(index))
        self.query_one("#import-sheet", Static).update(
            t("tui.ledger_import.sheet", file=sheet.file.name, row=sheet.header_row,
              rows=formatting.count(sheet.data_row_count)))
        self.query_one("#import-field", Select).disabled = False
        self._sync_select()
        self._show_report(report)
        table.focus()

    def _refused_mapping(self, exc: UserError) -> None:
        self.report = None
        self.query_one("#import-counts", Static).update(exc.message())
        self._clear_details()
        self._status(t("tui.ledger_import.fix_mapping"), error=True)

    def _show_report(self, report: LedgerImportReport) -> None:
        self.report = report
        self.query_one("#import-counts", Static).update(t(
            "tui.ledger_import.counts", created=formatting.count(report.created),
            updated=formatting.count(report.updated), unchanged=formatting.count(report.unchanged),
            refused=formatting.count(len(report.bad_rows)), warnings=formatting.count(len(report.warnings))))
        details = self.query_one("#import-details", DataTable)
        details.clear()
        lines = [(row, column, value, reason, t("tui.ledger_import.detail", row=row, column=column, value=value,
                                                reason=reason)) for row, column, value, reason in self._row_lines(report)]
        lines.sort(key=lambda line: line[0])
        # What the import fills or reads on its own comes first, row "—": it concerns the whole file.
        notes = [(0, field_label(note.field), note.value, t("tui.ledger_import.note", text=note.text), note.text)
                 for note in report.notes]
        lines = notes + lines
        self.detail_lines = lines[:MAX_DETAIL_ROWS]
        for row, column, value, reason, _full in self.detail_lines:
            details.add_row(str(row) if row else "—", formatting.clip(column, 16), formatting.clip(value, 30), reason)
        self._show_detail()
        if len(lines) > MAX_DETAIL_ROWS:
            self._status(t("tui.ledger_import.details_cut", shown=MAX_DETAIL_ROWS, total=formatting.count(len(lines))))
        elif report.problems:
            self._status(t("tui.ledger_import.ready_with_refusals"))
        else:
            self._status(t("tui.ledger_import.ready"))

    @staticmethod
    def _row_lines(report: LedgerImportReport) -> list[tuple[int, str, str, str]]:
        """(row, column, value, what) for each refusal, note and change of a row."""
        lines = [(p.row, p.column, p.value, t("tui.ledger_import.refused", reason=p.reason)) for p in report.problems]
        lines += [(w.row, w.column, w.value, t("tui.ledger_import.warning", reason=w.reason)) for w in report.warnings]
        for change in report.changes:
            lines += [(change.row, field_label(c.field), t("tui.ledger_import.old_new", old=c.old or "—", new=c.new or "—"),
                       t("tui.ledger_import.update", name=change.name)) for c in change.fields]
        return lines

    def _clear_details(self) -> None:
        self.detail_lines = []
        self.query_one("#import-details", DataTable).clear()
        self._show_detail()

    @on(DataTable.RowHighlighted, "#import-details")
    def _show_detail(self) -> None:
        table = self.query_one("#import-details", DataTable)
        lines = self.detail_lines
        text = lines[table.cursor_row][4] if lines and 0 <= table.cursor_row < len(lines) else ""
        self.query_one("#import-detail", Static).update(text)

    # --- the mapping ------------------------------------------------------------------------------

    def _field_text(self, name: str | None) -> str:
        return field_label(name) if name else t("tui.ledger_import.ignore")

    def _highlighted_column(self) -> int | None:
        table = self.query_one("#import-mapping", DataTable)
        if not self.columns or not 0 <= table.cursor_row < len(self.columns):
            return None
        return list(self.columns)[table.cursor_row]

    def _sync_select(self) -> None:
        index = self._highlighted_column()
        select = self.query_one("#import-field", Select)
        with self.prevent(Select.Changed):
            select.value = (self.columns.get(index) if index is not None else None) or Select.NULL

    @on(DataTable.RowHighlighted, "#import-mapping")
    def _mapping_row(self) -> None:
        self._sync_select()

    @on(DataTable.RowSelected, "#import-mapping")
    def _mapping_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.query_one("#import-field", Select).focus()

    @on(Select.Changed, "#import-field")
    def _field_changed(self, event: Select.Changed) -> None:
        index = self._highlighted_column()
        if index is None or self.sheet is None:
            return
        self.set_field(index, None if event.value is Select.NULL else str(event.value))
        self.query_one("#import-mapping", DataTable).focus()  # on to the next column with ↑↓

    def set_field(self, index: int, name: str | None) -> None:
        """The person's choice for one column; the preview runs again with it."""
        if self.columns.get(index) == name or self.sheet is None:
            return
        self.columns[index] = name
        self.query_one("#import-mapping", DataTable).update_cell(str(index), "field", self._field_text(name))
        self._preview_again()

    def _preview_again(self) -> None:
        self.report = None
        self._status(t("tui.ledger_import.previewing"))
        self.preview(self.sheet, dict(self.columns), dict(self.defaults))

    # --- defaults for the fields no column fills ---------------------------------------------------

    def _unmapped_fields(self) -> list[str]:
        mapped = {name for name in self.columns.values() if name}
        if LOCATION in mapped:
            mapped |= {"building", "unit_no"}
        return [name for name in DEFAULTABLE_FIELDS if name not in mapped]

    def action_defaults(self) -> None:
        if self.sheet is None or self.busy:
            self.notify(t("tui.ledger_import.defaults_need_file"), severity="warning")
            return
        fields = self._unmapped_fields()
        if not fields:
            self.notify(t("tui.ledger_import.defaults_none"), severity="warning")
            return
        given = {name: value for name, value in self.defaults.items() if name in fields}
        self.app.push_screen(ImportDefaultScreen(fields, given), self._default_chosen)

    def _default_chosen(self, chosen: tuple[str, str | None] | None) -> None:
        if chosen is None or self.sheet is None:
            return
        name, value = chosen
        if value is None:
            self.defaults.pop(name, None)
        else:
            self.defaults[name] = value
        self._preview_again()

    # --- import -------------------------------------------------------------------------------

    def action_import(self, skip_invalid: bool) -> None:
        report = self.report
        if self.busy or self.sheet is None or report is None:
            self.notify(t("tui.ledger_import.nothing_to_import"), severity="warning")
            return
        if report.problems and not skip_invalid:
            self.notify(t("tui.ledger_import.refused_all", bad=len(report.bad_rows)), severity="error")
            return
        if not report.valid_rows:
            self.notify(t("tui.ledger_import.no_valid_rows"), severity="warning")
            return
        question = t("tui.ledger_import.confirm", park=self.park_label, created=report.created, updated=report.updated)
        if skip_invalid and report.problems:
            question += "\n" + t("tui.ledger_import.confirm_skip", bad=len(report.bad_rows))
        sheet, columns, defaults = self.sheet, dict(self.columns), dict(self.defaults)
        self.app.push_screen(ConfirmScreen(question),
                             lambda yes: self.write(sheet, columns, defaults, skip_invalid) if yes else None)

    @work(thread=True, exclusive=True, group="ledger-import")
    def write(self, sheet: LedgerSheet, columns: dict[int, str | None], defaults: dict[str, str],
              skip_invalid: bool) -> None:
        self.app.call_from_thread(self._writing)
        try:
            report = import_ledger(self.app.store, sheet.file, park_id=self.park_id, sheet=sheet, columns=columns,
                                   defaults=defaults, skip_invalid=skip_invalid)
        except (UserError, OSError) as exc:
            self.app.call_from_thread(self._write_failed, exc)
            return
        self.app.call_from_thread(self._written, report)

    def _writing(self) -> None:
        self.busy = True
        self._status(t("tui.ledger_import.writing"))

    def _write_failed(self, exc: Exception) -> None:
        self.busy = False
        message = exc.message() if isinstance(exc, UserError) else getattr(exc, "strerror", None) or str(exc)
        self._status(t("tui.ledger_import.write_failed", reason=message), error=True)

    def _written(self, report: LedgerImportReport) -> None:
        self.busy = False
        if report.written:
            self.announce(TENANT)
        if not report.written:  # the file or the ledger changed since the preview and rows are refused now
            self._show_report(report)
            self.notify(t("tui.ledger_import.refused_all", bad=len(report.bad_rows)), severity="error")
            return
        message = t("tui.ledger_import.imported", park=self.park_label, created=report.created, updated=report.updated)
        if report.rejects_file:
            message += "\n" + t("tui.ledger_import.rejects", file=report.rejects_file)
        self.notify(message, timeout=10)
        self.dismiss(True)

    def action_back(self) -> None:
        if self.busy:
            return  # the transaction finishes first; then the screen closes itself
        self.dismiss(False)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#import-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def palette_commands(self):
        yield SystemCommand(t("tui.ledger_import.import_all"), t("tui.ledger_import.import_all_help"),
                            lambda: self.action_import(False))
        yield SystemCommand(t("tui.ledger_import.import_skip"), t("tui.ledger_import.import_skip_help"),
                            lambda: self.action_import(True))
        yield SystemCommand(t("tui.ledger_import.defaults"), t("tui.ledger_import.defaults_help"), self.action_defaults)
        yield SystemCommand(t("tui.ledger_import.path"), "", lambda: self.query_one("#import-path", Input).focus())
