"""per-park quarterly totals, kept by triggers

The county overview summed every tenant's quarterly reports of eight quarters at each opening
(206 ms of its ~540 ms on 30,000 tenants; ten times that at ten times the county). These totals
per park and quarter are what it shows: kept up to date by SQLite triggers inside the transaction
of every write to `quarterly_report` (form, grid, import, sync, bundle alike) and of every change
of a tenant's park, scale or deletion, they make its cost follow the number of parks.

A total counts the live reports (deleted = 0) of live tenants (deleted = 0) — the same rows the
overview summed before; it is local, derived data (never logged or synced; a restore brings the
backup's own). A report's values come in through coalesce(value, 0), and a park-quarter left with
no report is removed, so the table holds exactly the groups a GROUP BY would give.

Revision ID: 0004_park_quarter_totals
Revises: 0003_inspection_template_index
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_park_quarter_totals"
down_revision: str | None = "0003_inspection_template_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "park_id, year, quarter, output_wan, electricity_kwh, tax_wan, above_output_wan, reports"
ADD = """
ON CONFLICT (park_id, year, quarter) DO UPDATE SET
    output_wan = output_wan + excluded.output_wan,
    electricity_kwh = electricity_kwh + excluded.electricity_kwh,
    tax_wan = tax_wan + excluded.tax_wan,
    above_output_wan = above_output_wan + excluded.above_output_wan,
    reports = reports + excluded.reports"""


REPORT_COLUMNS = ("tenant_id", "year", "quarter", "deleted", "output_value_wan", "electricity_kwh", "tax_wan")


def _report(row: str, sign: str) -> str:
    """Add (sign '+') or take away ('-') the report `row` (NEW or OLD) to its tenant's park."""
    return f"""
    INSERT INTO park_quarter_total ({COLUMNS})
    SELECT t.park_id, {row}.year, {row}.quarter, {sign}coalesce({row}.output_value_wan, 0),
           {sign}coalesce({row}.electricity_kwh, 0), {sign}coalesce({row}.tax_wan, 0),
           CASE WHEN t.scale = 'above' THEN {sign}coalesce({row}.output_value_wan, 0) ELSE 0 END, {sign}1
    FROM tenant t WHERE t.id = {row}.tenant_id AND t.deleted = 0 AND {row}.deleted = 0
    {ADD};"""


def _tenant(row: str, sign: str) -> str:
    """Add or take away every live report of the tenant `row` (NEW or OLD) to its park."""
    return f"""
    INSERT INTO park_quarter_total ({COLUMNS})
    SELECT {row}.park_id, r.year, r.quarter, {sign}coalesce(sum(r.output_value_wan), 0),
           {sign}coalesce(sum(r.electricity_kwh), 0), {sign}coalesce(sum(r.tax_wan), 0),
           CASE WHEN {row}.scale = 'above' THEN {sign}coalesce(sum(r.output_value_wan), 0) ELSE 0 END,
           {sign}count(*)
    FROM quarterly_report r WHERE r.tenant_id = {row}.id AND r.deleted = 0 AND {row}.deleted = 0
    GROUP BY r.year, r.quarter
    {ADD};"""


def _emptied_report(row: str) -> str:
    """The park-quarter the report `row` left, if no report is left in it (found by primary key)."""
    return f"""
    DELETE FROM park_quarter_total WHERE reports = 0 AND year = {row}.year AND quarter = {row}.quarter
        AND park_id = (SELECT park_id FROM tenant WHERE id = {row}.tenant_id);"""


def _emptied_park(row: str) -> str:
    return f"\n    DELETE FROM park_quarter_total WHERE park_id = {row}.park_id AND reports = 0;"


TRIGGERS = {
    "tr_quarterly_report_total_insert": f"AFTER INSERT ON quarterly_report BEGIN{_report('NEW', '')}\nEND",
    # Only when a counted value really changed: x - v + v is not always x in floating point.
    "tr_quarterly_report_total_update": (
        f"AFTER UPDATE OF {', '.join(REPORT_COLUMNS)} ON quarterly_report WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in REPORT_COLUMNS) +
        f" BEGIN{_report('OLD', '-')}{_report('NEW', '')}{_emptied_report('OLD')}\nEND"),
    "tr_quarterly_report_total_delete": f"AFTER DELETE ON quarterly_report BEGIN{_report('OLD', '-')}{_emptied_report('OLD')}\nEND",
    "tr_tenant_total_update": (
        "AFTER UPDATE OF park_id, scale, deleted ON tenant "
        "WHEN OLD.park_id IS NOT NEW.park_id OR OLD.scale IS NOT NEW.scale OR OLD.deleted IS NOT NEW.deleted "
        f"BEGIN{_tenant('OLD', '-')}{_tenant('NEW', '')}{_emptied_park('OLD')}\nEND"),
}


def upgrade() -> None:
    op.execute("""
CREATE TABLE park_quarter_total (
    park_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    output_wan FLOAT NOT NULL,
    electricity_kwh FLOAT NOT NULL,
    tax_wan FLOAT NOT NULL,
    above_output_wan FLOAT NOT NULL,
    reports INTEGER NOT NULL,
    PRIMARY KEY (park_id, year, quarter)
)""")
    op.execute(f"""
INSERT INTO park_quarter_total ({COLUMNS})
SELECT t.park_id, r.year, r.quarter, coalesce(sum(r.output_value_wan), 0), coalesce(sum(r.electricity_kwh), 0),
       coalesce(sum(r.tax_wan), 0), coalesce(sum(CASE WHEN t.scale = 'above' THEN r.output_value_wan END), 0),
       count(*)
FROM quarterly_report r JOIN tenant t ON t.id = r.tenant_id
WHERE r.deleted = 0 AND t.deleted = 0
GROUP BY t.park_id, r.year, r.quarter""")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE park_quarter_total")
