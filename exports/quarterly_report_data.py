"""What a quarterly report (季度运行情况报告) holds, as plain data, and how its parts are labelled.

`inspect_app/services/quarterly_report.py` fills a `QuarterlyReport` from the park or county
overview; `exports/quarterly_report_xlsx.py` and `exports/quarterly_report_pdf.py` lay the same
report out as a workbook and as a PDF. Both take their labels from here (`summary_rows`,
`park_columns`, `tenant_columns`, ...) so that the two files say the same thing in the same words,
in the report's language (`report.*` keys in forms/locales/<lang>/report.toml).

Figures arrive already computed; nothing here reads a database or recomputes a figure. Text that
needs the application to say it (a flag's explanation, a quarter's name, a scale's label) arrives
as text in the report's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from forms.i18n import t

COUNTY, PARK = "county", "park"


@dataclass(frozen=True)
class FigureSet:
    """A park's or the county's figures for the quarter (see services/park_overview.py)."""

    tenants: int
    rented_area_m2: float
    vacant_area_m2: float
    over_rented_m2: float
    headcount: int
    above_tenants: int
    above_tenant_share: float | None  # 0..1
    output_wan: float
    above_output_wan: float
    above_output_share: float | None  # 0..1
    electricity_kwh: float
    tax_wan: float
    reports: int
    land_area_mu: float
    output_per_mu: float | None
    tax_per_mu: float | None
    annual_output_per_mu: float | None
    annual_tax_per_mu: float | None
    hazards_open_general: int
    hazards_open_major: int
    hazards_overdue_general: int
    hazards_overdue_major: int
    flag_counts: tuple[tuple[str, str, int], ...]  # (kind, label, tenants with it), every kind
    flagged_tenants: int

    @property
    def hazards_open(self) -> int:
        return self.hazards_open_general + self.hazards_open_major

    @property
    def hazards_overdue(self) -> int:
        return self.hazards_overdue_general + self.hazards_overdue_major


@dataclass(frozen=True)
class ParkLine:
    code: str
    name: str
    street: str
    figures: FigureSet


@dataclass(frozen=True)
class TenantLine:
    name: str
    credit_code: str
    rented_area_m2: float
    headcount: int
    scale: str  # the label, 规上 / Above size
    efficiency_class: str | None  # A/B/C/D
    output_wan: float | None  # None: no report for the quarter
    output_change_pct: float | None
    electricity_kwh: float | None
    tax_wan: float | None
    flags: tuple[str, ...] = ()  # labels


@dataclass(frozen=True)
class TrendLine:
    quarter: str  # its name, 2026年第三季度 / 2026 Q3
    output_wan: float
    above_output_wan: float
    electricity_kwh: float
    tax_wan: float
    reports: int


@dataclass(frozen=True)
class FlaggedLine:
    """One flag of one tenant, in words."""

    park_code: str
    park_name: str
    tenant: str
    credit_code: str
    flag: str  # label
    explanation: str


@dataclass(frozen=True)
class QuarterlyReport:
    kind: str  # COUNTY or PARK
    lang: str
    title: str
    quarter: str  # 2026Q3
    quarter_label: str  # 2026年第三季度
    generated_on: date
    figures: FigureSet
    trend: tuple[TrendLine, ...]  # oldest first, ending with the quarter
    flagged: tuple[FlaggedLine, ...]
    parks: tuple[ParkLine, ...] = ()  # the county report
    tenants: tuple[TenantLine, ...] = ()  # the park report
    park: ParkLine | None = None  # the park report
    thresholds: str = ""  # the flag rules' thresholds in words
    notes: tuple[str, ...] = field(default=())

    @property
    def is_county(self) -> bool:
        return self.kind == COUNTY


def r(key: str, lang: str, **values: object) -> str:
    """A report label in the report's language."""
    return t(f"report.{key}", lang=lang, **values)


# --- the summary: (label, value, unit) ------------------------------------------------------------

AMOUNT, COUNT, SHARE, AREA, KWH = "amount", "count", "share", "area", "kwh"


@dataclass(frozen=True)
class SummaryRow:
    label: str
    value: float | int | None
    unit: str
    kind: str  # AMOUNT, COUNT, SHARE, AREA or KWH: how the value is written
    section: bool = False  # a heading row without a value


def summary_rows(report: QuarterlyReport) -> list[SummaryRow]:
    f, lang = report.figures, report.lang

    def row(key: str, value, unit_key: str | None, kind: str) -> SummaryRow:
        return SummaryRow(r(f"figure.{key}", lang), value, r(f"unit.{unit_key}", lang) if unit_key else "", kind)

    def heading(key: str) -> SummaryRow:
        return SummaryRow(r(f"section.{key}", lang), None, "", COUNT, section=True)

    rows = [heading("size")]
    if report.is_county:
        rows.append(row("parks", len(report.parks), "parks", COUNT))
    rows += [
        row("land_area", f.land_area_mu, "mu", AREA),
        row("tenants", f.tenants, "tenants", COUNT),
        row("rented_area", f.rented_area_m2, "m2", AREA),
        row("vacant_area", f.vacant_area_m2, "m2", AREA),
    ]
    if f.over_rented_m2:
        rows.append(row("over_rented", f.over_rented_m2, "m2", AREA))
    rows += [
        row("headcount", f.headcount, "people", COUNT),
        row("above_tenants", f.above_tenants, "tenants", COUNT),
        row("above_tenant_share", f.above_tenant_share, None, SHARE),
        heading("economy"),
        row("reports", f.reports, "tenants", COUNT),
        row("output", f.output_wan, "wan", AMOUNT),
        row("above_output_share", f.above_output_share, None, SHARE),
        row("electricity", f.electricity_kwh, "kwh", KWH),
        row("tax", f.tax_wan, "wan", AMOUNT),
        row("output_per_mu", f.output_per_mu, "wan_per_mu", AMOUNT),
        row("tax_per_mu", f.tax_per_mu, "wan_per_mu", AMOUNT),
        row("annual_output_per_mu", f.annual_output_per_mu, "wan_per_mu", AMOUNT),
        row("annual_tax_per_mu", f.annual_tax_per_mu, "wan_per_mu", AMOUNT),
        heading("hazards"),
        row("hazards_open_general", f.hazards_open_general, "items", COUNT),
        row("hazards_open_major", f.hazards_open_major, "items", COUNT),
        row("hazards_overdue_general", f.hazards_overdue_general, "items", COUNT),
        row("hazards_overdue_major", f.hazards_overdue_major, "items", COUNT),
        heading("flags"),
        row("flagged_tenants", f.flagged_tenants, "tenants", COUNT),
    ]
    rows += [SummaryRow(label, count, r("unit.tenants", lang), COUNT) for _kind, label, count in f.flag_counts]
    return rows


# --- tables: header, value of a row, how it is written ---------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Callable[[object], object]
    kind: str = "text"  # text, AMOUNT, COUNT, SHARE, AREA, KWH, "pct" (a signed change in percent)
    width: float = 1.0  # relative width in the PDF


def _columns(lang: str, prefix: str, spec: Sequence[tuple]) -> list[Column]:
    return [Column(key, r(f"{prefix}.{key}", lang), value, kind, width) for key, value, kind, width in spec]


def park_columns(lang: str) -> list[Column]:
    return _columns(lang, "park_col", [
        ("code", lambda p: p.code, "text", 1.1),
        ("name", lambda p: p.name, "text", 3.0),
        ("street", lambda p: p.street, "text", 1.0),
        ("tenants", lambda p: p.figures.tenants, COUNT, 0.8),
        ("rented_area", lambda p: p.figures.rented_area_m2, AREA, 1.1),
        ("vacant_area", lambda p: p.figures.vacant_area_m2, AREA, 1.0),
        ("headcount", lambda p: p.figures.headcount, COUNT, 0.9),
        ("output", lambda p: p.figures.output_wan, AMOUNT, 1.1),
        ("above_output_share", lambda p: p.figures.above_output_share, SHARE, 1.0),
        ("tax", lambda p: p.figures.tax_wan, AMOUNT, 1.0),
        ("output_per_mu", lambda p: p.figures.output_per_mu, AMOUNT, 1.0),
        ("tax_per_mu", lambda p: p.figures.tax_per_mu, AMOUNT, 0.9),
        ("hazards_open", lambda p: p.figures.hazards_open, COUNT, 0.8),
        ("hazards_overdue", lambda p: p.figures.hazards_overdue, COUNT, 0.8),
        ("flagged", lambda p: p.figures.flagged_tenants, COUNT, 0.8),
    ])


def tenant_columns(lang: str) -> list[Column]:
    separator = r("flag_separator", lang)
    return _columns(lang, "tenant_col", [
        ("name", lambda x: x.name, "text", 2.6),
        ("credit_code", lambda x: x.credit_code, "text", 1.9),
        ("rented_area", lambda x: x.rented_area_m2, AREA, 0.9),
        ("headcount", lambda x: x.headcount, COUNT, 0.7),
        ("scale", lambda x: x.scale, "text", 0.8),
        ("efficiency_class", lambda x: x.efficiency_class, "text", 0.6),
        ("output", lambda x: x.output_wan, AMOUNT, 0.9),
        ("output_change", lambda x: x.output_change_pct, "pct", 0.8),
        ("electricity", lambda x: x.electricity_kwh, KWH, 1.0),
        ("tax", lambda x: x.tax_wan, AMOUNT, 0.8),
        ("flags", lambda x: separator.join(x.flags), "text", 1.4),
    ])


def trend_columns(lang: str) -> list[Column]:
    return _columns(lang, "trend_col", [
        ("quarter", lambda q: q.quarter, "text", 1.5),
        ("output", lambda q: q.output_wan, AMOUNT, 1.0),
        ("above_output", lambda q: q.above_output_wan, AMOUNT, 1.0),
        ("electricity", lambda q: q.electricity_kwh, KWH, 1.2),
        ("tax", lambda q: q.tax_wan, AMOUNT, 1.0),
        ("reports", lambda q: q.reports, COUNT, 0.8),
    ])


def flagged_columns(report: QuarterlyReport) -> list[Column]:
    """The 预警 table's columns; the park's code and name only in the county's."""
    spec = [
        ("park_code", lambda x: x.park_code, "text", 1.0),
        ("park_name", lambda x: x.park_name, "text", 2.3),
        ("tenant", lambda x: x.tenant, "text", 2.3),
        ("credit_code", lambda x: x.credit_code, "text", 1.8),
        ("flag", lambda x: x.flag, "text", 1.1),
        ("explanation", lambda x: x.explanation, "text", 4.6),
    ]
    if not report.is_county:  # one park: it is in the title
        spec = spec[2:]
    return _columns(report.lang, "flag_col", spec)


def sheet_names(report: QuarterlyReport) -> tuple[str, str, str, str]:
    """概况, 园区 (or 企业), 趋势, 预警."""
    lang = report.lang
    return (r("sheet.summary", lang), r("sheet.parks" if report.is_county else "sheet.tenants", lang),
            r("sheet.trend", lang), r("sheet.flags", lang))


# --- how a value is written ------------------------------------------------------------------------


def format_value(value: object, kind: str) -> str:
    """A figure as text: amounts whole from 100 up and with one decimal below, shares in percent."""
    if value is None:
        return "—"
    if kind == SHARE:
        return f"{value * 100:.1f}%"
    if kind == "pct":
        return f"{value:+.1f}%"
    if kind == COUNT:
        return f"{int(value):,}"
    if kind == KWH:
        return f"{value:,.0f}"
    if kind in (AMOUNT, AREA):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if value else "0"
    return str(value)


# Excel number formats for the same kinds.
NUMBER_FORMATS = {AMOUNT: "#,##0.0", AREA: "#,##0", KWH: "#,##0", COUNT: "#,##0", SHARE: "0.0%", "pct": '+0.0"%";-0.0"%"'}
