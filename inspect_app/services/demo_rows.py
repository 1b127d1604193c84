"""The rows one demo transaction writes (a park, or a batch of further inspections), by table."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from sqlmodel import Session

from db.checklist_items import add_missing
from db.models import (
    Building,
    ChecklistItem,
    CheckResult,
    Hazard,
    Inspection,
    Park,
    QuarterlyReport,
    RectificationItem,
    Reinspection,
    Tenant,
)


@dataclass
class ParkRows:
    """One park's rows, by table in foreign-key order: one transaction writes them all."""

    parks: list[Park] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    tenants: list[Tenant] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)
    checklist_items: list[ChecklistItem] = field(default_factory=list)  # add_checklist_items: the missing ones
    check_results: list[CheckResult] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    rectification_items: list[RectificationItem] = field(default_factory=list)
    reinspections: list[Reinspection] = field(default_factory=list)
    quarterly_reports: list[QuarterlyReport] = field(default_factory=list)

    def add_checklist_items(self, items: list[ChecklistItem]) -> None:
        """The items of a started inspection this batch does not hold yet (`write` adds those the
        database lacks)."""
        have = {item.id for item in self.checklist_items}
        self.checklist_items.extend(item for item in items if item.id not in have)

    def write(self, session: Session) -> None:
        # No relationship() is mapped, so the unit of work would not put parents before children:
        # one flush per table, in the order of the fields above, does (SQLite checks foreign keys).
        # The rows are made by the services' own row builders (services/inspections.py,
        # services/hazards.py, services/quarterly.py); batching them here is what keeps a
        # 30,000-tenant demo to one transaction per park.
        for table in fields(self):
            table_rows = getattr(self, table.name)
            if table.name == "checklist_items":
                add_missing(session, table_rows)  # most are held since the first park
                session.flush()
            elif table_rows:
                session.add_all(table_rows)
                session.flush()
