"""The figures the 亩均效益 calculator reads (inspect_app/services/mujun.py): one statement.

Per tenant in a park (or in every park): its ledger figures, its park's land and floor area, and the
sums of its live quarterly reports for the year. A LEFT JOIN on a GROUP BY of the year's reports,
so 30,000 tenants take one pass over the year's rows (docs/PERFORMANCE.md "亩均效益").
"""

from __future__ import annotations

import sqlite3

from db.tenant_rules import current_tenant_sql

YEAR_FIGURES_SQL = """
SELECT t.id, t.park_id, t.name, t.credit_code, t.scale, t.efficiency_class, t.rented_area_m2, t.headcount,
       coalesce(r.output, 0), coalesce(r.tax, 0), coalesce(r.power, 0), coalesce(r.quarters, 0),
       p.land_area_mu, p.floor_area_m2
FROM tenant t
JOIN park p ON p.id = t.park_id AND p.deleted = 0
LEFT JOIN (SELECT tenant_id, sum(coalesce(output_value_wan, 0)) AS output, sum(coalesce(tax_wan, 0)) AS tax,
                  sum(coalesce(electricity_kwh, 0)) AS power, count(*) AS quarters
           FROM quarterly_report WHERE deleted = 0 AND year = :year
           GROUP BY tenant_id) r ON r.tenant_id = t.id
WHERE {current} {park}
ORDER BY t.name, t.credit_code
"""


def year_figures(conn: sqlite3.Connection, year: int, park_id: str | None = None) -> list[tuple]:
    """(id, park_id, name, credit_code, scale, official class, rented m², headcount, output 万元, tax 万元,
    kWh, quarters reported, park 亩, park floor m²) per tenant in the park (every park when None)."""
    sql = YEAR_FIGURES_SQL.format(current=current_tenant_sql("t"), park="AND t.park_id = :park_id" if park_id else "")
    return conn.execute(sql, {"year": year, "park_id": park_id}).fetchall()


def latest_report_year(conn: sqlite3.Connection) -> int | None:
    (year,) = conn.execute("SELECT max(year) FROM quarterly_report WHERE deleted = 0").fetchone()
    return year
