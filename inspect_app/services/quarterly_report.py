"""The quarterly report (季度运行情况报告) of the county or of one park, as .xlsx or PDF.

`county_report` / `park_report` turn the overview (services/park_overview.py: the figures are
computed there, once) into the plain `QuarterlyReport` the exports lay out
(exports/quarterly_report_data.py); `write_report` writes it by the file's suffix, whole or not at
all; `write_quarterly_report` does both for the CLI and the TUI.

The county report lists every flagged tenant in words. The county overview counts flags per park
but carries no tenants, so their flags are read once more with `risk_flags.load_flags` (the same
rules, quarter, day and thresholds as the counts) together with the tenants' names and parks.

The report speaks the language it is asked for (default: the UI's). Its title names the county:
`region` in `[agency]` of config.toml (e.g. region = "平湖市"), else the district all parks share.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from db.errors import UserError
from db.overview_queries import park_districts, tenant_names
from db.store import Store
from exports.quarterly_report_data import (
    COUNTY,
    PARK,
    FigureSet,
    FlaggedLine,
    ParkLine,
    QuarterlyReport,
    TenantLine,
    TrendLine,
    r,
)
from exports.quarterly_report_xlsx import write_report_xlsx
from forms import china_time
from forms.i18n import current_language, t
from forms.risk_flag_thresholds import RiskFlagThresholds
from forms.working_days import WorkCalendar
from inspect_app.services.park_overview import (
    FLAG_KINDS,
    Figures,
    ParkRow,
    Quarter,
    TenantRow,
    county_overview,
    park_id_for_code,
    park_overview,
)
from inspect_app.services.risk_flags import Flag, format_figure, load_flags

SUFFIXES = (".xlsx", ".pdf")


def _lang(lang: str | None) -> str:
    return lang or current_language()


def check_target(path: Path) -> Path:
    """The path when its suffix is one the report is written as; UserError otherwise (before any work)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise UserError("report.bad_suffix", suffix=path.suffix or "(none)")
    return path


def check_quarter(quarter: Quarter | None, today: date) -> None:
    """A report is for a quarter that is over (the one under way has no complete figures)."""
    if quarter is not None and quarter > Quarter.last_complete(today):
        raise UserError("report.future_quarter", quarter=str(quarter))


# --- from the overview to plain data ---------------------------------------------------------------


def figure_set(figures: Figures, lang: str) -> FigureSet:
    h = figures.hazards
    return FigureSet(
        tenants=figures.tenants, rented_area_m2=figures.rented_area_m2, vacant_area_m2=figures.vacant_area_m2,
        over_rented_m2=figures.over_rented_m2, headcount=figures.headcount, above_tenants=figures.above_tenants,
        above_tenant_share=figures.above_tenant_share, output_wan=figures.output_wan,
        above_output_wan=figures.above_output_wan, above_output_share=figures.above_output_share,
        electricity_kwh=figures.electricity_kwh, tax_wan=figures.tax_wan, reports=figures.reports,
        land_area_mu=figures.land_area_mu, output_per_mu=figures.output_per_mu, tax_per_mu=figures.tax_per_mu,
        annual_output_per_mu=figures.annual_output_per_mu, annual_tax_per_mu=figures.annual_tax_per_mu,
        hazards_open_general=h.open_general, hazards_open_major=h.open_major,
        hazards_overdue_general=h.overdue_general, hazards_overdue_major=h.overdue_major,
        flag_counts=tuple((kind, t(f"risk_flags.label.{kind}", lang=lang), figures.flags.get(kind))
                          for kind in FLAG_KINDS),
        flagged_tenants=figures.flags.flagged_tenants)


def _trend(figures: Figures, lang: str) -> tuple[TrendLine, ...]:
    return tuple(TrendLine(q.quarter.label(lang), q.output_wan, q.above_output_wan, q.electricity_kwh, q.tax_wan,
                           q.reports) for q in figures.trend)


def _park_line(park: ParkRow, lang: str) -> ParkLine:
    return ParkLine(park.code, park.name, park.street or "", figure_set(park.figures, lang))


def _tenant_line(row: TenantRow, lang: str) -> TenantLine:
    return TenantLine(
        name=row.name, credit_code=row.credit_code, rented_area_m2=row.rented_area_m2, headcount=row.headcount,
        scale=t(f"choices.scale.{row.scale}", lang=lang) if row.scale else "", efficiency_class=row.efficiency_class,
        output_wan=row.output_wan, output_change_pct=row.output_change_pct, electricity_kwh=row.electricity_kwh,
        tax_wan=row.tax_wan, flags=tuple(flag.label(lang) for flag in row.flags))


def _flag_lines(park: ParkRow, tenant: str, credit_code: str, flags: tuple[Flag, ...],
                lang: str) -> list[FlaggedLine]:
    order = sorted(flags, key=lambda flag: FLAG_KINDS.index(flag.kind))
    return [FlaggedLine(park.code, park.name, tenant, credit_code, flag.label(lang), flag.explanation(lang))
            for flag in order]


def _thresholds_text(thresholds: RiskFlagThresholds, lang: str) -> str:
    return r("thresholds", lang, decline=format_figure(thresholds.decline_pct), quarters=thresholds.zombie_quarters,
             output=format_figure(thresholds.zombie_output_wan, 2), power=format_figure(thresholds.zombie_power_pct))


def region_name(store: Store, agency: Mapping[str, Any]) -> str:
    """The county in the title: `region` of the office's [agency] table (Settings.agency), else the
    district every park shares."""
    configured = str(agency.get("region") or "").strip()
    if configured:
        return configured
    with store.read_connection() as conn:
        districts = park_districts(conn)
    return districts.pop() if len(districts) == 1 else ""


def _county_flags(store: Store, quarter: Quarter, today: date, thresholds: RiskFlagThresholds,
                  parks: dict[str, ParkRow], lang: str) -> tuple[FlaggedLine, ...]:
    with store.read_connection() as conn:
        flags = load_flags(conn, quarter=quarter, today=today, thresholds=thresholds)
        tenants = tenant_names(conn, list(flags))
    lines: list[FlaggedLine] = []
    for tenant_id, park_id, name, credit_code in sorted(
            tenants, key=lambda row: (parks[row[1]].code if row[1] in parks else "", row[2], row[3])):
        if park_id in parks:
            lines += _flag_lines(parks[park_id], name, credit_code, flags[tenant_id], lang)
    return tuple(lines)


def county_report(store: Store, *, quarter: Quarter | None = None, today: date | None = None,
                  lang: str | None = None, thresholds: RiskFlagThresholds | None = None,
                  calendar: WorkCalendar | None = None, agency: Mapping[str, Any] | None = None) -> QuarterlyReport:
    """The county's report. `thresholds`, `calendar`, `agency`: the office's (Settings); None is
    the built-in thresholds, Monday to Friday and no [agency] table."""
    lang, today = _lang(lang), today or china_time.today()
    thresholds = thresholds or RiskFlagThresholds()
    check_quarter(quarter, today)
    overview = county_overview(store, quarter=quarter, today=today, thresholds=thresholds, calendar=calendar)
    quarter_label = overview.quarter.label(lang)
    region = region_name(store, agency or {})
    title = (r("title_county_region", lang, region=region, quarter=quarter_label) if region
             else r("title_county", lang, quarter=quarter_label))
    parks = {park.id: park for park in overview.parks}
    return QuarterlyReport(
        kind=COUNTY, lang=lang, title=title, quarter=str(overview.quarter), quarter_label=quarter_label,
        generated_on=today, figures=figure_set(overview.county, lang), trend=_trend(overview.county, lang),
        flagged=_county_flags(store, overview.quarter, today, thresholds, parks, lang),
        parks=tuple(_park_line(park, lang) for park in overview.parks),
        thresholds=_thresholds_text(thresholds, lang))


def park_report(store: Store, park_id: str, *, quarter: Quarter | None = None, today: date | None = None,
                lang: str | None = None, thresholds: RiskFlagThresholds | None = None,
                calendar: WorkCalendar | None = None) -> QuarterlyReport:
    """One park's report; `thresholds`, `calendar` as county_report."""
    lang, today = _lang(lang), today or china_time.today()
    thresholds = thresholds or RiskFlagThresholds()
    check_quarter(quarter, today)
    overview = park_overview(store, park_id, quarter=quarter, today=today, thresholds=thresholds, calendar=calendar)
    park = overview.park
    quarter_label = overview.quarter.label(lang)
    flagged = [line for row in overview.tenants if row.flags
               for line in _flag_lines(park, row.name, row.credit_code, row.flags, lang)]
    return QuarterlyReport(
        kind=PARK, lang=lang, title=r("title_park", lang, name=park.name, quarter=quarter_label),
        quarter=str(overview.quarter), quarter_label=quarter_label, generated_on=today,
        figures=figure_set(park.figures, lang), trend=_trend(park.figures, lang), flagged=tuple(flagged),
        tenants=tuple(_tenant_line(row, lang) for row in overview.tenants), park=_park_line(park, lang),
        thresholds=_thresholds_text(thresholds, lang))


# --- files ----------------------------------------------------------------------------------------------


def write_report(report: QuarterlyReport, path: Path, font: tuple[Path | None, int | str | None] = (None, None)) -> None:
    """Write the report as .xlsx or .pdf by the suffix; the file appears whole or not at all.
    `font`: the office's PDF font (Settings.pdf_font); (None, None) is the bundled one."""
    path = check_target(path)
    if path.suffix.lower() == ".xlsx":
        write_report_xlsx(report, path)
    else:
        # reportlab: only for a PDF report.
        from exports.fonts import pdf_font
        from exports.quarterly_report_pdf import write_report_pdf

        write_report_pdf(report, path, pdf_font(*font))


def write_quarterly_report(store: Store, path: Path, *, park_code: str | None = None, park_id: str | None = None,
                           quarter: Quarter | None = None, today: date | None = None,
                           lang: str | None = None, thresholds: RiskFlagThresholds | None = None,
                           calendar: WorkCalendar | None = None, agency: Mapping[str, Any] | None = None,
                           font: tuple[Path | None, int | str | None] = (None, None)) -> QuarterlyReport:
    """The county's report (no park given) or a park's, written to `path`. UserError for a bad
    suffix, an unknown park or a quarter not over yet; then nothing is written. `thresholds`,
    `calendar`, `agency`, `font`: the office's settings (county_report, write_report)."""
    path = check_target(path)
    if park_code is not None:
        park_id = park_id_for_code(store, park_code)
        if park_id is None:
            raise UserError("cli.park_missing", code=park_code)
    if park_id is None:
        report = county_report(store, quarter=quarter, today=today, lang=lang, thresholds=thresholds,
                               calendar=calendar, agency=agency)
    else:
        report = park_report(store, park_id, quarter=quarter, today=today, lang=lang, thresholds=thresholds,
                             calendar=calendar)
    write_report(report, path, font)
    return report


def default_report_name(quarter: Quarter, park_code: str | None = None, suffix: str = ".pdf") -> str:
    """季度报告-2026Q3.pdf for the county, 季度报告-2026Q3-PH-001.pdf for a park."""
    parts = [t("tui.report.file_stem"), str(quarter), *([park_code] if park_code else [])]
    return "-".join(parts) + suffix
