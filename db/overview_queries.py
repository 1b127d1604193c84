"""What the park and county overview (inspect_app/services/park_overview.py) and its quarterly
report (inspect_app/services/quarterly_report.py) read: parks, the totals the triggers keep per
park and per park-quarter, overdue items, the tenants' table, the flagged tenants' names.

Plain SQL on a `Store.read_connection()` connection, a handful of aggregate statements per
overview; rows come back as tuples in the order the service builds its figures from.
"""

from __future__ import annotations

import json
import sqlite3

from db.overview import COUNTY_OVERDUE_SQL, overdue_sql
from db.tenant_rules import current_tenant_sql


def _park_filter(column: str, park_id: str | None) -> str:
    return f"AND {column} = :park_id" if park_id else ""


def _parks_sql(park_id: str | None) -> str:
    return f"""
SELECT id, code, name, street, land_area_mu, floor_area_m2 FROM park
WHERE deleted = 0 {_park_filter("id", park_id)} ORDER BY code
"""


def _park_totals_sql(park_id: str | None) -> str:
    # Kept per park by triggers (migration 0005): tenants and unclosed hazards by severity.
    return f"""
SELECT park_id, tenants, rented_area_m2, headcount, above_tenants, unclosed_general, unclosed_major
FROM park_total WHERE 1 {_park_filter("park_id", park_id)}
"""


def _quarterly_sql(park_id: str | None) -> str:
    # Totals per park and quarter kept by triggers (migration 0004): the same sums as a GROUP BY
    # of the live tenants' live reports, read in one row per park-quarter.
    return f"""
SELECT park_id, year, quarter, output_wan, electricity_kwh, tax_wan, above_output_wan, reports
FROM park_quarter_total
WHERE year * 4 + quarter - 1 BETWEEN :first AND :last {_park_filter("park_id", park_id)}
"""


TENANT_ROWS_SQL = f"""
SELECT t.id, t.name, t.credit_code, t.building, t.unit_no, t.scale, t.efficiency_class, t.rented_area_m2,
       t.headcount, now.output_value_wan, now.electricity_kwh, now.water_t, now.tax_wan, before.output_value_wan
FROM tenant t
LEFT JOIN quarterly_report now
       ON now.tenant_id = t.id AND now.deleted = 0 AND now.year = :year AND now.quarter = :quarter
LEFT JOIN quarterly_report before
       ON before.tenant_id = t.id AND before.deleted = 0 AND before.year = :year - 1 AND before.quarter = :quarter
WHERE t.park_id = :park_id AND {current_tenant_sql("t")}
ORDER BY t.name, t.credit_code
"""


def has_reports(conn: sqlite3.Connection, year: int, quarter: int) -> bool:
    """Whether any live report of the county is for the quarter (one indexed probe)."""
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM quarterly_report WHERE deleted = 0 "
                             "AND year = ? AND quarter = ?)", (year, quarter)).fetchone()[0])


def latest_report_index(conn: sqlite3.Connection, up_to: int) -> int | None:
    """The latest quarter index (year * 4 + quarter - 1), at most `up_to`, with a live report."""
    (index,) = conn.execute("SELECT max(year * 4 + quarter - 1) FROM quarterly_report "
                            "WHERE deleted = 0 AND year * 4 + quarter - 1 <= ?", (up_to,)).fetchone()
    return index


def park_id_for_code(conn: sqlite3.Connection, code: str) -> str | None:
    row = conn.execute("SELECT id FROM park WHERE deleted = 0 AND code = ?", (code,)).fetchone()
    return row[0] if row else None


def tenant_parks(conn: sqlite3.Connection, tenant_ids: list[str]) -> dict[str, str]:
    """{tenant id: park id} of the tenants given."""
    return dict(conn.execute("SELECT id, park_id FROM tenant WHERE id IN (SELECT value FROM json_each(?))",
                             (json.dumps(tenant_ids),)))


def parks(conn: sqlite3.Connection, park_id: str | None) -> list[tuple]:
    """(id, code, name, street, land area 亩, floor area m²) of every live park, or of one, by code."""
    return conn.execute(_parks_sql(park_id), {"park_id": park_id}).fetchall()


def park_totals(conn: sqlite3.Connection, park_id: str | None) -> dict[str, tuple]:
    """{park: (tenants, rented area, headcount, above scale, unclosed general, unclosed major)}."""
    return {row[0]: row[1:] for row in conn.execute(_park_totals_sql(park_id), {"park_id": park_id})}


def quarter_totals(conn: sqlite3.Connection, park_id: str | None, first: int, last: int) -> list[tuple]:
    """(park, year, quarter, output, electricity, tax, output above scale, reports) per park-quarter
    from quarter index `first` to `last`."""
    return conn.execute(_quarterly_sql(park_id), {"park_id": park_id, "first": first, "last": last}).fetchall()


def overdue_counts(conn: sqlite3.Connection, park_id: str | None, today: str) -> dict[tuple[str, bool], int]:
    """{(park, major?): overdue hazards} as of `today` (ISO date; the rule of db/hazard_rules.py)."""
    sql = overdue_sql(one_park=True) if park_id else COUNTY_OVERDUE_SQL
    return {(park, severity == "major"): count for park, severity, count in conn.execute(
        sql, {"park_id": park_id, "today": today})}


def hazard_closure_counts(conn: sqlite3.Connection, park_id: str | None) -> dict[str, tuple[int, int]]:
    """{park: (hazards, of them closed)}: every live hazard ever found, tenants' and common areas'."""
    where = "AND park_id = :park_id" if park_id else ""
    return {park: (found, closed) for park, found, closed in conn.execute(
        f"SELECT park_id, count(*), sum(status = 'closed') FROM hazard WHERE deleted = 0 {where} GROUP BY park_id",
        {"park_id": park_id})}


def tenant_rows(conn: sqlite3.Connection, park_id: str, year: int, quarter: int) -> list[tuple]:
    """The park's tenants in the park with the quarter's figures and the same quarter a year before."""
    return conn.execute(TENANT_ROWS_SQL, {"park_id": park_id, "year": year, "quarter": quarter}).fetchall()


def park_districts(conn: sqlite3.Connection) -> set[str]:
    """The districts the live parks name (trimmed, blanks left out)."""
    return {row[0].strip() for row in conn.execute("SELECT DISTINCT district FROM park WHERE deleted = 0")
            if row[0] and row[0].strip()}


def tenant_names(conn: sqlite3.Connection, tenant_ids: list[str]) -> list[tuple[str, str, str, str]]:
    """(id, park id, name, credit code) of the tenants given."""
    return conn.execute("SELECT id, park_id, name, credit_code FROM tenant WHERE id IN (SELECT value FROM json_each(?))",
                        (json.dumps(tenant_ids),)).fetchall()
