"""county_candidates: `report_fact` stored by tenant and quarter, the declining candidates in their own index

The county overview's flags read `report_fact` (migration 0018) twice. The declining and idle
candidates of a quarter were two ranges of its indexes, each entry then looked up in the table by
rowid (16,480 rows scattered over 2.2 million at 300,000 tenants); the idle tenants' windows of
reports were read from `quarterly_report` (32,490 wide rows). Together some 180 ms of the
county overview's CPU at that size.

The table is rebuilt without a rowid, keyed by (tenant, quarter index): a tenant's facts are
stored together, so an idle tenant's window is one short range of the table (the same figures
`quarterly_report` holds for its live reports), and every index entry carries the tenant. Its
columns, its rows and the triggers that keep them (0018's, unchanged: they find a fact by
tenant, year and quarter, a range of the key) stay as they were.

- `ix_report_fact_output` (quarter, output): the idle candidates, now with their tenant from the
  index alone.
- `ix_report_fact_ratio` becomes partial and covering: the facts whose output is at most the
  year-before one (ratio ≤ 1, about a sixth of them) with the two outputs, so the declining
  candidates of a quarter are read from the index alone. A tenant can only be declining when its
  output fell (the rule asks for a drop of more than 0 %), so no candidate is lost.

The file does not grow: the primary key's separate index of the rowid table (12.6 MB of a 1×
county) goes, the two indexes grow by the tenant each entry carries.

Revision ID: 0023_county_candidates
Revises: 0022_lean_results
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_county_candidates"
down_revision: str | None = "0022_lean_results"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("tenant_id, year, quarter, quarter_index, output_wan, electricity_kwh, output_year_before_wan, "
           "output_ratio")
# The triggers of 0018 on `quarterly_report`: dropped while the table is rebuilt, then made again
# with their text as it was (read from sqlite_master, so that this migration copies nothing).
TRIGGERS = ("tr_report_fact_insert", "tr_report_fact_update", "tr_report_fact_delete")


def _rebuild(table_sql: str, indexes: tuple[str, ...]) -> None:
    bind = op.get_bind()
    triggers = [bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                     (name,)).scalar_one() for name in TRIGGERS]
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("ALTER TABLE report_fact RENAME TO report_fact_before")
    op.execute(table_sql)
    # In key order: the rows go in at the end of the new table's b-tree, no page split midway.
    op.execute(f"INSERT INTO report_fact ({COLUMNS}) SELECT {COLUMNS} FROM report_fact_before "
               "ORDER BY tenant_id, quarter_index")
    op.execute("DROP TABLE report_fact_before")
    for index in indexes:
        op.execute(index)
    for sql in triggers:
        op.execute(sql)


def upgrade() -> None:
    _rebuild("""
CREATE TABLE report_fact (
    tenant_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    quarter_index INTEGER NOT NULL,
    output_wan FLOAT,
    electricity_kwh FLOAT,
    output_year_before_wan FLOAT,
    output_ratio FLOAT,
    PRIMARY KEY (tenant_id, quarter_index)
) WITHOUT ROWID""", (
        "CREATE INDEX ix_report_fact_output ON report_fact (quarter_index, output_wan)",
        "CREATE INDEX ix_report_fact_ratio ON report_fact (quarter_index, output_ratio, output_wan, "
        "output_year_before_wan) WHERE output_ratio <= 1",
    ))


def downgrade() -> None:
    _rebuild("""
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
)""", (
        "CREATE INDEX ix_report_fact_output ON report_fact (quarter_index, output_wan)",
        "CREATE INDEX ix_report_fact_ratio ON report_fact (quarter_index, output_ratio)",
    ))
