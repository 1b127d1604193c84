"""lean_results: the two largest tables lose their index on `hlc`

Every synced table has an index on `hlc` (its row's newest stamp). For check results (31 per
inspection) and quarterly reports (one per tenant and quarter) nothing reads that index but the
re-send after a hub restore (inspect_app/sync/resend.py: every row stamped after the hub's mark), a
rare event that can afford to read the table once. The two indexes were 42 MB of a 1× county's
531 MB compacted file (docs/PERFORMANCE.md, "Device file size").

Revision ID: 0022_lean_results
Revises: 0021_county_facts
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_lean_results"
down_revision: str | None = "0021_county_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("check_result", "quarterly_report")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_hlc")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_hlc ON {table} (hlc)")
