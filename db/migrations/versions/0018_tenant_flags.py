"""hazards in the view's order, and the facts the county's risk flags read, kept by triggers

`hazard_key`: one row per live hazard and live rectification item (the hazards view's outer join
of the two: a hazard without a live item has one row with the item's columns NULL) holding what the
view filters and sorts on — park, tenant, severity, both statuses, the deadline, the day found.
Its index on (no deadline last, deadline, day found, hazard id) is the view's ORDER BY, so SQLite
reads the first page of hazards in order and stops, instead of sorting every match (200,000 at a
province's ten counties); a partial index on the deadlines of open hazards with open items
(db/hazard_rules.py: the only ones that can be overdue) lets the overdue hazards be read as a range
of deadlines before today. Each trigger computes the rows of the hazard written afresh from
`hazard` and `rectification_item` (delete, then insert the join's rows for that hazard), so
whatever writes the two tables (form, import, sync merge, a first sync's snapshot, a bundle, the
benchmarks' replicate.py) keeps it.

`report_fact`: one row per live quarterly report with the same tenant's live report of the same
quarter a year earlier: its output beside this one's, and their ratio. The declining rule's
candidates are a range of that ratio in one quarter, the suspected zombie's a range of outputs in
one quarter — read by index instead of every tenant's report of the quarter and its year-before
report. Triggers on `quarterly_report` compute afresh the fact of the report written and of the
one a year later (whose year-before report it is).

Derived, local data: never logged or synced; `parkinspect check` compares both with a fresh
computation (db/maintenance_queries.py). And a partial index of the failed check results, so that
whether a tenant's latest ledger verification failed is one probe, not a read of its 31 results.

Revision ID: 0018_tenant_flags
Revises: 0017_tenant_fts
Create Date: 2026-12-20
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_tenant_flags"
down_revision: str | None = "0017_tenant_fts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# --- hazard_key ----------------------------------------------------------------------------------

HAZARD_KEY_COLUMNS = ("hazard_id, item_id, park_id, tenant_id, severity, hazard_status, item_status, deadline, "
                      "no_deadline, found_on")
# The rows of a hazard as the hazards view joins them (services/hazards.py LIVE_ITEM, as of this
# revision): the live hazard with each of its live items, or alone.
HAZARD_KEY_SELECT = """
SELECT h.id, r.id, h.park_id, h.tenant_id, h.severity, h.status, r.status, r.deadline, r.deadline IS NULL, h.found_on
FROM hazard h
LEFT JOIN rectification_item r ON r.hazard_id = h.id AND r.deleted = 0 AND r.status != 'superseded'
WHERE h.deleted = 0"""


def _refresh_hazard(hazard_id: str) -> str:
    return f"""
    DELETE FROM hazard_key WHERE hazard_id = {hazard_id};
    INSERT INTO hazard_key ({HAZARD_KEY_COLUMNS}) {HAZARD_KEY_SELECT} AND h.id = {hazard_id};"""


HAZARD_COLUMNS = ("id", "park_id", "tenant_id", "severity", "status", "found_on", "deleted")
ITEM_COLUMNS = ("hazard_id", "deleted", "status", "deadline")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


HAZARD_KEY_TRIGGERS = {
    "tr_hazard_key_hazard_insert": f"AFTER INSERT ON hazard BEGIN{_refresh_hazard('NEW.id')}\nEND",
    "tr_hazard_key_hazard_update": (
        f"AFTER UPDATE OF {', '.join(HAZARD_COLUMNS)} ON hazard WHEN {_changed(HAZARD_COLUMNS)} "
        f"BEGIN\n    DELETE FROM hazard_key WHERE hazard_id = OLD.id;{_refresh_hazard('NEW.id')}\nEND"),
    "tr_hazard_key_hazard_delete": "AFTER DELETE ON hazard BEGIN\n    DELETE FROM hazard_key WHERE hazard_id = OLD.id;\nEND",
    "tr_hazard_key_item_insert": f"AFTER INSERT ON rectification_item BEGIN{_refresh_hazard('NEW.hazard_id')}\nEND",
    "tr_hazard_key_item_update": (
        f"AFTER UPDATE OF {', '.join(ITEM_COLUMNS)} ON rectification_item WHEN {_changed(ITEM_COLUMNS)} "
        f"BEGIN{_refresh_hazard('OLD.hazard_id')}{_refresh_hazard('NEW.hazard_id')}\nEND"),
    "tr_hazard_key_item_delete": f"AFTER DELETE ON rectification_item BEGIN{_refresh_hazard('OLD.hazard_id')}\nEND",
}

# --- report_fact ---------------------------------------------------------------------------------

REPORT_FACT_COLUMNS = ("tenant_id, year, quarter, quarter_index, output_wan, electricity_kwh, "
                       "output_year_before_wan, output_ratio")
# A live report with the tenant's live report of the same quarter a year before (the unique
# (tenant, year, quarter) index finds it); the ratio only where the earlier output is above 0.
REPORT_FACT_SELECT = """
SELECT r.tenant_id, r.year, r.quarter, r.year * 4 + r.quarter - 1, r.output_value_wan, r.electricity_kwh,
       b.output_value_wan, CASE WHEN b.output_value_wan > 0 THEN r.output_value_wan / b.output_value_wan END
FROM quarterly_report r
LEFT JOIN quarterly_report b ON b.tenant_id = r.tenant_id AND b.year = r.year - 1 AND b.quarter = r.quarter
                            AND b.deleted = 0
WHERE r.deleted = 0"""


def _refresh_report(row: str, years_later: int) -> str:
    """Compute afresh the fact of the report `years_later` years after `row`'s (NEW or OLD)."""
    year = f"{row}.year + {years_later}" if years_later else f"{row}.year"
    key = f"tenant_id = {row}.tenant_id AND year = {year} AND quarter = {row}.quarter"
    return f"""
    DELETE FROM report_fact WHERE {key};
    INSERT INTO report_fact ({REPORT_FACT_COLUMNS}) {REPORT_FACT_SELECT}
        AND r.tenant_id = {row}.tenant_id AND r.year = {year} AND r.quarter = {row}.quarter;"""


def _refresh_reports(row: str) -> str:
    return _refresh_report(row, 0) + _refresh_report(row, 1)


REPORT_COLUMNS = ("tenant_id", "year", "quarter", "deleted", "output_value_wan", "electricity_kwh")
REPORT_FACT_TRIGGERS = {
    "tr_report_fact_insert": f"AFTER INSERT ON quarterly_report BEGIN{_refresh_reports('NEW')}\nEND",
    "tr_report_fact_update": (
        f"AFTER UPDATE OF {', '.join(REPORT_COLUMNS)} ON quarterly_report WHEN {_changed(REPORT_COLUMNS)} "
        f"BEGIN{_refresh_reports('OLD')}{_refresh_reports('NEW')}\nEND"),
    "tr_report_fact_delete": f"AFTER DELETE ON quarterly_report BEGIN{_refresh_reports('OLD')}\nEND",
}

TRIGGERS = {**HAZARD_KEY_TRIGGERS, **REPORT_FACT_TRIGGERS}


def upgrade() -> None:
    op.execute("""
CREATE TABLE hazard_key (
    id INTEGER NOT NULL PRIMARY KEY,
    hazard_id VARCHAR NOT NULL,
    item_id VARCHAR,
    park_id VARCHAR NOT NULL,
    tenant_id VARCHAR,
    severity VARCHAR NOT NULL,
    hazard_status VARCHAR NOT NULL,
    item_status VARCHAR,
    deadline DATE,
    no_deadline BOOLEAN NOT NULL,
    found_on DATE NOT NULL
)""")
    op.execute(f"INSERT INTO hazard_key ({HAZARD_KEY_COLUMNS}) {HAZARD_KEY_SELECT}")
    op.execute("CREATE INDEX ix_hazard_key_hazard_id ON hazard_key (hazard_id)")
    op.execute("CREATE INDEX ix_hazard_key_order ON hazard_key (no_deadline, deadline, found_on, hazard_id)")
    op.execute("CREATE INDEX ix_hazard_key_park_order ON hazard_key (park_id, no_deadline, deadline, found_on, "
               "hazard_id)")
    op.execute("CREATE INDEX ix_hazard_key_tenant_id ON hazard_key (tenant_id)")
    # The only rows that can be overdue (db/hazard_rules.py), by deadline.
    op.execute("CREATE INDEX ix_hazard_key_open_deadline ON hazard_key (deadline, tenant_id) "
               "WHERE hazard_status = 'open' AND item_status = 'open' AND deadline IS NOT NULL")
    op.execute("""
CREATE TABLE report_fact (
    tenant_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    quarter_index INTEGER NOT NULL,
    output_wan FLOAT,
    electricity_kwh FLOAT,
    output_year_before_wan FLOAT,
    output_ratio FLOAT,
    PRIMARY KEY (tenant_id, year, quarter)
)""")
    op.execute(f"INSERT INTO report_fact ({REPORT_FACT_COLUMNS}) {REPORT_FACT_SELECT}")
    op.execute("CREATE INDEX ix_report_fact_output ON report_fact (quarter_index, output_wan)")
    op.execute("CREATE INDEX ix_report_fact_ratio ON report_fact (quarter_index, output_ratio)")
    # The failed items of an inspection in one probe, not a read of its 31 results (the county's
    # ledger mismatch flag asks it of every tenant's latest ledger verification).
    op.execute("CREATE INDEX ix_check_result_failed ON check_result (inspection_id) "
               "WHERE outcome = 'fail' AND deleted = 0")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    op.execute("DROP INDEX ix_check_result_failed")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE report_fact")
    op.execute("DROP TABLE hazard_key")
