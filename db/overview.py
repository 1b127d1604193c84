"""The park list's figures in plain SQL, read at start-up before SQLAlchemy is loaded.

One statement for all parks: live tenants, rented area and headcount per park, hazards not yet
closed, and of those the open ones with an open rectification item past its deadline. The ORM
queries in db/queries.py count hazards the same way (`OPEN_HAZARD_STATUSES`, overdue = an *open*
hazard with an open item whose deadline is before today); tests/test_ledger_service.py checks both.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

OPEN_HAZARD_STATUSES = ("open", "pending_review", "escalated")

PARK_SUMMARIES_SQL = f"""
WITH tenants AS (
    SELECT park_id, count(*) AS tenants, sum(rented_area_m2) AS area, sum(headcount) AS headcount
    FROM tenant
    WHERE deleted = 0 AND status = 'in_park'
    GROUP BY park_id
),
hazards AS (
    SELECT h.park_id,
           count(*) AS open_hazards,
           sum(h.status = 'open' AND EXISTS (
               SELECT 1 FROM rectification_item r
               WHERE r.hazard_id = h.id AND r.deleted = 0 AND r.status = 'open' AND r.deadline < :today
           )) AS overdue_hazards
    FROM hazard h
    WHERE h.deleted = 0 AND h.status IN ({", ".join(f"'{s}'" for s in OPEN_HAZARD_STATUSES)})
    GROUP BY h.park_id
)
SELECT p.id, p.code, p.name, p.street,
       coalesce(t.tenants, 0), coalesce(t.area, 0), coalesce(t.headcount, 0),
       coalesce(hz.open_hazards, 0), coalesce(hz.overdue_hazards, 0)
FROM park p
LEFT JOIN tenants t ON t.park_id = p.id
LEFT JOIN hazards hz ON hz.park_id = p.id
WHERE p.deleted = 0
ORDER BY p.code
"""


@dataclass(frozen=True)
class ParkSummary:
    id: str
    code: str
    name: str
    street: str
    tenants: int
    rented_area_m2: float
    headcount: int
    open_hazards: int
    overdue_hazards: int


def park_summaries(conn: sqlite3.Connection, today: date) -> list[ParkSummary]:
    rows = conn.execute(PARK_SUMMARIES_SQL, {"today": today.isoformat()}).fetchall()
    return [ParkSummary(*row) for row in rows]


def inspector_name(conn: sqlite3.Connection) -> str | None:
    """The name of this device's inspector profile, or None before the first-run form."""
    row = conn.execute(
        "SELECT i.name FROM local_setting s JOIN inspector i ON i.id = s.value WHERE s.key = 'inspector_id'"
    ).fetchone()
    return row[0] if row else None
