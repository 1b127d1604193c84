"""The park list's figures in plain SQL, read at start-up before SQLAlchemy is loaded.

One statement for all parks: live tenants, rented area and headcount per park, hazards not yet
closed (kept per park by triggers in `park_total`), and of those the overdue ones (counted at
reading: "overdue" depends on today; from the open items' index of `hazard_key`, kept by triggers). Both rules are db/hazard_rules.py's, which every other count
(ledger, hazards view, overview, risk flags) uses too; tests/test_overdue_rule.py checks they agree.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from db.hazard_queries import OVERDUE as OVERDUE_KEY
from db.hazard_rules import overdue_sql as overdue_condition


def overdue_sql(one_park: bool = False) -> str:
    """Overdue hazards per park and severity (db/hazard_rules.py: open, its current item past its deadline).

    The county starts from the open items (ix_rectification_item_status); one park (`:park_id`)
    from its own hazards — CROSS JOIN fixes that order for SQLite.
    """
    source = ("hazard h CROSS JOIN rectification_item r ON r.hazard_id = h.id AND h.park_id = :park_id"
              if one_park else "rectification_item r JOIN hazard h ON h.id = r.hazard_id")
    return f"""
SELECT h.park_id, h.severity, count(DISTINCT h.id) AS overdue
FROM {source}
WHERE {overdue_condition("h", "r")} AND h.deleted = 0
GROUP BY h.park_id, h.severity
"""


# The county's overdue hazards per park and severity: `hazard_key`'s open hazards' open items
# (migration 0018, kept by triggers: the live items of live hazards, as `overdue_sql` joins them)
# read in park and severity order from a partial index holding the deadline and the hazard
# (migration 0021), so the groups need no sort: 13 ms for 34,000 open items at 300,000 tenants,
# where the range of deadlines before today (0018's index) read and sorted them in 55 ms, and the
# open items joined to their hazards (`overdue_sql`) took 70. SQLite picks the range unless told.
COUNTY_OVERDUE_SQL = f"""
SELECT k.park_id, k.severity, count(DISTINCT k.hazard_id) AS overdue
FROM hazard_key k INDEXED BY ix_hazard_key_open_park
WHERE {OVERDUE_KEY}
GROUP BY k.park_id, k.severity
"""

# The tenants and unclosed hazards come from park_total, kept by triggers (migration 0005): the
# statement reads one row per park, however many tenants and hazards the county holds.
PARK_SUMMARIES_SQL = f"""
WITH overdue AS (
    SELECT park_id, sum(overdue) AS overdue_hazards FROM ({COUNTY_OVERDUE_SQL}) GROUP BY park_id
)
SELECT p.id, p.code, p.name, p.street,
       coalesce(t.tenants, 0), coalesce(t.rented_area_m2, 0), coalesce(t.headcount, 0),
       coalesce(t.unclosed_general + t.unclosed_major, 0), coalesce(o.overdue_hazards, 0)
FROM park p
LEFT JOIN park_total t ON t.park_id = p.id
LEFT JOIN overdue o ON o.park_id = p.id
WHERE p.deleted = 0
ORDER BY p.code
"""


# The first page of the list: the first parks in code order, and the overdue hazards of those parks
# only, each park from its own hazards (CROSS JOIN keeps that order; INDEXED BY, or SQLite reads every
# open hazard of the county through ix_hazard_status once per park): a page costs what it shows
# (3,000 parks: under 5 ms against 79 for the whole list), so the first screen paints at once.
PARK_PAGE_SQL = f"""
WITH page AS (
    SELECT id, code, name, street FROM park WHERE deleted = 0 ORDER BY code LIMIT :limit
), overdue AS (
    SELECT h.park_id, count(DISTINCT h.id) AS overdue_hazards
    FROM page CROSS JOIN hazard h INDEXED BY ix_hazard_park_id ON h.park_id = page.id
    CROSS JOIN rectification_item r ON r.hazard_id = h.id
    WHERE {overdue_condition("h", "r")} AND h.deleted = 0
    GROUP BY h.park_id
)
SELECT p.id, p.code, p.name, p.street,
       coalesce(t.tenants, 0), coalesce(t.rented_area_m2, 0), coalesce(t.headcount, 0),
       coalesce(t.unclosed_general + t.unclosed_major, 0), coalesce(o.overdue_hazards, 0)
FROM page p
LEFT JOIN park_total t ON t.park_id = p.id
LEFT JOIN overdue o ON o.park_id = p.id
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


def park_summaries(conn: sqlite3.Connection, today: date, limit: int | None = None) -> list[ParkSummary]:
    """Every park in code order, or the first `limit` of them (the list's first screenful)."""
    if limit is None:
        rows = conn.execute(PARK_SUMMARIES_SQL, {"today": today.isoformat()}).fetchall()
    else:
        rows = conn.execute(PARK_PAGE_SQL, {"today": today.isoformat(), "limit": limit}).fetchall()
    return [ParkSummary(*row) for row in rows]


def inspector_agency(conn: sqlite3.Connection) -> str | None:
    """The agency of this device's inspector profile, or None before the first-run form."""
    row = conn.execute(
        "SELECT i.agency FROM local_setting s JOIN inspector i ON i.id = s.value WHERE s.key = 'inspector_id'"
    ).fetchone()
    return row[0] if row else None


def inspector_name(conn: sqlite3.Connection) -> str | None:
    """The name of this device's inspector profile, or None before the first-run form."""
    row = conn.execute(
        "SELECT i.name FROM local_setting s JOIN inspector i ON i.id = s.value WHERE s.key = 'inspector_id'"
    ).fetchone()
    return row[0] if row else None
