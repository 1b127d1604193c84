"""Walking a checklist: one key per item, each answer saved the moment it is given.

`p` / `f` / `n` record pass / fail / not applicable for the item under the cursor and move to the
next unanswered one; a failure first asks for a note (what was wrong), since that note becomes
the hazard's description. `e` edits the note, `o` the observed value (ledger checks), `a`
picks photos from a folder (screens/photo_picker.py; a pasted file path works there too), `v`
shows the item's photos, `P` passes everything still unanswered, Ctrl+F finishes. `]` / `[`
jump to the first item of the next / previous category (a failure deep in the list is a few keys
away, not a dozen arrows). `X` discards an inspection not yet finished, after a confirm naming
the subject and the day (what it deletes syncs as tombstones, services.inspections.discard_inspection).

Every key writes at once and directly (no worker): the writes are tiny, and doing them in order
on the UI thread means a crash loses at most the key being pressed and answers never overtake
each other. The screen keeps its own copy of the results and updates only the changed row.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import Header, Input

from forms import china_time
from forms.catalogues import label, labels
from forms.checklist import find_template
from forms.i18n import t
from inspect_app import formatting
from inspect_app.bindings import focus_now
from inspect_app.screens import rectification
from inspect_app.screens.base import HAZARD, INSPECTION, AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.inspection_summary import InspectionSummary, InspectionSummaryScreen, NewHazard
from inspect_app.screens.photo_picker import PhotoPickerScreen
from inspect_app.screens.photo_viewer import PhotoViewerScreen
from inspect_app.services.attachments import files_of
from inspect_app.services.errors import UserError
from inspect_app.services.hazards import get_hazard
from inspect_app.services.inspections import (
    InspectionView,
    ResultView,
    discard_inspection,
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
)
from inspect_app.services.ledger import get_tenant
from inspect_app.services.lookback import previous_line, previous_results
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Label, Static

OWNER_TABLE = "check_result"
CODE_WIDTH = 4  # "编号" and "Code" are 4 cells wide
CATEGORY_WIDTH = 10
MARK_WIDTH = 8
# Cell padding (1 each side of 4 columns), the vertical scrollbar and one spare column.
TABLE_CHROME = 2 * 4 + 2 + 1
MIN_TEXT_WIDTH = 20
MARK_STYLES = {"pass": "green", "fail": "bold red", "na": "dim"}


@dataclass(frozen=True)
class Editing:
    """The input line is open: for what (note / observed), on which row, and whether
    Enter or Esc then moves on (the note asked for right after a failure)."""

    mode: str
    index: int
    advance: bool = False


class InspectionScreen(AppScreen[None]):
    DEFAULT_CSS = """
    InspectionScreen #title-line { height: 1; padding: 0 1; }
    InspectionScreen #inspection-title { width: 1fr; height: 1; text-style: bold; }
    InspectionScreen #inspection-progress { width: auto; height: 1; padding-left: 2; }
    InspectionScreen #items { height: 1fr; }
    InspectionScreen #detail { height: 4; padding: 0 1; background: $boost; }
    InspectionScreen #editor { height: 1; display: none; padding: 0 1; }
    InspectionScreen #editor.-open { display: block; }
    InspectionScreen #editor Label { width: auto; padding-right: 1; text-style: bold; }
    InspectionScreen #editor Input { width: 1fr; }
    InspectionScreen #editor-error { height: auto; display: none; padding: 0 1; color: $error; }
    InspectionScreen #editor-error.-shown { display: block; }
    InspectionScreen #inspection-status.-error { color: $error; text-style: bold; }
    """
    BINDINGS = [
        Binding("p", "outcome('pass')", "tui.inspection.pass", id="inspection.pass"),
        Binding("f", "outcome('fail')", "tui.inspection.fail", id="inspection.fail"),
        Binding("n", "outcome('na')", "tui.inspection.na", id="inspection.na"),
        Binding("space,backspace", "clear", "tui.inspection.clear", id="inspection.clear", show=False),
        Binding("e", "edit('note')", "tui.inspection.note", id="inspection.note"),
        Binding("o", "edit('observed')", "tui.inspection.observed", id="inspection.observed", show=False),
        Binding("a", "pick_photos", "tui.inspection.photo", id="inspection.photo"),
        # Not in the footer (no room at 80 columns): the item's detail line names it once it has photos.
        Binding("v", "view_photos", "tui.inspection.view_photos", id="inspection.view_photos", show=False),
        Binding("P", "pass_remaining", "tui.inspection.pass_all", id="inspection.pass_all", key_display="P"),
        Binding("ctrl+f", "finish", "tui.inspection.finish", id="inspection.finish"),
        Binding("right_square_bracket", "category(1)", "tui.inspection.next_category", id="inspection.next_category",
                key_display="]", show=False),
        Binding("left_square_bracket", "category(-1)", "tui.inspection.previous_category",
                id="inspection.previous_category", key_display="[", show=False),
        Binding("X", "discard", "tui.inspection.discard", id="inspection.discard", key_display="X", show=False),
        # Not in the footer (no room at 80 columns): the status line names Esc instead.
        Binding("escape", "leave", "tui.inspection.leave", id="inspection.leave", show=False),
    ]

    def __init__(self, inspection_id: str):
        super().__init__()
        self.inspection_id = inspection_id
        self.view: InspectionView | None = None
        self.results: list[ResultView] = []
        self.editing: Editing | None = None
        self.photo_counts: dict[str, int] = {}
        self.ledger_values: dict[str, str] = {}  # item code -> what the ledger declares
        self.previous: dict[str, str] = {}  # item code -> the tenant's last result, in words (回头看)
        self._text_width = 0

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        # The progress sits on the right, outside the part a long tenant name may crop.
        with Horizontal(id="title-line"):
            yield Static("", id="inspection-title")
            yield Static("", id="inspection-progress")
        yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail")
        with Horizontal(id="editor"):
            yield Label("", id="editor-label")
            yield Input(id="editor-input", compact=True)
        yield Static("", id="editor-error")
        yield Static("", id="inspection-status", classes="status-line")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.view = load_inspection(self.app.store, self.inspection_id)
        self.results = list(self.view.results)
        self.sub_title = t("tui.inspection.inspectors", names="、".join(self.view.inspector_names))
        self.ledger_values = self._ledger_values()
        self.previous = {code: previous_line(p) for code, p in
                         previous_results(self.app.store, self.view.tenant_id, self.inspection_id).items()}
        self._build_table()
        first_open = self._next_unanswered(-1)
        self.query_one("#items", DataTable).move_cursor(row=first_open if first_open is not None else 0)
        self.query_one("#items", DataTable).focus()
        self._refresh_title()
        self._show_status()

    def on_resize(self, event: Resize) -> None:
        if self.results and self._wanted_text_width() != self._text_width:
            self._build_table()  # longer item texts on a wider terminal

    def _wanted_text_width(self) -> int:
        fixed = CODE_WIDTH + CATEGORY_WIDTH + MARK_WIDTH + TABLE_CHROME
        return max(MIN_TEXT_WIDTH, self.size.width - fixed)

    def _build_table(self) -> None:
        table = self.query_one("#items", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        self._text_width = self._wanted_text_width()
        for key, width in (("code", CODE_WIDTH), ("category", CATEGORY_WIDTH), ("text", self._text_width),
                           ("outcome", MARK_WIDTH)):
            table.add_column(t(f"tui.inspection.col_{key}"), key=key, width=width)
        for result in self.results:
            table.add_row(*self._cells(result), key=result.id)
        if self.results:
            table.move_cursor(row=max(0, min(cursor, len(self.results) - 1)))

    def _cells(self, result: ResultView) -> list[Text]:
        return [Text(result.code), _clip(result.category, CATEGORY_WIDTH), _clip(result.text, self._text_width),
                _mark(result.outcome)]

    def _update_row(self, index: int) -> None:
        table = self.query_one("#items", DataTable)
        result = self.results[index]
        table.update_cell(result.id, "outcome", _mark(result.outcome))
        self._refresh_title()
        if table.cursor_row == index:
            self._show_detail(index)

    def _refresh_title(self) -> None:
        view = self.view
        answered = sum(r.outcome is not None for r in self.results)
        failed = sum(r.outcome == "fail" for r in self.results)
        self.query_one("#inspection-title", Static).update(
            t("tui.inspection.title", subject=formatting.short_name(view.subject), template=view.title))
        progress = Text(t("tui.inspection.progress", answered=answered, total=len(self.results)))
        progress.append(" · ")
        progress.append(t("tui.inspection.failed_count", failed=failed), style="bold red" if failed else "")
        self.query_one("#inspection-progress", Static).update(progress)

    def _show_status(self, message: str | None = None, *, error: bool = False) -> None:
        """The line above the footer: a message, else what to do next."""
        if message is None:
            remaining = sum(r.outcome is None for r in self.results)
            message = t("tui.inspection.hint") if remaining else t("tui.inspection.hint_done", total=len(self.results))
        status = self.query_one("#inspection-status", Static)
        status.update(message)
        status.set_class(error, "-error")

    # --- the item under the cursor ------------------------------------------------------------

    def _current(self) -> int | None:
        table = self.query_one("#items", DataTable)
        return table.cursor_row if self.results and 0 <= table.cursor_row < len(self.results) else None

    @on(DataTable.RowHighlighted, "#items")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        if not 0 <= index < len(self.results):
            return
        result = self.results[index]
        head = t("tui.inspection.severity_line", code=result.code, category=result.category,
                 severity=label("severity", result.default_severity))
        if result.major_possible and result.default_severity != "major":
            head += t("tui.inspection.major_possible")
        extras = []
        if result.code in self.previous:  # first: what was found last time is what to look at again
            extras.append(self.previous[result.code])
        if result.note:
            extras.append(t("tui.inspection.detail_note", note=result.note))
        if result.code in self.ledger_values:
            extras.append(t("tui.inspection.detail_ledger", value=self.ledger_values[result.code]))
        if result.observed_value:
            extras.append(t("tui.inspection.detail_observed", value=result.observed_value))
        photos = self._photo_count(result.id)
        if photos:
            extras.append(t("tui.inspection.detail_photos", count=photos))
        detail = Text(head, style="dim")
        detail.append("\n" + result.text, style="bold")
        if extras:
            detail.append("\n" + " · ".join(extras))
        self.query_one("#detail", Static).update(detail)

    def _photo_count(self, result_id: str) -> int:
        if result_id not in self.photo_counts:  # one small read per item, the first time it is shown
            self.photo_counts[result_id] = len(files_of(self.app.store, OWNER_TABLE, result_id))
        return self.photo_counts[result_id]

    def _ledger_values(self) -> dict[str, str]:
        """For ledger-verification items: the tenant's declared value, shown next to the observed one."""
        view = self.view
        template = find_template(view.template_id, view.template_version)
        fields = {item.code: item.ledger_field for item in template.items if item.ledger_field} if template else {}
        if not fields or view.tenant_id is None:
            return {}

        tenant = get_tenant(self.app.store, view.tenant_id)
        return {code: _ledger_text(field, getattr(tenant, field, None)) for code, field in fields.items()}

    def _next_unanswered(self, after: int) -> int | None:
        """The first unanswered item after `after`, wrapping round to the top; None when all are done."""
        count = len(self.results)
        for step in range(1, count + 1):
            index = (after + step) % count
            if self.results[index].outcome is None:
                return index
        return None

    def _advance(self, index: int) -> None:
        following = self._next_unanswered(index)
        if following is not None:
            self.query_one("#items", DataTable).move_cursor(row=following)
        self._show_status()

    def action_category(self, step: int) -> None:
        """To the first item of the next (step 1) or previous (-1) category; stays at either end."""
        index = self._current()
        if index is None or self.editing is not None:
            return
        starts = [i for i, r in enumerate(self.results) if i == 0 or r.category != self.results[i - 1].category]
        current = max(i for i in starts if i <= index)
        if step > 0:
            target = next((i for i in starts if i > index), None)
        else:
            # Within a category, `[` goes to its first item first; from there to the previous one's.
            target = current if index > current else max((i for i in starts if i < current), default=None)
        if target is not None:
            self.query_one("#items", DataTable).move_cursor(row=target)

    # --- answers ------------------------------------------------------------------------------

    def _save(self, index: int, outcome: str | None, *, note: str | None = None,
              observed: str | None = None) -> bool:
        """Write one item now; refusals (e.g. finished meanwhile on another screen) are shown."""
        result = self.results[index]
        try:
            record_outcome(self.app.store, result.id, outcome, note=note, observed_value=observed)
        except UserError as exc:
            self._show_status(exc.message(), error=True)
            return False
        changes: dict[str, object] = {"outcome": outcome}
        if note is not None:
            changes["note"] = note.strip() or None
        if observed is not None:
            changes["observed_value"] = observed.strip() or None
        self.results[index] = replace(result, **changes)
        self._update_row(index)
        return True

    def action_outcome(self, outcome: str) -> None:
        index = self._current()
        if index is None or self.editing is not None or not self._save(index, outcome):
            return
        if outcome == "fail":
            # What was wrong becomes the hazard's description: ask now, while it is in front of us.
            self._open_editor(Editing("note", index, advance=True))
            return
        self._advance(index)

    def action_clear(self) -> None:
        index = self._current()
        if index is not None and self.editing is None and self._save(index, None):
            self._show_status()

    def action_pass_remaining(self) -> None:
        remaining = sum(r.outcome is None for r in self.results)
        if not remaining:
            self._show_status(t("tui.inspection.nothing_remaining"))
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                count = pass_remaining(self.app.store, self.inspection_id)
            except UserError as exc:
                self._show_status(exc.message(), error=True)
                return
            self.results = [r if r.outcome else replace(r, outcome="pass") for r in self.results]
            for index in range(len(self.results)):
                self._update_row(index)
            self.notify(t("tui.inspection.passed_all", count=count))
            self._show_status()

        self.app.push_screen(ConfirmScreen(t("tui.inspection.confirm_pass_all", count=remaining)), confirmed)

    # --- photos -------------------------------------------------------------------------------

    def action_pick_photos(self) -> None:
        index = self._current()
        if index is None or self.editing is not None:
            return
        result = self.results[index]

        def picked(count: int | None) -> None:
            if count:
                self.photo_counts.pop(result.id, None)
                self._show_detail(index)

        self.app.push_screen(PhotoPickerScreen(OWNER_TABLE, result.id, f"[{result.code}] {result.text}"), picked)

    def action_view_photos(self) -> None:
        index = self._current()
        if index is None or self.editing is not None:
            return
        result = self.results[index]
        files = files_of(self.app.store, OWNER_TABLE, result.id)
        if not files:
            self._show_status(t("tui.inspection.no_photos"))
            return
        self.app.push_screen(PhotoViewerScreen(files, f"[{result.code}] {result.text}"))

    # --- the input line: note, observed value ---------------------------------------------------

    def action_edit(self, mode: str) -> None:
        index = self._current()
        if index is not None and self.editing is None:
            self._open_editor(Editing(mode, index))

    def _open_editor(self, editing: Editing) -> None:
        self.editing = editing
        result = self.results[editing.index]
        editor_input = self.query_one("#editor-input", Input)
        if editing.mode == "note":
            editor_input.value = result.note or ""
            placeholder = t("tui.inspection.fail_note_placeholder") if editing.advance else t("tui.inspection.edit_hint")
        else:
            editor_input.value = result.observed_value or ""
            placeholder = self.ledger_values.get(result.code) or t("tui.inspection.edit_hint")
        editor_input.placeholder = placeholder
        self.query_one("#editor-label", Label).update(
            f"[{result.code}] {t(f'tui.inspection.edit_{editing.mode}')}")
        self._show_editor_error(None)
        self.query_one("#editor").add_class("-open")
        focus_now(editor_input)  # the note typed right behind `f` goes into it (bindings.py, rule 7)

    def _close_editor(self) -> None:
        editing = self.editing
        self.editing = None
        self._show_editor_error(None)
        self.query_one("#editor").remove_class("-open")
        self.query_one("#items", DataTable).focus()
        if editing is not None and editing.advance:
            self._advance(editing.index)

    def _show_editor_error(self, message: str | None) -> None:
        error = self.query_one("#editor-error", Static)
        error.update(message or "")
        error.set_class(bool(message), "-shown")

    @on(Input.Submitted, "#editor-input")
    def _editor_submitted(self, event: Input.Submitted) -> None:
        editing = self.editing
        if editing is None:
            return
        result = self.results[editing.index]
        values = {"note": event.value} if editing.mode == "note" else {"observed": event.value}
        if self._save(editing.index, result.outcome, **values):
            self._close_editor()

    # --- finishing and leaving ----------------------------------------------------------------

    def action_finish(self) -> None:
        if self.editing is not None:
            return
        try:
            hazard_ids = finish_inspection(self.app.store, self.inspection_id, today=self.app.today)
        except UserError as exc:
            self._show_status(exc.message(), error=True)
            self.app.bell()
            first_open = self._next_unanswered(-1)
            if first_open is not None:
                self.query_one("#items", DataTable).move_cursor(row=first_open)
            return
        self.announce(INSPECTION, HAZARD)
        failed = [r for r in self.results if r.outcome == "fail"]  # finish makes hazards in item order
        summary = InspectionSummary(
            subject=self.view.subject,
            passed=sum(r.outcome == "pass" for r in self.results),
            failed=len(failed),
            not_applicable=sum(r.outcome == "na" for r in self.results),
            # What was found (the note) says more than the rule it broke; the code names the rule.
            hazards=[NewHazard(hazard_id, r.code, r.default_severity, r.note or r.text,
                               get_hazard(self.app.store, hazard_id, self.app.today, self.app.settings.calendar).deadline)
                     for hazard_id, r in zip(hazard_ids, failed, strict=True)],
            inspection_id=self.inspection_id, accompanied_by=self.view.accompanied_by,
        )
        self.app.push_screen(InspectionSummaryScreen(summary), lambda choice: self._after_summary(choice, hazard_ids))

    def _after_summary(self, choice: str | None, hazard_ids: list[str]) -> None:
        app = self.app
        self.dismiss(None)
        if choice == "five" and hazard_ids:
            open_rectification(app, hazard_ids)

    def action_discard(self) -> None:
        """Throw this unfinished inspection away, after a confirm naming the subject and its day."""
        if self.editing is not None:
            return
        started = china_time.local(self.view.started_at).date().isoformat() if self.view.started_at else "?"

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                discard_inspection(self.app.store, self.inspection_id)
            except UserError as exc:
                self._show_status(exc.message(), error=True)
                return
            self.announce(INSPECTION)
            self.notify(t("tui.inspection.discarded", subject=self.view.subject, date=started))
            self.dismiss(None)

        self.app.push_screen(ConfirmScreen(t("tui.inspection.confirm_discard", subject=self.view.subject,
                                             date=started)), confirmed)

    def action_leave(self) -> None:
        if self.editing is not None:
            self._close_editor()
            return
        if any(r.outcome is None for r in self.results):
            self.notify(t("tui.inspection.left_unfinished"), timeout=6)
        self.dismiss(None)

    def palette_commands(self):
        yield SystemCommand(t("tui.inspection.pass_all"), t("tui.inspection.pass_all_help"),
                            self.action_pass_remaining)
        yield SystemCommand(t("tui.inspection.finish"), t("tui.inspection.finish_help"), self.action_finish)
        yield SystemCommand(t("tui.inspection.note"), "", lambda: self.action_edit("note"))
        yield SystemCommand(t("tui.inspection.observed"), "", lambda: self.action_edit("observed"))
        yield SystemCommand(t("tui.inspection.photo"), "", self.action_pick_photos)
        yield SystemCommand(t("tui.inspection.view_photos"), "", self.action_view_photos)
        yield SystemCommand(t("tui.inspection.leave"), t("tui.inspection.left_unfinished"), self.action_leave)
        yield SystemCommand(t("tui.inspection.discard"), t("tui.inspection.discard_help"), self.action_discard)


def open_rectification(app, hazard_ids: list[str]) -> None:
    """Go on to the 五落实 of the new hazards, if the rectification screen is installed.

    Looked up rather than imported: the form is built separately, and an inspection must finish
    whether or not it is there yet. A screen that exists but fails to import is a bug and raises.
    """
    if importlib.util.find_spec("inspect_app.screens.rectification") is None:
        app.notify(t("tui.inspection_summary.five_unavailable"), severity="warning", timeout=6)
        return

    # Given the whole list, the form walks the new hazards one after the other (Ctrl+N).
    app.push_screen(rectification.RectificationScreen(hazard_ids[0], hazard_ids))


def _clip(text: str, width: int) -> Text:
    clipped = Text(text.replace("\n", " "))
    clipped.truncate(width, overflow="ellipsis")
    return clipped


def _mark(outcome: str | None) -> Text:
    if outcome is None:
        return Text("")
    return Text(t(f"tui.inspection.mark_{outcome}"), style=MARK_STYLES[outcome])


def _ledger_text(field: str, value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field == "rented_area_m2":
        return f"{formatting.area(value)} ㎡"
    if field == "headcount":
        return formatting.count(value)
    if field == "risk_points":
        return labels("risk_point", value)
    if field in ("lease_use", "scale"):
        return label(field, value)
    return str(value)
