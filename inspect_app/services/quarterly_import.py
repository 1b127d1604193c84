"""Quarterly operating data from a park's own .xlsx or .csv (季度经营数据导入).

The file's layout is found as for the ledger (`ledger_import.read_rows`, its cell and subtotal
helpers): a header row under any title rows, headers in either language or a known variant, units
in headers ("用电量(万kWh)") or cells ("35万元"). Tenants are matched in their park by 统一社会信用代码,
then by exact name. The quarter comes from the row (年度 + 季度, or one cell such as "2026Q3" /
"2026年第三季度") or from the caller (`--year/--quarter`). Each row is checked by
`QuarterlyInput` (the grid's rules); implausible figures are reported as warnings and imported.
All or nothing unless `skip_invalid`; nothing for a dry run; re-import updates, never duplicates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlmodel import select

from db import queries
from db.errors import UserError
from db.models import Park, QuarterlyReport, Tenant
from db.store import Store
from exports.tabular import csv_text
from forms import credit_code as cc
from forms import fields
from forms.errors import PYDANTIC_KINDS, message
from forms.i18n import available_languages, t
from forms.quarterly import (
    NUMBER_FIELDS,
    QUARTERLY_FIELDS,
    TYPED_NUMBER,
    UNITS,
    Quarter,
    QuarterlyInput,
    parse_period,
    parse_year,
    previous_quarter,
    quarter_warnings,
)
from inspect_app.services.ledger_export import column_for_header, normalise_header
from inspect_app.services.ledger_import import ImportReport, Problem, resolve_park, write_rejects
from inspect_app.services.quarterly import check_quarter, report_as_input, write_report
from inspect_app.services.spreadsheet_rows import (
    HEADER_SEARCH_ROWS,
    cell_text,
    cell_value,
    is_subtotal,
    read_rows,
)

MIN_HEADER_MATCHES = 3
# Header variants parks use, by field; compared after `normalise_header`. Our own headers (both
# languages) are added from the catalogue, so an exported file always reads back.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "year": ("年度", "年份", "年", "统计年度", "year"),
    "quarter": ("季度", "季", "统计季度", "quarter"),
    "period": ("报告期", "所属期", "期间", "统计期", "所属季度", "年季度", "period"),
    "output_value_wan": ("产值", "总产值", "工业产值", "工业总产值", "产值万元", "季度产值"),
    "electricity_kwh": ("用电量", "用电", "电量", "用电度数", "季度用电量"),
    "water_t": ("用水量", "用水", "水量", "季度用水量"),
    "tax_wan": ("税收", "纳税", "纳税额", "税收总额", "实缴税金", "入库税收", "税金"),
    "difficulties": ("存在困难", "困难", "主要困难", "存在的困难", "困难和问题", "问题与困难", "困难问题",
                     "存在问题"),
}
HEADER_UNIT = re.compile(r"\(([^()]*)\)$")


@dataclass(frozen=True)
class _Column:
    index: int
    name: str  # a QUARTERLY_FIELDS name, year, quarter, period, name, credit_code, park_code, park_name
    header: str
    unit: str = ""  # from the header, e.g. 万kWh: applies to cells that carry none


@cache
def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in (*QUARTERLY_FIELDS, "year", "quarter"):
        for lang in available_languages():
            index.setdefault(normalise_header(t(f"fields.quarterly.{name}", lang=lang)), name)
    for name, variants in HEADER_SYNONYMS.items():
        for variant in variants:
            index.setdefault(normalise_header(variant), name)
    return index


def column_name(header: str) -> str | None:
    """The field a header names: a quarterly figure, the quarter, or who the tenant is."""
    found = _header_index().get(normalise_header(header))
    if found:
        return found
    ledger = column_for_header(header)
    if ledger is None:
        return None
    if ledger.source == "park":
        return "park_code" if ledger.field == "code" else "park_name"  # the name is read, not used
    return ledger.field if ledger.field in ("name", "credit_code") else None


def _header_unit(header: str, name: str) -> str:
    match = HEADER_UNIT.search(unicodedata.normalize("NFKC", header).replace(" ", ""))
    if not match or name not in UNITS:
        return ""
    unit = match.group(1).lower()
    return unit if any(unit == suffix for suffix, _factor in UNITS[name]) else ""


def find_header(rows: list[list[object]]) -> int | None:
    """Index of the first row naming at least three known columns, one of them a figure."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [column_name(cell_text(cell)) for cell in row if cell_text(cell)]
        known = [n for n in names if n]
        if len(known) >= MIN_HEADER_MATCHES and any(n in NUMBER_FIELDS for n in known):
            return index
    return None


def map_columns(header: list[object]) -> tuple[list[_Column], list[str]]:
    columns: list[_Column] = []
    unmapped: list[str] = []
    taken: set[str] = set()
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        name = column_name(text)
        if name is None or name in taken:
            unmapped.append(text)
            continue
        taken.add(name)
        columns.append(_Column(index, name, text, _header_unit(text, name)))
    return columns, unmapped


def _with_unit(value: object, unit: str) -> object:
    """A bare number under a header with a unit gets that unit; a cell with its own unit keeps it."""
    if not unit or value is None:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{Decimal(str(value)):f}{unit}"
    text = fields.clean_text(value).replace(" ", "")
    return f"{text}{unit}" if TYPED_NUMBER.fullmatch(text) else value


@dataclass
class _Accepted:
    row: int
    tenant: Tenant
    quarter: Quarter
    data: QuarterlyInput


class _ParkData:
    """A park's live tenants by credit code and by exact name, and their stored quarterly rows."""

    def __init__(self, session, park: Park):
        tenants = list(session.exec(select(Tenant).where(Tenant.park_id == park.id, Tenant.deleted == False)))  # noqa: E712
        self.by_code = {tenant.credit_code: tenant for tenant in tenants}
        self.by_name: dict[str, list[Tenant]] = {}
        for tenant in tenants:
            self.by_name.setdefault(tenant.name, []).append(tenant)
        # One query per park instead of several per row: a 10,000-row file stays quick.
        self.stored: dict[tuple[str, Quarter], QuarterlyInput] = {}
        statement = (select(QuarterlyReport).join(Tenant, Tenant.id == QuarterlyReport.tenant_id)
                     .where(Tenant.park_id == park.id, QuarterlyReport.deleted == False))  # noqa: E712
        for stored in session.exec(statement):
            self.stored[(stored.tenant_id, (stored.year, stored.quarter))] = report_as_input(stored)


def import_quarterly(store: Store, path: Path | str, *, park_code: str | None = None,
                     quarter: Quarter | None = None, year: int | None = None,
                     skip_invalid: bool = False, dry_run: bool = False) -> ImportReport:
    """Read, check and (unless refused or a dry run) write a quarterly data file; see the module doc.

    `quarter` (year, q) is used for rows whose file gives none; `year` alone completes a file whose
    季度 column holds only the quarter.
    """
    path = Path(path)
    rows = read_rows(path)
    header_index = find_header(rows)
    if header_index is None:
        raise UserError("quarterly.import.no_header", file=path)
    report = ImportReport(file=path, header_row=header_index + 1)
    columns, report.unmapped = map_columns(rows[header_index])
    report.mapping = {c.header: c.name for c in columns}
    by_name = {c.name: c for c in columns}
    if "name" not in by_name and "credit_code" not in by_name:
        raise UserError("quarterly.import.no_tenant_column", file=path)
    default_year = quarter[0] if quarter else year
    if default_year is not None:
        check_quarter(quarter or (default_year, 1))

    def header_of(name: str) -> str:
        column = by_name.get(name)
        return column.header if column else t(f"fields.quarterly.{name}")

    # The park: --park for every row; otherwise the file's park-code column; otherwise the only park.
    use_row_park = park_code is None and "park_code" in by_name
    fixed_park = None if use_row_park else resolve_park(store, park_code)
    park_data: dict[str, _ParkData] = {}
    stored: dict[tuple[str, Quarter], QuarterlyInput] = {}  # every loaded park's rows
    accepted: list[_Accepted] = []
    seen: dict[tuple[str, Quarter], int] = {}

    with store.read() as session:

        def data_of(park: Park) -> _ParkData:
            if park.id not in park_data:
                park_data[park.id] = _ParkData(session, park)
                stored.update(park_data[park.id].stored)
            return park_data[park.id]

        parks_by_code: dict[str, Park | None] = {}
        for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
            if not any(cell_text(cell) for cell in row) or is_subtotal(row):
                continue
            report.data_rows += 1
            cells = {c.name: cell_value(row[c.index]) if c.index < len(row) else None for c in columns}
            row_problems: list[Problem] = []

            def refuse(name: str, kind: str, reason: str, value: object = None, *, _cells=cells,
                       _problems=row_problems, _row=offset) -> None:
                shown = cell_text(_cells.get(name) if value is None else value)
                _problems.append(Problem(_row, header_of(name), shown, kind, reason))

            park = fixed_park
            if use_row_park:
                code = cell_text(cells.get("park_code"))
                if code not in parks_by_code:
                    parks_by_code[code] = queries.find_park(session, code) if code else None
                park = parks_by_code[code]
                if park is None:
                    refuse("park_code", "park_unknown", t("quarterly.import.park_unknown", code=code or "—"))
            tenant = _match_tenant(data_of(park), cells, refuse) if park is not None else None
            row_quarter = _row_quarter(cells, default_year, quarter, refuse)
            values = {name: _with_unit(cells[name], by_name[name].unit) for name in QUARTERLY_FIELDS if name in cells}
            if tenant is not None and row_quarter is not None and len(values) < len(QUARTERLY_FIELDS):
                # Columns the sheet does not have keep their stored values.
                kept = stored.get((tenant.id, row_quarter))
                if kept is not None:
                    values = {**kept.model_dump(), **values}
            try:
                data = QuarterlyInput.model_validate(values)
            except ValidationError as exc:
                data = None
                for err in exc.errors():
                    name = str(err["loc"][0]) if err["loc"] else ""
                    refuse(name, PYDANTIC_KINDS.get(err["type"], err["type"]), message(err["type"], err.get("ctx")))
            if tenant is not None and row_quarter is not None:
                key = (tenant.id, row_quarter)
                if key in seen:
                    refuse("name" if "name" in cells else "credit_code", "duplicate_in_file",
                           t("quarterly.import.duplicate_in_file", row=seen[key]))
                else:
                    seen[key] = offset
            if row_problems:
                report.problems.extend(row_problems)
                continue
            accepted.append(_Accepted(offset, tenant, row_quarter, data))

    _add_warnings(report, accepted, stored, header_of)
    for item in accepted:
        existing = stored.get((item.tenant.id, item.quarter))
        if existing is None:
            outcome = "unchanged" if item.data.is_blank() else "created"
        else:
            outcome = "unchanged" if existing.model_dump() == item.data.model_dump() else "updated"
        setattr(report, outcome, getattr(report, outcome) + 1)
    report.valid_rows = len(accepted)
    if dry_run or (report.problems and not skip_invalid):
        return report
    with store.transaction() as session:
        for item in accepted:
            write_report(session, item.tenant.id, item.quarter, item.data)
    report.written = True
    if report.problems:
        report.rejects_file = write_rejects(path, report.problems)
    return report


def _match_tenant(tenants: _ParkData, cells: dict[str, object], refuse) -> Tenant | None:
    """By credit code, then by exact name; a refusal names what was looked for."""
    code = cc.normalise(cell_text(cells.get("credit_code")))
    if code and code in tenants.by_code:
        return tenants.by_code[code]
    name = fields.plain_text(cells.get("name"))
    found = tenants.by_name.get(name, []) if name else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        refuse("name", "ambiguous_name", t("quarterly.import.ambiguous_name", count=len(found)))
    elif not code and not name:
        refuse("name", "required", message("required"))
    else:
        refuse("credit_code" if code and "credit_code" in cells else "name", "unknown_tenant",
               t("quarterly.import.unknown_tenant"))
    return None


def _row_quarter(cells: dict[str, object], default_year: int | None, default: Quarter | None,
                 refuse) -> Quarter | None:
    """The row's (year, quarter) from its own cells, completed by the caller's choice."""
    year, quarter, current = None, None, ""
    try:
        for current in ("period", "quarter"):
            if cell_text(cells.get(current)):
                found_year, quarter = parse_period(cells[current])
                year = found_year or year
                break
        current = "year"
        if year is None and cell_text(cells.get(current)):
            year = parse_year(cells[current])
    except PydanticCustomError as exc:
        refuse(current, exc.type, message(exc.type, exc.context))
        return None
    if quarter is None and default is not None:
        return default
    year = year if year is not None else default_year
    if quarter is None or year is None:
        refuse("quarter", "quarter_missing", t("quarterly.import.quarter_missing"), value="")
        return None
    return year, quarter


def _add_warnings(report: ImportReport, accepted: list[_Accepted],
                  stored: dict[tuple[str, Quarter], QuarterlyInput], header_of) -> None:
    """Implausible figures, judged against the previous quarter from the file or else the database."""
    in_file = {(item.tenant.id, item.quarter): item.data for item in accepted}
    for item in accepted:
        before = previous_quarter(item.quarter)
        previous = in_file.get((item.tenant.id, before)) or stored.get((item.tenant.id, before))
        for warning in quarter_warnings(item.data, rented_area_m2=item.tenant.rented_area_m2,
                                        headcount=item.tenant.headcount, previous=previous):
            value = getattr(item.data, warning.field)
            report.warnings.append(Problem(item.row, header_of(warning.field), csv_text(value), warning.kind,
                                           warning.message()))
