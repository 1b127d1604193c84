"""What a plan's register (inspect_app/services/plans.py `build_register`) reads: the plan's current
tenants and the facts its risk factors are computed from.

Plain SQL on a `Store.read_connection()` connection; the service weighs the facts (and the risk
flags, services/risk_flags.py) into each candidate's factors.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from db.tenant_rules import current_tenant_sql


@dataclass(frozen=True)
class RegisterFacts:
    tenants: list[tuple[str, str, str | None, str | None, bool]]  # (id, park id, street, fire class, people living)
    open_hazards: dict[str, int]  # tenant id -> hazards not closed (latest revisions)
    repeats: dict[str, int]  # tenant id -> checklist items found failing at two or more inspections
    inspected: set[str]  # tenants with a finished inspection
    reinspection_due: set[str]  # tenants with a hazard to re-inspect by the plan's last day


def register_facts(conn: sqlite3.Connection, park_ids: list[str], complete_by: date) -> RegisterFacts:
    """The current tenants of `park_ids` not merged into another, with their facts."""
    marks = ",".join("?" * len(park_ids))
    tenants = conn.execute(
        f"SELECT t.id, t.park_id, p.street, t.fire_hazard_class, t.people_living_on_site FROM tenant t "
        f"JOIN park p ON p.id = t.park_id WHERE {current_tenant_sql('t')} "
        f"AND t.merged_into IS NULL AND t.park_id IN ({marks})", park_ids).fetchall()
    open_hazards = dict(conn.execute(
        "SELECT h.tenant_id, count(*) FROM hazard h WHERE h.deleted = 0 AND h.status != 'closed' "
        "AND h.tenant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hazard n WHERE n.supersedes_id = h.id "
        "AND n.deleted = 0) GROUP BY h.tenant_id"))
    # The same checklist item found failing at two or more inspections (first revisions only).
    repeats = dict(conn.execute(
        "SELECT tenant_id, count(*) FROM (SELECT h.tenant_id FROM hazard h WHERE h.deleted = 0 "
        "AND h.item_code IS NOT NULL AND h.tenant_id IS NOT NULL AND h.supersedes_id IS NULL "
        "GROUP BY h.tenant_id, h.item_code HAVING count(DISTINCT h.inspection_id) >= 2) GROUP BY tenant_id"))
    inspected = {row[0] for row in conn.execute(
        "SELECT DISTINCT tenant_id FROM inspection WHERE deleted = 0 AND status = 'finished' "
        "AND tenant_id IS NOT NULL")}
    reinspection_due = {row[0] for row in conn.execute(
        "SELECT DISTINCT h.tenant_id FROM rectification_item r JOIN hazard h ON h.id = r.hazard_id "
        "WHERE r.deleted = 0 AND h.deleted = 0 AND r.status IN ('open', 'pending_review') "
        "AND h.status IN ('open', 'pending_review') AND r.deadline IS NOT NULL AND r.deadline <= ? "
        "AND h.tenant_id IS NOT NULL", (complete_by.isoformat(),))}
    return RegisterFacts([tuple(row) for row in tenants], open_hazards, repeats, inspected, reinspection_due)
