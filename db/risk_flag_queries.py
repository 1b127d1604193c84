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

from db.hazard_queries import OVERDUE as OVERDUE_KEY
from db.hazard_rules import overdue_sql
from db.tenant_rules import current_tenant_sql


def _current_tenant_join(alias: str, tenant_id: str, park_id: str | None) -> str:
    """JOIN the current tenant `alias` of the row's `tenant_id`; in the park `:park_id` when
    `park_id` is given (any non-empty string: the statement takes the park as a parameter)."""
    park = f"AND {alias}.park_id = :park_id" if park_id else ""
    return f"JOIN tenant {alias} ON {alias}.id = {tenant_id} AND {current_tenant_sql(alias)} {park}"


def quarterly_sql(park_id: str | None) -> str:
    # SQL only narrows the tenants to those that may meet a rule (a superset: the zombie run ends
    # with a low output in Q; the decline is checked one point below its threshold); the rules
    # in services/risk_flags.py decide, on the window's reports of these few tenants.
    return f"""
WITH candidates AS MATERIALIZED (  -- evaluated once, before the window's reports are read
    {_park_candidates_sql() if park_id else _county_candidates_sql()}
)
SELECT r.tenant_id, r.year, r.quarter, r.output_value_wan, r.electricity_kwh
FROM candidates c JOIN quarterly_report r ON r.tenant_id = c.tenant_id
WHERE (CASE WHEN c.idle THEN r.year * 4 + r.quarter - 1 BETWEEN :first AND :last  -- the zombie rule's window
            ELSE r.quarter = :quarter AND r.year IN (:year, :year - 1) END)      -- the declining rule's two
  AND r.deleted = 0
"""


def _park_candidates_sql() -> str:
    # One park: each of its current tenants' report of Q and of Q a year before, found by the
    # (tenant, year, quarter) unique index: the work follows the park's tenants.
    return f"""SELECT r.tenant_id, r.output_value_wan < :zombie_output AS idle
    FROM quarterly_report r {_current_tenant_join("t", "r.tenant_id", "park")}
    LEFT JOIN quarterly_report b
           ON b.tenant_id = r.tenant_id AND b.year = :year - 1 AND b.quarter = :quarter AND b.deleted = 0
    WHERE r.deleted = 0 AND r.year = :year AND r.quarter = :quarter AND r.output_value_wan IS NOT NULL
      AND (r.output_value_wan < :zombie_output
           OR (b.output_value_wan > 0 AND r.output_value_wan * 100 <= b.output_value_wan * (100 - :decline_pct + 1)))"""


# The county's current tenants with their parks: `tenant_fact` (migration 0021, kept by triggers),
# a narrow table keyed by tenant, where a look-up in `tenant` (its id index, then its wide row) cost
# about a third more for each of the county's 50,000 candidates and flagged tenants.
COUNTY_TENANT_JOIN = "JOIN tenant_fact t ON t.tenant_id = {tenant_id}"

# The declining rule's candidates of quarter Q among the facts (migration 0018): ratios to the year
# before at most (101 − decline)% (the bound a hair wider than the exact test that follows, so that
# rounding of the stored ratio loses no tenant), outputs at or above the zombie limit (below it a
# tenant is an idle candidate). "output_ratio <= 1": only a fall can be a decline of more than 0 %,
# and those facts are `ix_report_fact_ratio` (migration 0023), which holds both outputs and the
# tenant: the candidates come from the index alone.
_DECLINING = """f.quarter_index = :last AND f.output_ratio <= 1
      AND f.output_ratio <= (101 - :decline_pct) / 100.0 + abs(101 - :decline_pct) / 100.0 * 1e-9 + 1e-12
      AND f.output_wan * 100 <= f.output_year_before_wan * (100 - :decline_pct + 1)
      AND f.output_wan >= :zombie_output"""


def _county_candidates_sql() -> str:
    # The county: the same condition on `report_fact` (migration 0018: each live report beside the
    # year-before one, kept by triggers), as two index ranges of quarter Q — outputs below the
    # zombie limit, and the declining rule's candidates (`_DECLINING`). Every tenant's report of Q
    # and its year-before report took 1.2 s at 300,000 tenants.
    join = COUNTY_TENANT_JOIN.format(tenant_id="f.tenant_id")
    return f"""SELECT f.tenant_id, 1 AS idle
    FROM report_fact f {join}
    WHERE f.quarter_index = :last AND f.output_wan < :zombie_output
    UNION ALL
    SELECT f.tenant_id, 0 AS idle
    FROM report_fact f {join}
    WHERE {_DECLINING}"""


# The county's declining candidates that are not idle ones, with what the declining rule reads
# (this quarter's output and the year-before one, both in the fact row) and their park: no report.
DECLINING_CANDIDATES_SQL = f"""SELECT f.tenant_id, t.park_id, f.output_wan, f.output_year_before_wan
FROM report_fact f {COUNTY_TENANT_JOIN.format(tenant_id="f.tenant_id")}
WHERE {_DECLINING}"""

# The county's idle candidates (output of Q below the zombie limit: `ix_report_fact_output`, which
# holds the tenant) with their park and their window's facts from `first` to `last`, Q's among them
# (its output and the year-before one: the declining rule). `report_fact` is stored by tenant and
# quarter (migration 0023): a window is one short range of the table, the same figures as the
# tenant's live reports in `quarterly_report` (32,490 of its wide rows at 300,000 tenants before).
IDLE_WINDOWS_SQL = f"""SELECT f.tenant_id, t.park_id, w.quarter_index, w.output_wan, w.electricity_kwh,
       w.output_year_before_wan
FROM report_fact f {COUNTY_TENANT_JOIN.format(tenant_id="f.tenant_id")}
JOIN report_fact w ON w.tenant_id = f.tenant_id AND w.quarter_index BETWEEN :first AND :last
WHERE f.quarter_index = :last AND f.output_wan < :zombie_output"""


def overdue_items_sql(park_id: str | None) -> str:
    # Overdue hazards of tenants in the park (db/hazard_rules.py, as db/overview.py counts them).
    # For one park, start from its own hazards (indexed by park) rather than the county's open
    # items: CROSS JOIN is SQLite's way to fix the join order (without ANALYZE it picks the status index).
    # For the county, the range of deadlines before today in `hazard_key`'s index of the open
    # hazards' open items (migration 0018): the overdue ones, not every unclosed item.
    if not park_id:
        return f"""
SELECT k.tenant_id, k.severity, k.deadline, k.item_status, k.hazard_status
FROM hazard_key k {_current_tenant_join("t", "k.tenant_id", None)}
WHERE {OVERDUE_KEY}
"""
    return f"""
SELECT h.tenant_id, h.severity, r.deadline, r.status, h.status
FROM hazard h CROSS JOIN rectification_item r ON r.hazard_id = h.id {_current_tenant_join("t", "h.tenant_id", park_id)}
WHERE h.deleted = 0 AND {overdue_sql("h", "r")}
  AND h.park_id = :park_id
"""


def _latest_ledger_sql(park_id: str | None, template_ids: tuple[str, ...]) -> str:
    """`latest`: each current tenant's finished ledger verifications (one of the templates), newest
    first (`n` = 1 the latest), with the tenant's park."""
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
    SELECT i.id, i.tenant_id, t.park_id, coalesce(i.finished_at, i.started_at) AS done,
           row_number() OVER (PARTITION BY i.tenant_id
                              ORDER BY coalesce(i.finished_at, i.started_at) DESC, i.id DESC) AS n
    FROM {source}
    WHERE i.deleted = 0 AND i.status = 'finished' AND {"+" if park_id else ""}i.template_id IN ({names})
)"""


def ledger_sql(park_id: str | None, template_ids: tuple[str, ...]) -> str:
    return f"""{_latest_ledger_sql(park_id, template_ids)}
SELECT l.tenant_id, l.done, c.item_code, coalesce(c.item_text, ci.item_text), c.observed_value
FROM latest l LEFT JOIN check_result c ON c.inspection_id = l.id AND c.deleted = 0 AND c.outcome = 'fail'
LEFT JOIN checklist_item ci ON ci.id = c.checklist_item_id
WHERE l.n = 1
ORDER BY l.tenant_id, c.position, c.item_code
"""


def mismatched_sql(template_ids: tuple[str, ...]) -> str:
    # The county's tenants whose latest ledger verification has a failed item (ledger_sql's rows
    # with an item), with their park: what the county overview counts. `ledger_fact` (migration
    # 0021, kept by triggers) holds each tenant's latest finished inspection per template and
    # whether it failed: with one ledger template, its failed rows are a range of an index; with
    # several, the latest of each tenant's rows of those templates is its latest verification.
    # Each tenant's verifications ranked among 35,000 took 150 ms at 300,000 tenants.
    names = ", ".join(f":template{n}" for n in range(len(template_ids)))
    join = COUNTY_TENANT_JOIN.format(tenant_id="l.tenant_id")
    if len(template_ids) == 1:
        return f"SELECT l.tenant_id, t.park_id FROM ledger_fact l {join} WHERE l.template_id = {names} AND l.failed = 1"
    return f"""
WITH latest AS (
    SELECT tenant_id, failed,
           row_number() OVER (PARTITION BY tenant_id ORDER BY done DESC, inspection_id DESC) AS n
    FROM ledger_fact WHERE template_id IN ({names})
)
SELECT l.tenant_id, t.park_id FROM latest l {join} WHERE l.n = 1 AND l.failed = 1
"""


# The county's current tenants with an overdue hazard (db/hazard_rules.py), with their park: the
# range of earliest deadlines before today in `tenant_fact` (migration 0021), which keeps each
# current tenant's earliest deadline of an open item of an open hazard — overdue when it is past.
OVERDUE_TENANTS_SQL = "SELECT tenant_id, park_id FROM tenant_fact WHERE overdue_from < :today"


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


def mismatched_tenants(conn: sqlite3.Connection, *, template_ids: tuple[str, ...]) -> dict[str, str]:
    """{tenant id: park id} of the county's current tenants whose latest finished ledger
    verification (one of `template_ids`) has failed items."""
    params = {f"template{n}": template_id for n, template_id in enumerate(template_ids)}
    return dict(conn.execute(mismatched_sql(template_ids), params))


def overdue_tenants(conn: sqlite3.Connection, *, today: date) -> dict[str, str]:
    """{tenant id: park id} of the county's current tenants with an overdue hazard on `today`."""
    return dict(conn.execute(OVERDUE_TENANTS_SQL, {"today": today.isoformat()}))


def declining_candidates(conn: sqlite3.Connection, *, quarter_index: int, zombie_output: float,
                         decline_pct: float) -> list[tuple]:
    """(tenant id, park id, output, output a year before) of the county's current tenants that may
    be declining in the quarter `quarter_index` (idle candidates aside: `idle_windows`)."""
    params = {"last": quarter_index, "zombie_output": zombie_output, "decline_pct": decline_pct}
    return conn.execute(DECLINING_CANDIDATES_SQL, params).fetchall()


def idle_windows(conn: sqlite3.Connection, *, first: int, last: int, zombie_output: float) -> list[tuple]:
    """(tenant id, park id, quarter index, output, electricity, output a year before) of each live
    report from quarter index `first` to `last` of the county's current tenants whose output of
    quarter `last` is below `zombie_output`."""
    return conn.execute(IDLE_WINDOWS_SQL, {"first": first, "last": last, "zombie_output": zombie_output}).fetchall()
