"""The one read of inspection tasks with their tenant, park, plan and inspection (plain SQL).

Plain SQL through the store's connection rather than an ORM select: the task screen's first read
on a laptop pays SQLAlchemy's statement compilation (~60 ms) before any row, and that screen should
show its first rows within 100 ms (benchmarks/tasks_screen.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class TaskRecord:
    id: str
    inspector_ids: list[str]
    window_start: date
    complete_by: date
    inspection_id: str | None
    tenant_id: str
    tenant_name: str
    credit_code: str
    building: str | None
    unit_no: str | None
    park_id: str
    park_name: str
    plan_name: str
    inspection_status: str | None  # None: no inspection started from the task (or it was discarded)


TASKS = """
SELECT t.id, t.inspector_ids, t.window_start, t.complete_by, t.inspection_id, n.id, n.name, n.credit_code,
       n.building, n.unit_no, p.id, p.name, pl.name, i.status
  FROM inspection_task t
  JOIN tenant n ON n.id = t.tenant_id
  JOIN park p ON p.id = t.park_id
  JOIN inspection_plan pl ON pl.id = t.plan_id
  LEFT JOIN inspection i ON i.id = t.inspection_id AND i.deleted = 0
 WHERE t.deleted = 0
"""


# The order of a walk through a park: park, building, floor, unit (then name and id, so that every
# reading gives the same order and the first page read alone is the first page of the whole list).
# `unit_floor` is the caller's floor rule, registered on the connection (`floor=`).
WALK_ORDER = (" ORDER BY p.name, COALESCE(n.building, ''), COALESCE(unit_floor(n.unit_no), 10000),"
              " COALESCE(n.unit_no, ''), n.name, t.id")


def task_records(conn: sqlite3.Connection, *, park_ids: list[str] | None = None, plan_id: str | None = None,
                 inspector_id: str | None = None, floor: Callable[[str | None], int | None] | None = None,
                 limit: int | None = None) -> list[TaskRecord]:
    """The tasks, a plan's in the order its draw made them, else (`floor` given) in the order of a
    walk; `limit` the first ones only (the task screen's first screenful, before the rest)."""
    where, params = "", []
    if park_ids is not None:
        where += " AND t.park_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(park_ids))
    if inspector_id is not None:
        where += " AND EXISTS (SELECT 1 FROM json_each(t.inspector_ids) WHERE value = ?)"
        params.append(inspector_id)
    if plan_id is not None:
        where += " AND t.plan_id = ? ORDER BY t.position"
        params.append(plan_id)
    elif floor is not None:
        conn.create_function("unit_floor", 1, floor, deterministic=True)
        where += WALK_ORDER
    if limit is not None:
        where += " LIMIT ?"
        params.append(limit)
    return [TaskRecord(row[0], json.loads(row[1] or "[]"), date.fromisoformat(row[2]), date.fromisoformat(row[3]),
                       *row[4:])
            for row in conn.execute(TASKS + where, params)]


def inspector_names(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT id, name FROM inspector"))
