"""Quarterly operating data as a spreadsheet: one row per tenant and quarter (季度经营数据导出).

Park code and name, tenant name and credit code, 年度, 季度, the four figures and 存在困难. The
headers are the ones `quarterly_import` reads (the figures' units in brackets), the values are
typed (numbers stay numbers), so an exported file imports again unchanged.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import tuple_
from sqlmodel import select

from db import queries
from db.errors import UserError
from db.models import Park, QuarterlyReport, Tenant
from db.store import Store
from exports.tabular import Cell, write_csv, write_xlsx
from forms.i18n import t
from forms.quarterly import QUARTERLY_FIELDS, Quarter, quarter_code
from inspect_app.services.ledger_export import SUPPORTED_SUFFIXES

HEADER_KEYS = ("fields.park.code", "fields.park.name", "fields.tenant.name", "fields.tenant.credit_code",
               "fields.quarterly.year", "fields.quarterly.quarter",
               *(f"fields.quarterly.{name}" for name in QUARTERLY_FIELDS))


def quarterly_headers() -> list[str]:
    return [t(key) for key in HEADER_KEYS]


def quarterly_rows(store: Store, *, park_id: str | None, first: Quarter | None = None,
                   last: Quarter | None = None) -> list[list[Cell]]:
    """Rows by park code, tenant name, year and quarter; quarters with no figure at all are left out."""
    statement = (
        select(Park.code, Park.name, Tenant.name, Tenant.credit_code, QuarterlyReport)
        .join(Tenant, Tenant.id == QuarterlyReport.tenant_id)
        .join(Park, Park.id == Tenant.park_id)
        .where(QuarterlyReport.deleted == False, Tenant.deleted == False, Park.deleted == False)  # noqa: E712
        .order_by(Park.code, Tenant.name, Tenant.credit_code, QuarterlyReport.year, QuarterlyReport.quarter)
    )
    if park_id:
        statement = statement.where(Tenant.park_id == park_id)
    if first:
        statement = statement.where(tuple_(QuarterlyReport.year, QuarterlyReport.quarter) >= tuple_(*first))
    if last:
        statement = statement.where(tuple_(QuarterlyReport.year, QuarterlyReport.quarter) <= tuple_(*last))
    rows: list[list[Cell]] = []
    with store.read() as session:
        for park_code, park_name, name, code, report in session.exec(statement):
            figures = [getattr(report, field) for field in QUARTERLY_FIELDS]
            if all(value is None for value in figures):
                continue
            rows.append([park_code, park_name, name, code, report.year, report.quarter, *figures])
    return rows


def export_quarterly(store: Store, path: Path | str, *, park_code: str | None = None,
                     first: Quarter | None = None, last: Quarter | None = None) -> int:
    """Write the figures of one park (or every park) between two quarters to .csv or .xlsx."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UserError("cli.export_bad_suffix", suffix=path.suffix or "(none)")
    if first and last and first > last:
        raise UserError("quarterly.export.bad_range", first=quarter_code(first), last=quarter_code(last))
    park = None
    if park_code:
        with store.read() as session:
            park = queries.find_park(session, park_code)
        if park is None:
            raise UserError("cli.park_missing", code=park_code)
    rows = quarterly_rows(store, park_id=park.id if park else None, first=first, last=last)
    if path.suffix.lower() == ".csv":
        write_csv(path, quarterly_headers(), rows)
    else:
        title = t("quarterly.export.sheet_park", code=park.code) if park else t("quarterly.export.sheet")
        write_xlsx(path, quarterly_headers(), rows, title)
    return len(rows)

