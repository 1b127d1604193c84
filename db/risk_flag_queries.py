"""What the risk flags (inspect_app/services/risk_flags.py) read: each tenant's quarterly figures
that may meet the output rules, its overdue hazards, its latest ledger verification's failures.

Plain SQL on a `Store.read_connection()` connection (the overview runs it on a second one, in a
thread); the statements only narrow the tenants to those that may meet a rule, the service's rules
decide. Rows come back as tuples. The statement builders are public for tests/test_query_plans.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date

from db.hazard_rules import overdue_sql
from db.tenant_rules import current_tenant_sql


def _current_tenant_join(alias: str, tenant_id: str, park_id: str | None) -> str:
    park = f"AND {alias}.park_id = :park_id" if park_id else ""
    return f"JOIN tenant {alias} ON {alias}.id = {tenant_id} AND {current_tenant_sql(alias)} {park}"


def quarterly_sql(park_id: str | None) -> str:
    # SQL only narrows the tenants to those that may meet a rule (a superset: the zombie run ends
    # with a low output in Q; the decline is checked one point below its threshold); the rules
    # in services/risk_flags.py decide. So the county needs the window's reports of a few thousand tenants, not 30,000.
    # Each live tenant's report of Q and of Q a year before are found by the (tenant, year,
    # quarter) unique index: the work follows the tenants asked about, not how many quarters the
    # table holds (two scans of the whole table and a join of the two took 1.7x as long).
    return f"""
WITH candidates AS MATERIALIZED (  -- evaluated once, before the window's reports are read
    SELECT r.tenant_id, r.output_value_wan < :zombie_output AS idle
    FROM quarterly_report r {_current_tenant_join("t", "r.tenant_id", park_id)}
    LEFT JOIN quarterly_report b
           ON b.tenant_id = r.tenant_id AND b.year = :year - 1 AND b.quarter = :quarter AND b.deleted = 0
    WHERE r.deleted = 0 AND r.year = :year AND r.quarter = :quarter AND r.output_value_wan IS NOT NULL
      AND (r.output_value_wan < :zombie_output
           OR (b.output_value_wan > 0 AND r.output_value_wan * 100 <= b.output_value_wan * (100 - :decline_pct + 1)))
)
SELECT r.tenant_id, r.year, r.quarter, r.output_value_wan, r.electricity_kwh
FROM candidates c JOIN quarterly_report r ON r.tenant_id = c.tenant_id
WHERE (CASE WHEN c.idle THEN r.year * 4 + r.quarter - 1 BETWEEN :first AND :last  -- the zombie rule's window
            ELSE r.quarter = :quarter AND r.year IN (:year, :year - 1) END)      -- the declining rule's two
  AND r.deleted = 0
"""


def overdue_items_sql(park_id: str | None) -> str:
    # Overdue hazards of tenants in the park (db/hazard_rules.py, as db/overview.py counts them).
    # For one park, start from its own hazards (indexed by park) rather than the county's open
    # items: CROSS JOIN is SQLite's way to fix the join order (without ANALYZE it picks the status index).
    return f"""
SELECT h.tenant_id, h.severity, r.deadline, r.status, h.status
FROM hazard h {"CROSS JOIN" if park_id else "JOIN"} rectification_item r ON r.hazard_id = h.id {_current_tenant_join("t", "h.tenant_id", park_id)}
WHERE h.deleted = 0 AND {overdue_sql("h", "r")}
  {"AND h.park_id = :park_id" if park_id else ""}
"""


def ledger_sql(park_id: str | None, template_ids: tuple[str, ...]) -> str:
    names = ", ".join(f":template{n}" for n in range(len(template_ids)))
    # The county: the ledger verifications by template (ix_inspection_template_id). One park: its
    # tenants' inspections (ix_inspection_tenant_id) — by template it read the county's, 54 ms
    # for a 100-tenant park among 300,000 tenants. CROSS JOIN fixes that order for SQLite, and
    # the unary + keeps it off the template index.
    source = (f"tenant t CROSS JOIN inspection i ON i.tenant_id = t.id AND {current_tenant_sql('t')} "
              "AND t.park_id = :park_id" if park_id
              else f"inspection i {_current_tenant_join('t', 'i.tenant_id', None)}")
    return f"""
WITH latest AS (
    SELECT i.id, i.tenant_id, coalesce(i.finished_at, i.started_at) AS done,
           row_number() OVER (PARTITION BY i.tenant_id
                              ORDER BY coalesce(i.finished_at, i.started_at) DESC, i.id DESC) AS n
    FROM {source}
    WHERE i.deleted = 0 AND i.status = 'finished' AND {"+" if park_id else ""}i.template_id IN ({names})
)
SELECT l.tenant_id, l.done, c.item_code, coalesce(c.item_text, ci.item_text), c.observed_value
FROM latest l LEFT JOIN check_result c ON c.inspection_id = l.id AND c.deleted = 0 AND c.outcome = 'fail'
LEFT JOIN checklist_item ci ON ci.id = c.checklist_item_id
WHERE l.n = 1
ORDER BY l.tenant_id, c.position, c.item_code
"""


def quarter_reports(conn: sqlite3.Connection, *, year: int, quarter: int, first: int, last: int,
                    zombie_output: float, decline_pct: float, park_id: str | None) -> Iterable[tuple]:
    """(tenant id, year, quarter, output, electricity) of the reports that may meet the output rules
    for quarter `year`/`quarter`: the window `first`..`last` (quarter indexes) of a tenant whose
    output is below `zombie_output`, Q and Q a year before of one that may have declined."""
    params = {"year": year, "quarter": quarter, "first": first, "last": last, "zombie_output": zombie_output,
              "decline_pct": decline_pct, "park_id": park_id}
    return conn.execute(quarterly_sql(park_id), params)


def overdue_items(conn: sqlite3.Connection, *, today: date, park_id: str | None) -> Iterable[tuple]:
    """(tenant id, severity, deadline, item status, hazard status) of the current tenants' overdue hazards."""
    return conn.execute(overdue_items_sql(park_id), {"today": today.isoformat(), "park_id": park_id})


def latest_ledger_checks(conn: sqlite3.Connection, *, template_ids: tuple[str, ...],
                         park_id: str | None) -> Iterable[tuple]:
    """(tenant id, done, item code, item text, observed value) of each current tenant's latest
    finished ledger verification (one of `template_ids`): one row per failed item, in checklist
    order, or one row of None items when nothing failed."""
    params: dict[str, str | None] = {f"template{n}": template_id for n, template_id in enumerate(template_ids)}
    params["park_id"] = park_id
    return conn.execute(ledger_sql(park_id, template_ids), params)
