"""Quarterly operating data (季度经营数据): a park's grid for one quarter, saving one tenant's row,
the quarters a park has figures for.

One row per tenant and quarter (`QuarterlyReport`, unique by tenant, year, quarter): a save is an
upsert in one transaction; a blank save of a quarter never reported writes nothing. Figures are
checked by `forms.quarterly.QuarterlyInput` before they get here; warnings (implausible but
accepted figures) are worked out here, where the tenant's size and previous quarter are known.
Import and export live in `quarterly_import.py` and `quarterly_export.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_
from sqlmodel import select

from db.errors import UserError
from db.models import Park, QuarterlyReport, Tenant
from db.store import Store
from forms.quarterly import (
    MAX_YEAR,
    MIN_YEAR,
    NUMBER_FIELDS,
    QUARTERLY_FIELDS,
    Quarter,
    QuarterlyInput,
    QuarterWarning,
    previous_quarter,
    quarter_warnings,
    same_quarter_last_year,
)


@dataclass(frozen=True)
class GridRow:
    """One tenant in the grid: who, how big, and its figures for the quarter and for comparison."""

    tenant_id: str
    name: str
    credit_code: str
    location: str
    rented_area_m2: float
    headcount: int
    in_park: bool
    current: QuarterlyInput | None
    previous: QuarterlyInput | None  # the quarter before
    last_year: QuarterlyInput | None  # the same quarter a year earlier

    def warnings(self, data: QuarterlyInput) -> list[QuarterWarning]:
        return quarter_warnings(data, rented_area_m2=self.rented_area_m2, headcount=self.headcount,
                                previous=self.previous)


@dataclass(frozen=True)
class QuarterGrid:
    park_id: str
    park_code: str
    park_name: str
    quarter: Quarter
    rows: list[GridRow] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return sum(1 for row in self.rows if row.current is not None and not row.current.is_blank())


@dataclass(frozen=True)
class SavedQuarter:
    outcome: str  # created | updated | unchanged
    data: QuarterlyInput
    warnings: list[QuarterWarning]


def check_quarter(quarter: Quarter) -> Quarter:
    year, q = quarter
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= q <= 4):
        raise UserError("quarterly.bad_quarter", year=year, quarter=q)
    return year, q


def report_as_input(report: QuarterlyReport | None) -> QuarterlyInput | None:
    """The stored row as validated input (values are already clean: no second parse)."""
    if report is None or report.deleted:
        return None
    return QuarterlyInput.model_construct(**{name: getattr(report, name) for name in QUARTERLY_FIELDS})


def _in_quarters(quarters: list[Quarter]):
    return or_(*(and_(QuarterlyReport.year == y, QuarterlyReport.quarter == q) for y, q in quarters))


def load_grid(store: Store, park_id: str, quarter: Quarter) -> QuarterGrid:
    """Every in-park tenant (and any that left but reported this quarter), by name, with its row
    for `quarter` or blanks, and the previous quarter and the same quarter last year beside it."""
    quarter = check_quarter(quarter)
    before, last_year = previous_quarter(quarter), same_quarter_last_year(quarter)
    with store.read() as session:
        park = session.get(Park, park_id)
        if park is None or park.deleted:
            raise UserError("cli.park_missing", code=park_id)
        reports: dict[tuple[str, Quarter], QuarterlyReport] = {}
        statement = (
            select(QuarterlyReport)
            .join(Tenant, Tenant.id == QuarterlyReport.tenant_id)
            .where(Tenant.park_id == park_id, Tenant.deleted == False,  # noqa: E712
                   QuarterlyReport.deleted == False, _in_quarters([quarter, before, last_year]))  # noqa: E712
        )
        for report in session.exec(statement):
            reports[(report.tenant_id, (report.year, report.quarter))] = report
        reported_now = {tenant_id for tenant_id, q in reports if q == quarter}
        tenants = session.exec(
            select(Tenant).where(Tenant.park_id == park_id, Tenant.deleted == False)  # noqa: E712
            .order_by(Tenant.name)
        ).all()
        rows = [
            GridRow(
                tenant_id=tenant.id, name=tenant.name, credit_code=tenant.credit_code,
                location=" ".join(p for p in (tenant.building, tenant.unit_no) if p),
                rented_area_m2=tenant.rented_area_m2, headcount=tenant.headcount,
                in_park=tenant.status == "in_park",
                current=report_as_input(reports.get((tenant.id, quarter))),
                previous=report_as_input(reports.get((tenant.id, before))),
                last_year=report_as_input(reports.get((tenant.id, last_year))),
            )
            for tenant in tenants
            if tenant.status == "in_park" or tenant.id in reported_now
        ]
        return QuarterGrid(park.id, park.code, park.name, quarter, rows)


def find_report(session, tenant_id: str, quarter: Quarter) -> QuarterlyReport | None:
    """The tenant's row for the quarter, tombstoned or not (the unique key covers both)."""
    return session.exec(select(QuarterlyReport).where(
        QuarterlyReport.tenant_id == tenant_id, QuarterlyReport.year == quarter[0],
        QuarterlyReport.quarter == quarter[1])).first()


def new_report(tenant_id: str, quarter: Quarter, data: QuarterlyInput) -> QuarterlyReport:
    """The row a tenant's first figures for a quarter make (not yet in a session)."""
    return QuarterlyReport(tenant_id=tenant_id, year=quarter[0], quarter=quarter[1],
                           **{name: getattr(data, name) for name in QUARTERLY_FIELDS})


def write_report(session, tenant_id: str, quarter: Quarter, data: QuarterlyInput) -> str:
    """Upsert inside the caller's transaction; returns created | updated | unchanged."""
    report = find_report(session, tenant_id, quarter)
    values = {name: getattr(data, name) for name in QUARTERLY_FIELDS}
    if report is None:
        if data.is_blank():
            return "unchanged"  # nothing reported, nothing to keep
        session.add(new_report(tenant_id, quarter, data))
        return "created"
    changed = False
    if report.deleted:
        report.deleted, changed = False, True
    for name, value in values.items():
        if getattr(report, name) != value:
            setattr(report, name, value)
            changed = True
    return "updated" if changed else "unchanged"


def save_quarter(store: Store, *, tenant_id: str, quarter: Quarter, data: QuarterlyInput) -> SavedQuarter:
    """Save one tenant's figures for one quarter in one transaction; warnings come back with it."""
    quarter = check_quarter(quarter)
    with store.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.deleted:
            raise UserError("errors.tenant_missing")
        previous = report_as_input(find_report(session, tenant_id, previous_quarter(quarter)))
        outcome = write_report(session, tenant_id, quarter, data)
        warnings = quarter_warnings(data, rented_area_m2=tenant.rented_area_m2, headcount=tenant.headcount,
                                    previous=previous)
    return SavedQuarter(outcome, data, warnings)


def quarters_with_data(store: Store, park_id: str) -> list[tuple[Quarter, int]]:
    """The quarters the park has figures for, newest first, with how many tenants reported."""
    any_figure = or_(*(getattr(QuarterlyReport, name).is_not(None) for name in (*NUMBER_FIELDS, "difficulties")))
    statement = (
        select(QuarterlyReport.year, QuarterlyReport.quarter, func.count())
        .join(Tenant, Tenant.id == QuarterlyReport.tenant_id)
        .where(Tenant.park_id == park_id, Tenant.deleted == False,  # noqa: E712
               QuarterlyReport.deleted == False, any_figure)  # noqa: E712
        .group_by(QuarterlyReport.year, QuarterlyReport.quarter)
        .order_by(QuarterlyReport.year.desc(), QuarterlyReport.quarter.desc())
    )
    with store.read() as session:
        return [((year, quarter), count) for year, quarter, count in session.exec(statement)]
