"""A park's star-rating self-assessment for a year (opened from the park overview).

One table: each dimension on its own line (its points against its maximum and the points still
open in it: where the gap to the next star can be made up), its items under it. An item the app
scores from a figure it knows says so, with the figure (the same figures the park overview
shows: services/stars.py); a typed item opens a small form for its points and evidence. The
self-assessment form is written as .xlsx or PDF through the export path dialog.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Input
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, NOTICE, QUARTERLY, SETTINGS, TENANT, AppModalScreen, AppScreen
from inspect_app.screens.export_path import ExportPathScreen
from inspect_app.services.errors import UserError
from inspect_app.services.hazards_export import default_export_folder
from inspect_app.services.stars import save_star_score, star_assessment
from inspect_app.services.stars_export import figure_text, item_rows, summary_lines, write_stars_file
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.form_row import FormRow, show_form_result
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

STARS = "stars"  # the kind of data a typed score is (announced after a save)
SUFFIXES = (".xlsx", ".pdf")
# The item's words are clipped so that its figures and basis fit at 80 columns; the detail line
# under the table says the whole item.
NAME_WIDTH = 34


class StarScreen(AppScreen):
    DEFAULT_CSS = """
    StarScreen .stars-summary { height: 2; padding: 0 1; }
    StarScreen .stars-detail { height: 2; padding: 0 1; color: $text-muted; }
    """
    ENTER_OPENS_ROW = "edit"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("enter", "edit", "tui.stars.edit", id="stars.edit"),
        Binding("x", "export", "tui.stars.export", id="stars.export"),
        Binding("left_square_bracket", "previous_year", "tui.stars.previous_year", id="stars.previous_year",
                key_display="[", show=False),
        Binding("right_square_bracket", "next_year", "tui.stars.next_year", id="stars.next_year",
                key_display="]", show=False),
        Binding("escape", "back", "tui.common.back", id="stars.back"),
    ]
    # Figures of the overview (a sync may bring any of them) and the typed scores.
    SHOWS = frozenset({TENANT, HAZARD, NOTICE, QUARTERLY, SETTINGS, STARS})

    def __init__(self, park_id: str, year: int | None = None):
        super().__init__()
        self.park_id = park_id
        self.year = year
        self.assessment = None  # services.stars.StarAssessment once loaded
        self.keys: list[tuple[str, str]] = []  # per table row: ("dimension" | "item", code)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.common.loading"), classes="screen-title stars-title")
        yield Static("", classes="stars-summary")
        yield FitDataTable(cursor_type="row", id="stars-table")
        yield Static("", classes="stars-detail")
        yield Static(t("tui.common.loading"), classes="status-line stars-status")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.year = self.year or self.app.today.year
        table = self.query_one(DataTable)
        for key in ("name", "points", "maximum", "open", "basis"):
            table.add_column(t(f"tui.stars.col_{key}"), key=key)
        table.focus()
        self.reload()

    def refresh_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.load(self.year)

    @work(thread=True, exclusive=True, group="stars")
    def load(self, year: int) -> None:
        try:
            assessment = star_assessment(self.app.store, self.park_id, year, today=self.app.today,
                                         thresholds=self.app.settings.risk_flags, calendar=self.app.settings.calendar)
        except Exception as exc:  # a malformed criteria file or method: say so, never a traceback
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self.failed, exc)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, assessment)

    def failed(self, exc: Exception) -> None:
        reason = exc.message() if isinstance(exc, UserError) else str(getattr(exc, "problems", [exc])[0])
        self.query_one(".stars-status", Static).update(t("tui.stars.failed", reason=reason))

    def show(self, assessment) -> None:
        self.assessment = assessment
        park = assessment.park
        self.query_one(".stars-title", Static).update(
            t("stars.form_title", code=park.code, name=park.name, year=assessment.year))
        self.query_one(".stars-summary", Static).update("\n".join(summary_lines(assessment)))
        table = self.query_one(DataTable)
        keep = table.cursor_row if self.keys else 0
        table.clear()
        self.keys = []
        for dimension in assessment.dimensions:
            table.add_row(Text(dimension.dimension.name(), style="bold"), f"{dimension.points:.1f}",
                          f"{dimension.maximum:g}", f"{dimension.open_points:.1f}", "",
                          key=f"dimension-{dimension.dimension.code}")
            self.keys.append(("dimension", dimension.dimension.code))
            for score in assessment.items:
                if score.item.dimension != dimension.dimension.code:
                    continue
                if score.automatic:
                    basis = t("tui.stars.automatic", figure=figure_text(score.item.source, score.figure))
                else:
                    basis = t("tui.stars.typed") if score.entered else Text(t("tui.stars.not_typed"), style="dim")
                name = formatting.clip(f"  {score.item.code} {score.item.text()}", NAME_WIDTH)
                table.add_row(name, f"{score.points:.1f}",
                              f"{score.item.points:g}", f"{score.item.points - score.points:.1f}", basis,
                              key=f"item-{score.item.code}")
                self.keys.append(("item", score.item.code))
        table.move_cursor(row=min(keep, len(self.keys) - 1))
        self.query_one(".stars-status", Static).update(t("tui.stars.status", year=assessment.year))
        self._highlighted()

    def selected(self):
        """The highlighted row: ("dimension", DimensionScore) or ("item", ItemScore), None while loading."""
        table = self.query_one(DataTable)
        if self.assessment is None or not self.keys or table.cursor_row < 0:
            return None
        kind, code = self.keys[table.cursor_row]
        if kind == "dimension":
            return kind, next(d for d in self.assessment.dimensions if d.dimension.code == code)
        return kind, next(s for s in self.assessment.items if s.item.code == code)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted | None = None) -> None:
        chosen = self.selected()
        detail = ""
        if chosen is not None and chosen[0] == "item":
            item = chosen[1].item
            how = next(row[5] for row in item_rows(self.assessment) if row[0] == item.code)
            detail = f"{item.code} {item.text()}: {how}"
        elif chosen is not None:
            dimension = chosen[1]
            detail = t("tui.stars.dimension_detail", name=dimension.dimension.name(),
                       points=f"{dimension.points:.1f}", maximum=f"{dimension.maximum:g}",
                       open=f"{dimension.open_points:.1f}")
        self.query_one(".stars-detail", Static).update(detail)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_edit(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen[0] != "item":
            return
        score = chosen[1]
        if score.automatic:  # scored by the app: nothing to type; say where its figure comes from
            self.notify(t("tui.stars.automatic_item", code=score.item.code))
            return
        # a save announces STARS: this screen reads again when it is in front (screens/base.py)
        self.app.push_screen(StarScoreScreen(self.park_id, self.assessment.year, score))

    def action_previous_year(self) -> None:
        self.year -= 1
        self.reload()

    def action_next_year(self) -> None:
        if self.year < self.app.today.year:
            self.year += 1
            self.reload()

    def action_export(self) -> None:
        if self.assessment is None:
            return
        assessment = self.assessment
        name = t("tui.stars.file_name", code=assessment.park.code, year=assessment.year)
        dialog = ExportPathScreen(t("tui.stars.export_title"), default_export_folder() / name, suffixes=SUFFIXES,
                                  hint_key="tui.stars.export_hint", bad_suffix_key="tui.stars.bad_suffix")
        self.app.push_screen(dialog, lambda path: self.write(path, assessment) if path else None)

    @work(thread=True, group="stars-export")
    def write(self, path, assessment) -> None:
        try:
            write_stars_file(assessment, path)
        except OSError as exc:
            self.app.call_from_thread(self.notify, t("tui.stars.write_failed", reason=exc.strerror or str(exc)),
                                      severity="error")
            return
        self.app.call_from_thread(self.notify, t("stars.cli.written", path=path), timeout=10)

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self):
        yield SystemCommand(t("tui.stars.edit"), t("tui.stars.edit_help"), self.action_edit)
        yield SystemCommand(t("tui.stars.export"), t("tui.stars.export_help"), self.action_export)
        yield SystemCommand(t("tui.stars.previous_year"), t("tui.stars.year_help"), self.action_previous_year)
        yield SystemCommand(t("tui.stars.next_year"), t("tui.stars.year_help"), self.action_next_year)


class StarScoreScreen(AppModalScreen[bool]):
    """A typed item's points and evidence; dismisses with True once saved, False when left."""

    DEFAULT_CSS = """
    StarScoreScreen { align: center middle; }
    StarScoreScreen > Vertical { width: 76; max-width: 100%; height: auto; border: thick $primary;
                                 background: $surface; padding: 0 1; }
    StarScoreScreen Input { width: 1fr; }
    StarScoreScreen #star-status { margin-top: 1; color: $text-muted; }
    """
    AUTO_FOCUS = "#star-points"
    BINDINGS = [
        Binding("ctrl+s", "save", "tui.stars.save", id="stars.save", priority=True),
        Binding("escape", "cancel", "tui.form.cancel", id="stars.cancel"),
    ]

    def __init__(self, park_id: str, year: int, score):
        super().__init__()
        self.park_id = park_id
        self.year = year
        self.score = score  # services.stars.ItemScore of a typed item

    def compose(self) -> ComposeResult:
        item = self.score.item
        points = f"{self.score.points:g}" if self.score.entered else ""
        with Vertical():
            yield Static(f"{item.code} {item.text()}", classes="screen-title")
            yield FormRow("points", t("tui.stars.points", max=f"{item.points:g}"),
                          Input(points, id="star-points", compact=True), required=True)
            yield FormRow("evidence", t("tui.stars.evidence"),
                          Input(self.score.evidence or "", id="star-evidence", compact=True))
            yield Static(t("tui.stars.form_hint"), id="star-status")

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        try:
            row = save_star_score(self.app.store, park_id=self.park_id, year=self.year, item_code=self.score.item.code,
                                  points=self.query_one("#star-points", Input).value,
                                  evidence=self.query_one("#star-evidence", Input).value)
        except UserError as exc:
            field = exc.field if exc.field in ("points", "evidence") else "points"
            show_form_result(self.query(FormRow), {field: exc.message()}, self.query_one("#star-status", Static),
                             t("tui.stars.refused", reason=exc.message()))
            return
        self.announce(STARS)
        self.notify(t("stars.saved", code=row.item_code, points=f"{row.points:g}"))
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
