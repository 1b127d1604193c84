"""Demo data: parks of 平湖市 with their tenants, inspections, hazards and quarterly figures.

`parkinspect demo` calls `generate_demo` so that a new user, a tester or a benchmark has a
realistic database in one command. The content is deterministic for a given seed and `today`
(one `random.Random(seed)` drives every choice, in a fixed order); only the UUID keys and the
clock stamps differ between runs.

Where the pieces are:
- the literal data (names, industries, findings per checklist item, figure tables):
  `inspect_app/demo_data/*.toml`, read and checked by `demo_data.py`;
- parks, buildings, tenants and inspectors: `demo_ledger.py`;
- inspections, hazards, 五落实 and each hazard's life cycle, made by the services' own row
  builders (start, finish, 复查): `demo_inspections.py`;
- quarterly figures, checked by the quarterly form: `demo_quarterly.py`;
- notices, their service, a 复查意见书 and a 检查记录, through the notice services: `demo_notices.py`.

Everything is written through `Store.transaction()` with ORM objects, one transaction per park,
so the flush hook writes the change log and the audit trail exactly as for a person's edits: the
demo is also a test of that path at the benchmark size (300 parks x 100 tenants).

What the data is meant to show:
- every hazard status (open, overdue, pending review, closed, escalated): the first park's
  common-areas inspection always holds one of each, whatever the size of the run;
- open hazards whose 五落实 item lacks a field, so "cannot issue the notice, X is missing" shows;
- 规上 tenants (about 13%) producing about 40% of the output, a few tenants whose output fell by
  a third or more year on year, and a few zombies (no output, almost no power for 2+ quarters).
"""

from __future__ import annotations

import random
from datetime import date

from sqlmodel import Session, func, select

from db.models import Hazard, Inspection, Inspector, Park, Tenant
from db.queries import current_tenant_clause
from db.store import Store
from forms import china_time
from inspect_app.services.demo_data import DemoData, load_demo_data
from inspect_app.services.demo_inspections import (
    CHECKLIST_ITEM_CODES,
    NOT_FIXED_ON_THE_SPOT_DAYS,
    SHARE_LEDGER_VERIFIED,
    InspectionMaker,
    Visit,
)
from inspect_app.services.demo_ledger import LedgerMaker
from inspect_app.services.demo_notices import (
    DEMO_NOTICES,
    complete_demo_documents,
    demo_agency,
    issue_demo_notices,
    notice_candidates,
)
from inspect_app.services.demo_quarterly import QUARTERS_REPORTED, last_complete_quarters, quarterly_reports
from inspect_app.services.demo_rows import ParkRows

__all__ = [
    "CHECKLIST_ITEM_CODES", "DEMO_NOTICES", "FINDINGS", "NOT_FIXED_ON_THE_SPOT_DAYS", "DemoBuilder", "ParkRows",
    "add_tenant_inspections", "complete_demo_documents", "demo_agency", "generate_demo", "has_data",
    "inspection_candidates", "issue_demo_notices", "notice_candidates",
]

# How each checklist item fails, by item code (inspect_app/demo_data/findings.toml).
FINDINGS = load_demo_data().findings
EXTRA_INSPECTIONS_PER_TRANSACTION = 500
MAX_EXTRA_ROUNDS = 10  # a database of few tenants stops here rather than inspecting them forever


class DemoBuilder:
    """Makes the rows of each park. Holds the one random generator, so the order of calls fixes the content."""

    def __init__(self, rng: random.Random, today: date, data: DemoData | None = None):
        self.rng = rng
        self.today = today
        self.data = data or load_demo_data()
        self.quarters = last_complete_quarters(today, QUARTERS_REPORTED)
        self.ledger = LedgerMaker(rng, today, self.data)
        self.visits = InspectionMaker(rng, today, self.data, self.ledger)
        self.counts = {"parks": 0, "tenants": 0, "inspections": 0, "hazards": 0, "quarterly_reports": 0}

    def inspectors(self, parks: int) -> list[Inspector]:
        return self.ledger.inspectors(parks)

    def park_rows(self, number: int, tenant_count: int, *, showcase: bool) -> ParkRows:
        """Park number `number` with its buildings, tenants, inspections and quarterly figures."""
        rows = ParkRows()
        park = self.ledger.park(number)
        buildings = self.ledger.buildings(park)
        rows.parks.append(park)
        rows.buildings.extend(buildings)

        services_park = park.function_type == "services"
        plans = [self.ledger.tenant(park, buildings, slot, services_park) for slot in range(tenant_count)]
        rows.tenants.extend(plan.tenant for plan in plans)
        self.ledger.fit_floor_area(park, buildings, [plan.tenant for plan in plans], number)

        inspector_ids = [inspector.id for inspector in self.ledger.team_of_park(number)]
        self.visits.common_area_inspection(rows, park, buildings, inspector_ids, showcase=showcase)
        for plan in plans:
            if plan.tenant.status == "in_park" and self.rng.random() < 0.3:
                self.visits.tenant_inspection(rows, park, plan.tenant, inspector_ids)

        for plan in plans:
            if plan.tenant.status == "in_park":
                rows.quarterly_reports.extend(quarterly_reports(self.rng, self.data, self.quarters, plan))
        for plan in plans:
            if plan.tenant.status == "in_park" and self.rng.random() < SHARE_LEDGER_VERIFIED:
                self.visits.ledger_verification(rows, park, plan.tenant, inspector_ids)
        return rows

    def tenant_inspection(self, rows: ParkRows, park: Park, tenant: Tenant, inspector_ids: list[str]) -> None:
        self.visits.tenant_inspection(rows, park, tenant, inspector_ids)

    def inspection(self, park: Park, tenant: Tenant | None, inspector_ids: list[str], found_on: date) -> Visit:
        return self.visits.inspection(park, tenant, inspector_ids, found_on)

    def inspection_rows(self, rows: ParkRows, visit: Visit, outcomes: dict[str, str], failures, *,
                        tenant: Tenant | None, buildings) -> None:
        self.visits.inspection_rows(rows, visit, outcomes, failures, tenant=tenant, buildings=buildings)

    def count(self, rows: ParkRows) -> None:
        for key in self.counts:
            self.counts[key] += len(getattr(rows, key))


def has_data(store: Store) -> bool:
    """True when the database holds at least one live park (the demo then asks for --force)."""
    with store.read() as session:
        return session.exec(select(Park.id).where(Park.deleted == False).limit(1)).first() is not None  # noqa: E712


def generate_demo(
    store: Store, *, parks: int, tenants_per_park: int, seed: int, today: date | None = None
) -> dict[str, int]:
    """Write `parks` demo parks with `tenants_per_park` tenants each; return how many rows of each kind.

    The demo data files are read (and checked: DemoDataError, a UserError naming file, line and
    field) before anything is written."""
    builder = DemoBuilder(random.Random(seed), today or china_time.today())
    with store.read() as session:
        first_number = _next_park_number(session, builder.data.park_code_prefix)
    with store.transaction() as session:
        session.add_all(builder.inspectors(parks))
    for index in range(parks):
        rows = builder.park_rows(first_number + index, tenants_per_park, showcase=index == 0)
        with store.transaction() as session:
            rows.write(session)
        builder.count(rows)
    return dict(builder.counts)


def inspection_candidates(session) -> tuple[dict[str, Park], list[Tenant], dict[str, list[str]]]:
    """What a further round of demo inspections needs: parks by id, the in-park tenants of parks
    that have a team, and each park's team (the inspectors of its earliest inspection; the demo
    gives one team a park). Tenants come ordered by what the seed made (not by the keys, which
    differ between runs), so a seeded shuffle picks the same tenants every time."""
    parks = {park.id: park for park in session.exec(select(Park).where(Park.deleted == False))}  # noqa: E712
    tenants = session.exec(
        select(Tenant)
        .join(Park, Park.id == Tenant.park_id)
        .where(current_tenant_clause())
        .order_by(Park.code, Tenant.building, Tenant.unit_no, Tenant.credit_code)
    ).all()
    teams: dict[str, list[str]] = {}
    for park_id, inspector_ids in session.exec(
        select(Inspection.park_id, Inspection.inspector_ids).order_by(Inspection.started_at)
    ):
        teams.setdefault(park_id, inspector_ids)
    return parks, [tenant for tenant in tenants if tenant.park_id in teams], teams


def add_tenant_inspections(
    store: Store, *, hazards: int, seed: int, today: date | None = None
) -> dict[str, int]:
    """More finished tenant inspections, until the database holds about `hazards` hazards.

    For benchmarks that need more hazards than the demo's one-in-three tenants inspected gives
    (the hazards view at ~20,000 hazards over 30,000 tenants): in-park tenants, in a shuffled
    order, are inspected again by their park's team, with the same checklist, findings, 五落实
    and life cycle as `generate_demo` (a county's second round of checks in the same months).
    The last inspection may overshoot the count by its few hazards. Returns the rows added.
    """
    builder = DemoBuilder(random.Random(seed), today or china_time.today())
    with store.read() as session:
        have = session.exec(select(func.count()).select_from(Hazard).where(Hazard.deleted == False)).one()  # noqa: E712
        parks, tenants, teams = inspection_candidates(session)
    added = {"inspections": 0, "hazards": 0}
    rows = ParkRows()

    def write() -> None:
        nonlocal rows
        with store.transaction() as session:
            rows.write(session)
        added["inspections"] += len(rows.inspections)
        added["hazards"] += len(rows.hazards)
        rows = ParkRows()

    for _ in range(MAX_EXTRA_ROUNDS):
        builder.rng.shuffle(tenants)
        for tenant in tenants:
            if have + added["hazards"] + len(rows.hazards) >= hazards:
                break
            builder.tenant_inspection(rows, parks[tenant.park_id], tenant, teams[tenant.park_id])
            if len(rows.inspections) >= EXTRA_INSPECTIONS_PER_TRANSACTION:
                write()
        if not tenants or have + added["hazards"] + len(rows.hazards) >= hazards:
            break
    if rows.inspections:
        write()
    return added


def _next_park_number(session: Session, prefix: str) -> int:
    """Demo parks are numbered after existing ones, so that `demo --force` adds instead of clashing."""
    codes = session.exec(select(Park.code).where(Park.code.like(f"{prefix}%"))).all()
    numbers = [int(code[len(prefix):]) for code in codes if code[len(prefix):].isdigit()]
    return max(numbers, default=0) + 1
