"""The reads of a quarter's exit list (inspect_app/services/exit_list.py): plain SQL on a read
connection, plain tuples and dataclasses out.

- since when a tenant's stored 亩均 class has been what it is now: the latest audit event that
  changed `efficiency_class` (audit events carry the changed fields only, so any event naming it
  is a change of it), else the row's creation: the class it was created with;
- its repeat findings up to a day (a hazard of an item closed before on the same tenant: the
  rule of db/lookback.py `EARLIER_CLOSED_SQL`, never stored);
- its unclosed major hazards found up to a day (`OPEN_HAZARD_STATUSES` of db/hazard_rules.py);
- the latest decision per tenant for a quarter, with who made it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from db.hazard_rules import OPEN_HAZARD_STATUSES
from db.lookback import EARLIER_CLOSED_SQL
from db.tenant_rules import current_tenant_sql
from forms import china_time


@dataclass(frozen=True)
class ExitTenant:
    id: str
    name: str
    credit_code: str
    efficiency_class: str | None
    class_since: date | None  # China date since which the stored class has been this one


@dataclass(frozen=True)
class HazardEvidence:
    id: str
    item_code: str | None
    description: str
    found_on: date
    deadline: date | None
    major_unclosed: bool  # a major hazard not closed (now)
    earlier: int  # earlier closed hazards of the same item (a repeat finding: > 0)


@dataclass(frozen=True)
class LatestDecision:
    decision: str
    decided_by: str | None  # the inspector's name, when known here
    decided_at: datetime
    note: str | None


def _day(stored_utc: str | None) -> date | None:
    return china_time.local_date(datetime.fromisoformat(stored_utc)) if stored_utc else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def exit_tenants(conn: sqlite3.Connection, park_id: str) -> list[ExitTenant]:
    """The park's in-park tenants, by name, with their stored 亩均 class and since when they hold it."""
    rows = conn.execute(
        f"""SELECT t.id, t.name, t.credit_code, t.efficiency_class, t.created_at,
                  (SELECT max(a.created_at) FROM audit_event a
                   WHERE a.table_name = 'tenant' AND a.row_id = t.id AND a.deleted = 0
                     AND json_type(a.after, '$.efficiency_class') IS NOT NULL)
           FROM tenant t WHERE t.park_id = ? AND {current_tenant_sql("t")}
           ORDER BY t.name, t.id""", (park_id,))
    return [ExitTenant(tenant_id, name, code, klass, _day(changed or created) if klass else None)
            for tenant_id, name, code, klass, created, changed in rows]


def hazard_evidence(conn: sqlite3.Connection, park_id: str, up_to: date) -> dict[str, list[HazardEvidence]]:
    """Tenant id -> its hazards found by `up_to` that are unclosed and major, or repeats."""
    statuses = ", ".join(f"'{s}'" for s in OPEN_HAZARD_STATUSES)
    rows = conn.execute(
        f"""SELECT h.tenant_id, h.id, h.item_code, h.description, h.found_on, h.severity,
                   h.status IN ({statuses}) AS unclosed,
                   (SELECT max(r.deadline) FROM rectification_item r
                    WHERE r.hazard_id = h.id AND r.deleted = 0 AND r.status != 'superseded'),
                   CASE WHEN h.item_code IS NULL THEN 0 ELSE ({EARLIER_CLOSED_SQL}) END
            FROM hazard h
            WHERE h.park_id = ? AND h.tenant_id IS NOT NULL AND h.deleted = 0 AND h.found_on <= ?
              AND h.status != 'superseded'
            ORDER BY h.found_on, h.id""", (park_id, up_to.isoformat()))
    found: dict[str, list[HazardEvidence]] = {}
    for tenant_id, hazard_id, code, text, found_on, severity, unclosed, deadline, earlier in rows:
        if (severity == "major" and unclosed) or earlier:
            found.setdefault(tenant_id, []).append(HazardEvidence(
                hazard_id, code, text, _date(found_on), _date(deadline), severity == "major" and bool(unclosed),
                earlier))
    return found


def latest_decisions(conn: sqlite3.Connection, park_id: str, quarter: str) -> dict[str, LatestDecision]:
    """Tenant id -> the latest exit decision of the quarter (by decision time, then clock)."""
    rows = conn.execute(
        """SELECT d.tenant_id, d.decision, i.name, d.decided_at, d.note FROM exit_decision d
           LEFT JOIN inspector i ON i.id = d.decided_by
           WHERE d.park_id = ? AND d.quarter = ? AND d.deleted = 0
           ORDER BY d.decided_at, d.hlc""", (park_id, quarter))
    return {tenant_id: LatestDecision(decision, name, datetime.fromisoformat(at), note)
            for tenant_id, decision, name, at, note in rows}
