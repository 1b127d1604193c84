"""What the hazards view (inspect_app/services/hazards.py) filters and sorts on: `hazard_key`, one
row per live hazard and live rectification item, kept by the triggers of migration 0018.

Its index on (no deadline, deadline, day found, hazard id) is the view's order, so a page of the
view is the first rows of an index walk that stops after the page, not a sort of every match;
one park's page walks the same order within the park. The count is a separate statement, capped:
beyond `cap` matches the view says "more than" instead of walking every one of them.

Plain SQL on a `Store.read_connection()` connection; the service reads the page's rows themselves.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from db.hazard_rules import OPEN_HAZARD_STATUSES_SQL, overdue_columns_sql

UNRESOLVED = "unresolved"  # every status not closed (db/hazard_rules.py OPEN_HAZARD_STATUSES)
ORDER = "k.no_deadline, k.deadline, k.found_on, k.hazard_id"
# hazard_key holds live items only: the rule's "item not deleted" holds for every row.
OVERDUE = overdue_columns_sql("k.hazard_status", "1", "k.item_status", "k.deadline")


@dataclass(frozen=True)
class KeyFilter:
    park_id: str | None = None
    tenant_id: str | None = None
    severity: str | None = None
    status: str | None = None  # a status of the view, UNRESOLVED or None (all)


def _where(f: KeyFilter, *, park_unindexed: bool = False) -> str:
    conditions = ["1"]
    if f.park_id:
        conditions.append(f"{'+' if park_unindexed else ''}k.park_id = :park_id")
    if f.tenant_id:
        conditions.append("k.tenant_id = :tenant_id")
    if f.severity:
        conditions.append("k.severity = :severity")
    if f.status == UNRESOLVED:
        conditions.append(f"k.item_status IN {OPEN_HAZARD_STATUSES_SQL}")
    elif f.status == "overdue":
        conditions.append(OVERDUE)
    elif f.status == "open":
        conditions.append(f"k.item_status = 'open' AND NOT {OVERDUE}")
    elif f.status:
        conditions.append("k.item_status = :status")
    return " AND ".join(conditions)


def _params(f: KeyFilter, today: date, **more: object) -> dict[str, object]:
    return {"park_id": f.park_id, "tenant_id": f.tenant_id, "severity": f.severity, "status": f.status,
            "today": today.isoformat(), **more}


def page_sql(f: KeyFilter) -> str:
    # One park: its own rows of the index, in order. Every park: the order index itself. One
    # tenant's few hazards are found by tenant and sorted. The unary + keeps SQLite off the index
    # it must not choose (without statistics it may prefer the tenant index to the park's order).
    return f"""
SELECT k.hazard_id, k.item_id FROM hazard_key k
WHERE {_where(f, park_unindexed=bool(f.tenant_id))}
ORDER BY {ORDER} LIMIT :limit OFFSET :offset
"""


def count_sql(f: KeyFilter, capped: bool) -> str:
    limit = "LIMIT :cap" if capped else ""
    return f"SELECT count(*) FROM (SELECT 1 FROM hazard_key k WHERE {_where(f)} {limit})"


def hazard_keys(conn: sqlite3.Connection, f: KeyFilter, *, today: date, limit: int,
                offset: int) -> list[tuple[str, str | None]]:
    """(hazard id, item id) of a page of the view, earliest deadline first (no deadline last),
    then the day found and the id."""
    return conn.execute(page_sql(f), _params(f, today, limit=limit, offset=offset)).fetchall()


def count_keys(conn: sqlite3.Connection, f: KeyFilter, *, today: date, cap: int | None) -> int:
    """How many rows match, or `cap` when at least that many do (None: the exact count)."""
    return conn.execute(count_sql(f, cap is not None), _params(f, today, cap=cap)).fetchone()[0]
