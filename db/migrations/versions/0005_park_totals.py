"""per-park tenant and hazard totals, kept by triggers; open items by deadline

The park list (read at every start-up) and the overview counted every live tenant and every
unclosed hazard of the county at each reading: 25 ms at 30,000 tenants, 260 ms at 300,000, which
made start-up grow with the county rather than with the parks it lists. `park_total` keeps, per
park, what those counts gave — live in-park tenants, their rented area and headcount, how many are
above designated size, unclosed hazards (open, pending review, escalated) by severity — updated
by SQLite triggers inside the transaction of every write to `tenant` and `hazard`, whatever
writes it (form, import, sync, bundle). Derived, local data: never logged or synced.

"Overdue" depends on today, so it stays a query over the open items (ix_rectification_item_status).
An index on (status, deadline) was tried and left out: without statistics SQLite then preferred it
to ix_rectification_item_hazard_id for one hazard's items, and a ledger page's hazard counts and a
park's overdue count read every overdue item of the county for each hazard (2.7 -> 17.7 ms and
0.1 -> 28 ms at 30,000 tenants).

Revision ID: 0005_park_totals
Revises: 0004_park_quarter_totals
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_park_totals"
down_revision: str | None = "0004_park_quarter_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCLOSED = "('open', 'pending_review', 'escalated')"  # db/overview.py OPEN_HAZARD_STATUSES, as of this revision
TENANT_COLUMNS = ("park_id", "deleted", "status", "rented_area_m2", "headcount", "scale")
HAZARD_COLUMNS = ("park_id", "deleted", "status", "severity")
ADD = """
ON CONFLICT (park_id) DO UPDATE SET
    tenants = tenants + excluded.tenants,
    rented_area_m2 = rented_area_m2 + excluded.rented_area_m2,
    headcount = headcount + excluded.headcount,
    above_tenants = above_tenants + excluded.above_tenants,
    unclosed_general = unclosed_general + excluded.unclosed_general,
    unclosed_major = unclosed_major + excluded.unclosed_major;"""
COLUMNS = "park_id, tenants, rented_area_m2, headcount, above_tenants, unclosed_general, unclosed_major"


def _tenant(row: str, sign: str) -> str:
    """Add (sign '') or take away ('-') the tenant `row` (NEW or OLD) if it counts."""
    return f"""
    INSERT INTO park_total ({COLUMNS})
    SELECT {row}.park_id, {sign}1, {sign}coalesce({row}.rented_area_m2, 0), {sign}coalesce({row}.headcount, 0),
           {sign}({row}.scale = 'above'), 0, 0
    WHERE {row}.deleted = 0 AND {row}.status = 'in_park'
    {ADD}"""


def _hazard(row: str, sign: str) -> str:
    return f"""
    INSERT INTO park_total ({COLUMNS})
    SELECT {row}.park_id, 0, 0, 0, 0, {sign}({row}.severity != 'major'), {sign}({row}.severity = 'major')
    WHERE {row}.deleted = 0 AND {row}.status IN {UNCLOSED}
    {ADD}"""


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


TRIGGERS = {
    "tr_tenant_park_total_insert": f"AFTER INSERT ON tenant BEGIN{_tenant('NEW', '')}\nEND",
    "tr_tenant_park_total_update": (
        f"AFTER UPDATE OF {', '.join(TENANT_COLUMNS)} ON tenant WHEN {_changed(TENANT_COLUMNS)} "
        f"BEGIN{_tenant('OLD', '-')}{_tenant('NEW', '')}\nEND"),
    "tr_tenant_park_total_delete": f"AFTER DELETE ON tenant BEGIN{_tenant('OLD', '-')}\nEND",
    "tr_hazard_park_total_insert": f"AFTER INSERT ON hazard BEGIN{_hazard('NEW', '')}\nEND",
    "tr_hazard_park_total_update": (
        f"AFTER UPDATE OF {', '.join(HAZARD_COLUMNS)} ON hazard WHEN {_changed(HAZARD_COLUMNS)} "
        f"BEGIN{_hazard('OLD', '-')}{_hazard('NEW', '')}\nEND"),
    "tr_hazard_park_total_delete": f"AFTER DELETE ON hazard BEGIN{_hazard('OLD', '-')}\nEND",
}


def upgrade() -> None:
    op.execute("""
CREATE TABLE park_total (
    park_id VARCHAR NOT NULL PRIMARY KEY,
    tenants INTEGER NOT NULL,
    rented_area_m2 FLOAT NOT NULL,
    headcount INTEGER NOT NULL,
    above_tenants INTEGER NOT NULL,
    unclosed_general INTEGER NOT NULL,
    unclosed_major INTEGER NOT NULL
)""")
    op.execute(f"""
INSERT INTO park_total ({COLUMNS})
SELECT park_id, sum(tenants), sum(area), sum(headcount), sum(above), sum(general), sum(major) FROM (
    SELECT park_id, count(*) AS tenants, coalesce(sum(rented_area_m2), 0) AS area,
           coalesce(sum(headcount), 0) AS headcount, sum(scale = 'above') AS above, 0 AS general, 0 AS major
    FROM tenant WHERE deleted = 0 AND status = 'in_park' GROUP BY park_id
    UNION ALL
    SELECT park_id, 0, 0, 0, 0, sum(severity != 'major'), sum(severity = 'major')
    FROM hazard WHERE deleted = 0 AND status IN {UNCLOSED} GROUP BY park_id
) GROUP BY park_id""")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE park_total")
