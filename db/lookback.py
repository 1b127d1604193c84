"""回头看: what earlier visits to a tenant found, read in plain SQL on a `Store.read_connection()` connection.

- `previous_results`: per checklist item (by its stable code, whatever the template version) the
  tenant's last answer before an inspection, how many times the item failed, and whether the
  hazard of the last failure was rectified;
- `repeat_numbers`: which hazards came back after an earlier one of the same tenant (or the same
  park's common areas) and item had been closed, and the how-many-th finding each is;
- `visits`: per tenant, the day of its last finished inspection and whether one is unfinished;
- `due_facts`: per tenant of a park, what the due list (forms/inspection_due.py) decides on;
- `repeat_counts`: per park, its unclosed hazards that are repeats (the overview's figure).

Repeats are derived, not synced: every input (hazards, their items' closing day) is synced, so
every device derives the same answer once it has the same rows, and a closure that reaches a
device late corrects the mark instead of leaving a stale synced flag (a synced one would need
hub validation and a rule for two devices disagreeing). The overview's counts read
`hazard_repeat`, a local table SQLite triggers keep equal to `REPEAT_HAZARDS_SQL` on every write
of a hazard or item, whatever wrote it (migration 0021), so a late closure corrects it too. An
issued notice keeps the number it printed in its own frozen content.

Every query goes through an index: inspections by `ix_inspection_tenant_id` / `ix_inspection_park_id`,
hazards by `ix_hazard_tenant_id` / `ix_hazard_repeat_key`, items by `ix_rectification_item_hazard_id` (benchmarks/lookback.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from db.hazard_rules import OPEN_HAZARD_STATUSES_SQL
from db.tenant_rules import current_tenant_sql
from forms import china_time


@dataclass(frozen=True)
class PreviousResult:
    outcome: str  # pass | fail | na
    on: date  # China date the inspection started
    failures: int  # how many of the tenant's inspections failed this item, up to and including this one
    rectified_on: date | None = None  # the hazard of this failure was closed on that day
    hazard_status: str | None = None  # that hazard's status (open, pending_review, closed, escalated)


@dataclass(frozen=True)
class Visit:
    last_inspected: date | None  # China date of the last finished inspection
    unfinished: bool  # an inspection was started and not finished


@dataclass(frozen=True)
class DueFacts:
    tenant_id: str
    park_id: str
    name: str
    building: str | None
    unit_no: str | None
    fire_hazard_class: str | None
    risk_points: tuple[str, ...]
    people_living_on_site: bool
    last_inspected: date | None
    next_deadline: date | None  # earliest deadline of its hazards' open or pending-review items
    unfinished: bool


def _day(stored_utc: str | None) -> date | None:
    """China date of a UTC time as the store keeps it ('2026-09-12 02:15:00.000000')."""
    return china_time.local_date(datetime.fromisoformat(stored_utc)) if stored_utc else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def previous_results(conn: sqlite3.Connection, tenant_id: str, *, before: str) -> dict[str, PreviousResult]:
    """Item code -> the tenant's last answer in a finished inspection other than `before`."""
    rows = conn.execute(
        """SELECT c.item_code, c.outcome, c.id, i.started_at
           FROM inspection i JOIN check_result c ON c.inspection_id = i.id
           WHERE i.tenant_id = ? AND i.id != ? AND i.deleted = 0 AND i.status = 'finished'
             AND c.deleted = 0 AND c.outcome IS NOT NULL
           ORDER BY i.started_at, i.id""", (tenant_id, before)).fetchall()
    last: dict[str, tuple[str, str, str]] = {}
    failures: dict[str, int] = {}
    for code, outcome, result_id, started_at in rows:
        last[code] = (outcome, result_id, started_at)
        if outcome == "fail":
            failures[code] = failures.get(code, 0) + 1
    failed_ids = [result_id for outcome, result_id, _ in last.values() if outcome == "fail"]
    hazards = {}
    if failed_ids:
        for result_id, status, closed_on in conn.execute(
                """SELECT h.check_result_id, r.status, r.closed_on
                   FROM hazard h JOIN rectification_item r ON r.hazard_id = h.id
                   WHERE h.check_result_id IN (SELECT value FROM json_each(?)) AND h.deleted = 0
                     AND r.deleted = 0 AND r.status != 'superseded'""", (json.dumps(failed_ids),)):
            hazards[result_id] = (status, _date(closed_on))
    previous = {}
    for code, (outcome, result_id, started_at) in last.items():
        status, closed_on = hazards.get(result_id, (None, None))
        previous[code] = PreviousResult(outcome=outcome, on=_day(started_at), failures=failures.get(code, 0),
                                        rectified_on=closed_on if status == "closed" else None,
                                        hazard_status=status)
    return previous


# The earlier hazards of hazard `h`'s tenant (or its park's common areas) and item that had been
# closed by the day `h` was found. A hazard found again while the earlier one is still open is the
# same finding, not a repeat.
EARLIER_CLOSED_SQL = """
    SELECT count(DISTINCT e.id) FROM hazard e JOIN rectification_item r ON r.hazard_id = e.id
    WHERE e.tenant_id IS h.tenant_id AND e.park_id = h.park_id AND e.item_code = h.item_code
      AND e.id != h.id AND e.deleted = 0 AND r.deleted = 0 AND +r.status = 'closed'
      AND r.closed_on <= h.found_on"""
# `+r.status`: without the unary plus SQLite starts from ix_rectification_item_status, i.e. every
# closed item of the county for each hazard; with it, the hazards of the key (ix_hazard_repeat_key:
# park, tenant, item code; `IS` finds a park's common-area hazards in it too, where the tenant
# index held every common-area hazard of the county) and their items
# (ix_rectification_item_hazard_id). Same in due_facts.


def repeat_numbers(conn: sqlite3.Connection, hazard_ids: list[str]) -> dict[str, int]:
    """Hazard id -> the how-many-th finding it is (2 or more), for the hazards that are repeats."""
    if not hazard_ids:
        return {}
    rows = conn.execute(
        f"""SELECT h.id, ({EARLIER_CLOSED_SQL}) FROM hazard h
            WHERE h.id IN (SELECT value FROM json_each(?)) AND h.item_code IS NOT NULL""",
        (json.dumps(hazard_ids),))
    return {hazard_id: earlier + 1 for hazard_id, earlier in rows if earlier}


# The unclosed hazards that are repeats, with their park, computed afresh: what `hazard_repeat`
# holds (migration 0021, kept by triggers; `parkinspect check` compares the two).
REPEAT_HAZARDS_SQL = f"""
    SELECT h.id, h.park_id FROM hazard h
    WHERE h.deleted = 0 AND h.status IN {OPEN_HAZARD_STATUSES_SQL} AND h.item_code IS NOT NULL
      AND ({EARLIER_CLOSED_SQL}) > 0"""


def repeat_counts(conn: sqlite3.Connection, park_id: str | None = None) -> dict[str, int]:
    """Park id -> its hazards not yet closed that are repeats (the overview's figure), from the
    rows the triggers keep: computed afresh for each of the county's 48,730 unclosed hazards at
    300,000 tenants it took 1.2 s."""
    where = "WHERE park_id = ?" if park_id else ""
    rows = conn.execute(f"SELECT park_id, count(*) FROM hazard_repeat {where} GROUP BY park_id",
                        (park_id,) if park_id else ())
    return dict(rows.fetchall())


def visits(conn: sqlite3.Connection, tenant_ids: list[str]) -> dict[str, Visit]:
    """Tenant id -> its last finished inspection's day and whether one is unfinished (tenants
    never inspected are left out)."""
    if not tenant_ids:
        return {}
    rows = conn.execute(
        """SELECT tenant_id, max(CASE WHEN status = 'finished' THEN started_at END),
                  max(status = 'in_progress')
           FROM inspection WHERE tenant_id IN (SELECT value FROM json_each(?)) AND deleted = 0
           GROUP BY tenant_id""", (json.dumps(tenant_ids),))
    return {tenant_id: Visit(_day(last), bool(unfinished)) for tenant_id, last, unfinished in rows}


def due_facts(conn: sqlite3.Connection, park_id: str | None) -> list[DueFacts]:
    """Every tenant in the park (every park's for None) with its last inspection and the earliest
    deadline of its hazards still to be rectified or re-inspected: two index lookups per tenant."""
    # Two statements rather than "(? IS NULL OR park_id = ?)", which keeps SQLite off the park index.
    where = "t.park_id = ?" if park_id else "1"
    rows = conn.execute(
        f"""SELECT t.id, t.park_id, t.name, t.building, t.unit_no, t.fire_hazard_class, t.risk_points,
                  t.people_living_on_site,
                  (SELECT max(i.started_at) FROM inspection i
                    WHERE i.tenant_id = t.id AND i.deleted = 0 AND i.status = 'finished'),
                  (SELECT min(r.deadline) FROM hazard h JOIN rectification_item r ON r.hazard_id = h.id
                    WHERE h.tenant_id = t.id AND h.deleted = 0 AND r.deleted = 0
                      AND +r.status IN ('open', 'pending_review')),
                  EXISTS (SELECT 1 FROM inspection i
                    WHERE i.tenant_id = t.id AND i.deleted = 0 AND i.status = 'in_progress')
           FROM tenant t
           WHERE {where} AND {current_tenant_sql("t")}""",
        (park_id,) if park_id else ())
    return [DueFacts(tenant_id=r[0], park_id=r[1], name=r[2], building=r[3], unit_no=r[4], fire_hazard_class=r[5],
                     risk_points=tuple(json.loads(r[6] or "[]")), people_living_on_site=bool(r[7]),
                     last_inspected=_day(r[8]), next_deadline=_date(r[9]), unfinished=bool(r[10]))
            for r in rows]


def notice_served_on(conn: sqlite3.Connection, notice_numbers: list[str]) -> dict[str, date]:
    """Notice number -> the day it was served (its latest service record counts)."""
    if not notice_numbers:
        return {}
    rows = conn.execute(
        """SELECT n.number, s.served_on FROM notice n JOIN notice_service s ON s.notice_id = n.id
           WHERE n.number IN (SELECT value FROM json_each(?)) AND s.deleted = 0
           ORDER BY s.hlc""", (json.dumps(notice_numbers),))
    return {number: date.fromisoformat(served_on) for number, served_on in rows}  # the latest wins
