"""County overview (全县概览) and park overview (园区概览) for a quarter.

The county overview has one row per park (figures, a bar of its output against the largest, flag
counts) under the county's own figures and a sparkline of its quarterly output; Enter opens the
park overview: the park's figures, the sparkline of its output, and its tenants with their
figures, 亩均效益 class and risk flags — what the bureau reads first. The highlighted row's flags
are in words on the line under the table; Enter shows them in full. `[` and `]` move a quarter.

Both read through services/park_overview.py in a thread worker (the county takes a few hundred
milliseconds on 300 parks); the tables hold every row (300 parks, or one park's tenants). The
results of the county's rules per park (services/rules.py `results_per_park`) come from a worker
of their own, evaluated again only when a tenant or building changed: a column of the county's
table, the first words of the park's status line.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Sparkline
from textual.worker import get_current_worker

from forms.catalogues import label
from forms.i18n import t
from forms.rules import TemplateError
from inspect_app import formatting
from inspect_app.screens.base import HAZARD, NOTICE, QUARTERLY, SETTINGS, TENANT, AppModalScreen, AppScreen
from inspect_app.screens.export_path import ExportPathScreen
from inspect_app.screens.stars import StarScreen
from inspect_app.services.errors import UserError
from inspect_app.services.hazards_export import default_export_folder
from inspect_app.services.mujun import tenant_lines
from inspect_app.services.park_overview import (
    FLAG_KINDS,
    CountyOverview,
    Figures,
    ParkOverview,
    ParkRow,
    Quarter,
    TenantRow,
    county_overview,
    park_overview,
)
from inspect_app.services.quarterly_report import SUFFIXES, default_report_name, write_quarterly_report
from inspect_app.services.rules import results_per_park
from inspect_app.widgets.fit_table import FitDataTable
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

BAR_WIDTH = 8
DETAIL_LINES = 2  # the detail line's height (its CSS below); Enter shows a tenant's flags whole
NAME_WIDTH = 16  # cells; the full name is on the detail line
ALERT = "bold red"
PARTIAL_BLOCKS = " ▏▎▍▌▋▊▉"


def bar(value: float, maximum: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of `width` cells for value / maximum, in eighths of a cell."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = round(min(1.0, value / maximum) * width * 8)
    full, part = divmod(max(1, eighths), 8)
    return "█" * full + (PARTIAL_BLOCKS[part] if part else "")


def amount(value: float | None) -> str:
    """万元 and kWh: whole numbers from 100 up, one decimal below."""
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}%"


def change(pct: float | None) -> Text:
    if pct is None:
        return Text("")
    return Text(f"{pct:+.0f}%", style=ALERT if pct <= -30 else "")


def flag_marks(flags) -> Text:
    return Text("".join(flag.short() for flag in flags), style=ALERT)


def flag_counts(figures: Figures, *, short: bool = False) -> str:
    """'产值下滑 3；隐患逾期 7', or with `short` '降3 逾7' for a table cell."""
    kinds = [kind for kind in FLAG_KINDS if figures.flags.get(kind)]
    if short:
        return " ".join(f"{t(f'risk_flags.short.{kind}')}{figures.flags.get(kind)}" for kind in kinds)
    if not kinds:
        return t("tui.overview.no_flags")
    return t("risk_flags.list_separator").join(
        t("tui.overview.flag_count", label=t(f"risk_flags.label.{kind}"), count=formatting.count(figures.flags.get(kind)))
        for kind in kinds)


def summary(figures: Figures, parks: int | None = None) -> str:
    """The figures above a table: four lines (area, money, 规上 and hazards, flags)."""
    area = t("tui.overview.summary_area", tenants=formatting.count(figures.tenants),
             rented=formatting.area(figures.rented_area_m2), vacant=formatting.area(figures.vacant_area_m2),
             headcount=formatting.count(figures.headcount))
    if parks is not None:
        area = t("tui.overview.summary_parks", parks=parks) + area
    elif figures.over_rented_m2:
        area += t("tui.overview.over_rented", excess=formatting.area(figures.over_rented_m2))
    money = t("tui.overview.summary_output", output=amount(figures.output_wan), tax=amount(figures.tax_wan),
              per_mu=amount(figures.output_per_mu), tax_per_mu=amount(figures.tax_per_mu))
    h = figures.hazards
    above = t("tui.overview.summary_above", above=formatting.count(figures.above_tenants),
              above_share=percent(figures.above_tenant_share) or "—",
              above_output_share=percent(figures.above_output_share) or "—",
              open=formatting.count(h.open), open_major=formatting.count(h.open_major),
              overdue=formatting.count(h.overdue), overdue_major=formatting.count(h.overdue_major))
    flags = t("tui.overview.summary_flags", flagged=formatting.count(figures.flags.flagged_tenants),
              flags=flag_counts(figures))
    if figures.repeat_hazards:  # hazards that came back after being closed: before the flags, for the cut
        flags = t("tui.overview.summary_repeats", count=formatting.count(figures.repeat_hazards)) + flags
    if figures.late_notices:  # first on its line: at 80 columns the end of a line is cut
        flags = t("tui.overview.summary_late_notices", late=formatting.count(figures.late_notices)) + flags
    return "\n".join((area, money, above, flags))


def clamped(text: str, width: int, height: int) -> str:
    """`text` as it wraps in `width` cells, cut to `height` lines; the last one ends in "…" when cut."""
    if width <= 1:
        return text
    lines = [line.plain for line in Content(text).wrap(width)]
    if len(lines) <= height:
        return text
    last = lines[height - 1].rstrip()
    while last and cell_len(last) + 1 > width:
        last = last[:-1]
    return "\n".join([*lines[:height - 1], last + "…"])


class OverviewScreenBase(AppScreen):
    """What both overviews share: a title, figures, a trend line, a table, a detail line, quarters."""

    DEFAULT_CSS = """
    OverviewScreenBase .overview-summary { height: 4; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    OverviewScreenBase .overview-trend { height: 1; padding: 0 1; }
    OverviewScreenBase .overview-trend Static { width: auto; }
    OverviewScreenBase .overview-trend Sparkline { width: 24; margin: 0 1; }
    OverviewScreenBase .overview-detail { height: 2; padding: 0 1; color: $text-muted; }
    """
    SORTS: tuple[str, ...] = ()
    # Figures, counts, late notices and the flags' thresholds (a sync may bring any of them).
    SHOWS = frozenset({TENANT, HAZARD, NOTICE, QUARTERLY, SETTINGS})

    def __init__(self, quarter: Quarter | None = None):
        super().__init__()
        self.quarter = quarter
        self.sort = self.SORTS[0]
        self.rule_counts: dict[str, int] | None = None  # park id -> rule results, once evaluated
        self.rules_outdated = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.common.loading"), classes="screen-title overview-title")
        yield Static("", classes="overview-summary")
        with Horizontal(classes="overview-trend"):
            yield Static("", classes="trend-label")
            yield Sparkline([], summary_function=max)
            yield Static("", classes="trend-last")
        yield FitDataTable(cursor_type="row", zebra_stripes=True)
        yield Static("", classes="overview-detail")
        yield Static(t("tui.common.loading"), classes="status-line overview-status")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.reload()
        self.load_rules()

    def data_changed(self, kinds: frozenset[str]) -> None:
        if TENANT in kinds:  # a tenant or a building: the rules' results may differ
            self.rules_outdated = True
        super().data_changed(kinds)

    def refresh_data(self) -> None:
        if self.rules_outdated:
            self.rules_outdated = False
            self.load_rules()
        self.reload()

    def rules_park(self) -> str | None:
        """The park whose rule results are counted (None: every park)."""
        return None

    @work(thread=True, exclusive=True, group="overview-rules")
    def load_rules(self) -> None:
        try:
            counts = results_per_park(self.app.store, park_id=self.rules_park())
        except TemplateError:  # an unusable rules file: no counts rather than wrong ones (the ledger says why)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_rules, counts)

    def show_rules(self, counts: dict[str, int]) -> None:
        self.rule_counts = counts
        self.fill()

    def reload(self) -> None:
        self.query_one(".overview-status", Static).update(t("tui.common.loading"))
        self.load(self.quarter)

    def show_trend(self, figures: Figures, quarters: tuple[Quarter, ...]) -> None:
        self.query_one(".trend-label", Static).update(
            t("tui.overview.trend", first=str(quarters[0]), last=str(quarters[-1])))
        self.query_one(Sparkline).data = [q.output_wan for q in figures.trend]
        self.query_one(".trend-last", Static).update(t("tui.overview.trend_last", output=amount(figures.output_wan)))

    def detail(self, text: str) -> None:
        """The highlighted row's detail in DETAIL_LINES lines; a longer one ends in "…", so nobody
        reads a cut list (a ledger mismatch's items) as the whole of it."""
        widget = self.query_one(".overview-detail", Static)
        widget.update(clamped(text, widget.content_size.width, DETAIL_LINES))

    def action_previous_quarter(self) -> None:
        if self.quarter is not None:
            self.quarter = self.quarter.shift(-1)
            self.reload()

    def action_next_quarter(self) -> None:
        if self.quarter is not None and self.quarter < Quarter.last_complete(self.app.today):
            self.quarter = self.quarter.shift(1)
            self.reload()

    def action_next_sort(self) -> None:
        self.sort = self.SORTS[(self.SORTS.index(self.sort) + 1) % len(self.SORTS)]
        self.fill()

    def action_back(self) -> None:
        self.app.pop_screen()

    # --- the quarterly report (.xlsx or .pdf) of what the screen shows ----------------------------

    def report_target(self) -> tuple[str | None, str | None]:
        """(park id, park code) of the report: None for the county."""
        return None, None

    def action_report(self) -> None:
        if self.quarter is None:  # still loading
            return
        park_id, park_code = self.report_target()
        default = default_export_folder() / default_report_name(self.quarter, park_code)
        dialog = ExportPathScreen(t("tui.report.title"), default, suffixes=SUFFIXES, hint_key="tui.report.hint",
                                  bad_suffix_key="report.bad_suffix")
        quarter = self.quarter
        self.app.push_screen(dialog, lambda path: self.write_report(path, park_id, quarter) if path else None)

    @work(thread=True, group="overview-report")
    def write_report(self, path, park_id: str | None, quarter: Quarter) -> None:
        self.app.call_from_thread(self.notify, t("tui.report.writing"))
        try:
            settings = self.app.settings
            write_quarterly_report(self.app.store, path, park_id=park_id, quarter=quarter, today=self.app.today,
                                   thresholds=settings.risk_flags, calendar=settings.calendar,
                                   agency=settings.agency, font=settings.pdf_font)
        except UserError as exc:
            self.app.call_from_thread(self.notify, t("tui.report.failed", reason=exc.message()), severity="error")
            return
        except OSError as exc:
            self.app.call_from_thread(self.notify, t("tui.report.failed", reason=exc.strerror or str(exc)),
                                      severity="error")
            return
        self.app.call_from_thread(self.notify, t("tui.report.done", file=path), timeout=10)

    def load(self, quarter: Quarter | None) -> None:
        raise NotImplementedError

    def fill(self) -> None:
        raise NotImplementedError


class CountyOverviewScreen(OverviewScreenBase):
    ENTER_OPENS_ROW = "open_park"  # at once, before the keys typed behind Enter (bindings.py, rule 8)
    BINDINGS = [
        Binding("enter", "open_park", "tui.overview.open_park", id="overview.open_park"),
        Binding("s", "next_sort", "tui.overview.sort", id="overview.county_sort", show=False),  # in ^p, F1
        Binding("left_square_bracket", "previous_quarter", "tui.overview.previous_quarter",
                id="overview.county_previous", key_display="["),
        Binding("right_square_bracket", "next_quarter", "tui.overview.next_quarter",
                id="overview.county_next", key_display="]"),
        Binding("r", "report", "tui.report.menu", id="overview.county_report"),
        Binding("escape", "back", "tui.common.back", id="overview.county_back"),
    ]
    SORTS = ("code", "output", "per_mu", "flags")

    def __init__(self, quarter: Quarter | None = None, *, park_id: str | None = None):
        super().__init__(quarter)
        self.park_id = park_id  # the row to put the cursor on
        self.overview: CountyOverview | None = None
        self.rows: list[ParkRow] = []

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("code", "name", "tenants", "output", "bar", "per_mu", "flags", "hazards", "rules",
                    "above_share", "vacant"):
            table.add_column(t("rules.mark") if key == "rules" else t(f"tui.overview.col_{key}"), key=key)
        super().on_mount()

    @work(thread=True, exclusive=True, group="overview")
    def load(self, quarter: Quarter | None) -> None:
        overview = county_overview(self.app.store, quarter=quarter, today=self.app.today,
                                   thresholds=self.app.settings.risk_flags, calendar=self.app.settings.calendar)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, overview)

    def show(self, overview: CountyOverview) -> None:
        self.overview = overview
        self.quarter = overview.quarter
        self.query_one(".overview-title", Static).update(t("tui.overview.county_title", quarter=overview.quarter.label()))
        self.query_one(".overview-summary", Static).update(summary(overview.county, parks=len(overview.parks)))
        self.show_trend(overview.county, overview.quarters)
        self.fill()

    def fill(self) -> None:
        if self.overview is None:
            return
        table = self.query_one(DataTable)
        keep = self.rows[table.cursor_row].id if self.rows and table.cursor_row >= 0 else self.park_id
        sort_keys = {
            "code": lambda p: p.code,
            "output": lambda p: -p.figures.output_wan,
            "per_mu": lambda p: -(p.figures.output_per_mu or 0),
            "flags": lambda p: -p.figures.flags.flagged_tenants,
        }
        self.rows = sorted(self.overview.parks, key=sort_keys[self.sort])
        largest = max((p.figures.output_wan for p in self.rows), default=0)
        table.clear()
        for park in self.rows:
            f = park.figures
            hazards = Text(formatting.count(f.hazards.open))
            if f.hazards.overdue:
                hazards.append(f"/{f.hazards.overdue:,}", style=ALERT)
            table.add_row(
                park.code, formatting.narrow_name(park.name, NAME_WIDTH), formatting.count(f.tenants), amount(f.output_wan),
                bar(f.output_wan, largest), amount(f.output_per_mu), Text(flag_counts(f, short=True), style=ALERT),
                hazards, self._rules_cell(park.id), percent(f.above_output_share), formatting.area(f.vacant_area_m2),
                key=park.id,
            )
        ids = [p.id for p in self.rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        self.query_one(".overview-status", Static).update(
            t("tui.overview.county_status", parks=len(self.rows), sort=t(f"tui.overview.sort_{self.sort}")))

    def _rules_cell(self, park_id: str) -> str:
        count = (self.rule_counts or {}).get(park_id)
        return formatting.count(count) if count else ""

    def _selected(self) -> ParkRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        park = self._selected()
        if park is not None:
            text = t("tui.overview.park_detail", name=park.name, street=park.street, flags=flag_counts(park.figures))
            if park.figures.over_rented_m2:
                text += t("tui.overview.over_rented", excess=formatting.area(park.figures.over_rented_m2))
            self.detail(text)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_park()

    def action_open_park(self) -> None:
        park = self._selected()
        if park is not None:
            self.app.push_screen(ParkOverviewScreen(park.id, self.quarter))

    def palette_commands(self):
        yield SystemCommand(t("tui.report.menu"), t("tui.report.menu_help"), self.action_report)
        yield SystemCommand(t("tui.overview.sort"), t("tui.overview.sort_help"), self.action_next_sort)
        yield SystemCommand(t("tui.overview.previous_quarter"), t("tui.overview.quarter_help"),
                            self.action_previous_quarter)
        yield SystemCommand(t("tui.overview.next_quarter"), t("tui.overview.quarter_help"), self.action_next_quarter)


class ParkOverviewScreen(OverviewScreenBase):
    BINDINGS = [
        Binding("enter", "details", "tui.overview.details", id="overview.details"),
        Binding("s", "next_sort", "tui.overview.sort", id="overview.park_sort", show=False),  # in ^p, F1
        Binding("left_square_bracket", "previous_quarter", "tui.overview.previous_quarter",
                id="overview.park_previous", key_display="["),
        Binding("right_square_bracket", "next_quarter", "tui.overview.next_quarter",
                id="overview.park_next", key_display="]"),
        Binding("r", "report", "tui.report.menu", id="overview.park_report"),
        Binding("t", "stars", "tui.stars.open", id="overview.park_stars"),
        Binding("escape", "back", "tui.common.back", id="overview.park_back"),
    ]
    SORTS = ("flags", "output", "class", "name")

    def __init__(self, park_id: str, quarter: Quarter | None = None):
        super().__init__(quarter)
        self.park_id = park_id
        self.overview: ParkOverview | None = None
        self.rows: list[TenantRow] = []
        self.mujun: dict[str, str] = {}  # per tenant: the computed 亩均 class in one line

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("name", "flags", "class", "output", "change", "scale", "tax", "electricity", "area",
                    "headcount"):
            table.add_column(t(f"tui.overview.col_{key}"), key=key)
        super().on_mount()

    @work(thread=True, exclusive=True, group="overview")
    def load(self, quarter: Quarter | None) -> None:
        overview = park_overview(self.app.store, self.park_id, quarter=quarter, today=self.app.today,
                                 thresholds=self.app.settings.risk_flags, calendar=self.app.settings.calendar)
        mujun = tenant_lines(self.app.store, self.park_id, overview.quarter)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, overview, mujun)

    def show(self, overview: ParkOverview, mujun: dict[str, str] | None = None) -> None:
        self.overview = overview
        self.mujun = mujun or {}
        self.quarter = overview.quarter
        park = overview.park
        self.query_one(".overview-title", Static).update(
            t("tui.overview.park_title", code=park.code, name=park.name, quarter=overview.quarter.label()))
        self.query_one(".overview-summary", Static).update(summary(park.figures))
        self.show_trend(park.figures, overview.quarters)
        self.fill()

    def fill(self) -> None:
        if self.overview is None:
            return
        table = self.query_one(DataTable)
        keep = self.rows[table.cursor_row].id if self.rows and table.cursor_row >= 0 else None
        sort_keys = {
            "flags": lambda r: (-len(r.flags), -(r.output_wan or 0)),
            "output": lambda r: -(r.output_wan or 0),
            "class": lambda r: (r.efficiency_class or "Z", r.name),
            "name": lambda r: r.name,
        }
        self.rows = sorted(self.overview.tenants, key=sort_keys[self.sort])
        table.clear()
        for row in self.rows:
            table.add_row(
                formatting.narrow_name(row.name, NAME_WIDTH), flag_marks(row.flags), row.efficiency_class or "",
                amount(row.output_wan) if row.output_wan is not None else Text(t("tui.overview.no_report"), style="dim"),
                change(row.output_change_pct), label("scale", row.scale), amount(row.tax_wan),
                amount(row.electricity_kwh), formatting.area(row.rented_area_m2), formatting.count(row.headcount),
                key=row.id,
            )
        ids = [r.id for r in self.rows]
        table.move_cursor(row=ids.index(keep) if keep in ids else 0)
        flagged = sum(1 for r in self.rows if r.flags)
        status = t("tui.overview.park_status", tenants=len(self.rows), flagged=flagged,
                   sort=t(f"tui.overview.sort_{self.sort}"))
        if self.rule_counts is not None:
            status = t("tui.rules.overview_count", count=formatting.count(self.rule_counts.get(self.park_id, 0))) + status
        self.query_one(".overview-status", Static).update(status)
        self._highlighted()

    def report_target(self) -> tuple[str | None, str | None]:
        return self.park_id, self.overview.park.code if self.overview else None

    def rules_park(self) -> str | None:
        return self.park_id

    def _selected(self) -> TenantRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted | None = None) -> None:
        row = self._selected()
        if row is None:
            self.detail("")
            return
        words = (t("risk_flags.list_separator").join(flag.explanation() for flag in row.flags) if row.flags
                 else t("tui.overview.no_flags"))
        self.detail(t("tui.overview.tenant_detail", name=row.name, flags=words))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        row = self._selected()
        if row is not None:
            self.app.push_screen(TenantFlagsScreen(row, self.mujun.get(row.id)))

    def action_stars(self) -> None:
        """The park's star-rating self-assessment, its automatic figures the ones shown here."""
        self.app.push_screen(StarScreen(self.park_id))

    def palette_commands(self):
        yield SystemCommand(t("tui.overview.details"), t("tui.overview.details_help"), self.action_details)
        yield SystemCommand(t("tui.report.menu"), t("tui.report.menu_help"), self.action_report)
        yield SystemCommand(t("tui.overview.sort"), t("tui.overview.sort_help"), self.action_next_sort)
        yield SystemCommand(t("tui.overview.previous_quarter"), t("tui.overview.quarter_help"),
                            self.action_previous_quarter)
        yield SystemCommand(t("tui.overview.next_quarter"), t("tui.overview.quarter_help"), self.action_next_quarter)


class TenantFlagsScreen(AppModalScreen[None]):
    """One tenant's figures and every flag in words, in full."""

    DEFAULT_CSS = """
    TenantFlagsScreen { align: center middle; }
    TenantFlagsScreen > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 20;
        border: round $primary; padding: 0 1; background: $surface;
    }
    TenantFlagsScreen .flag-title { text-style: bold; }
    TenantFlagsScreen .flag-label { color: $error; text-style: bold; margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "tui.overview.close", id="overview.close_details"),
        Binding("enter", "close", "tui.overview.close", id="overview.close_details_enter", show=False),
    ]

    def __init__(self, row: TenantRow, mujun: str | None = None):
        super().__init__()
        self.row = row
        self.mujun = mujun  # the computed 亩均 class in one line (services/mujun.py tenant_lines)

    def compose(self) -> ComposeResult:
        row = self.row
        with VerticalScroll():
            yield Static(f"{row.name}  {row.credit_code}", classes="flag-title")
            yield Static(t("tui.overview.detail_figures", cls=row.efficiency_class or "—",
                           scale=label("scale", row.scale),
                           output=amount(row.output_wan) if row.output_wan is not None else t("tui.overview.no_report"),
                           change=f"{row.output_change_pct:+.1f}%" if row.output_change_pct is not None else "—",
                           electricity=amount(row.electricity_kwh) or "—", tax=amount(row.tax_wan) or "—"))
            if self.mujun:
                yield Static(self.mujun, classes="mujun-line")
            if not row.flags:
                yield Static(t("tui.overview.no_flags"), classes="flag-label")
            for flag in row.flags:
                yield Static(flag.label(), classes="flag-label")
                yield Static(flag.explanation())

    def action_close(self) -> None:
        self.dismiss(None)
