"""offline duplicates reviewed, not refused: a plain credit-code index; set-aside changes indexed

Two devices may add (or change a tenant to) the same credit code in one park while offline. With
a unique index, the second row could not be stored on the other device and its merge set the
change aside, so devices held different tenants. Now both rows are stored everywhere and listed
for review (inspect_app/services/duplicates.py): merged into one (`merged_into` on the other,
which becomes a tombstone) or marked as different companies (`distinct_code`). Local input still
refuses a second tenant with a code the park has (services/ledger.py, ledger import).

Revision ID: 0007_duplicate_review
Revises: 0006_hub_identity
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_duplicate_review"
down_revision: str | None = "0006_hub_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ux_tenant_park_credit_code", table_name="tenant")
    op.create_index("ix_tenant_park_credit_code", "tenant", ["park_id", "credit_code"],
                    sqlite_where=sa.text("deleted = 0"))
    # Plain ADD COLUMN (no table rebuild, which would drop the park_total triggers on tenant);
    # SQLite accepts a REFERENCES clause there for a column whose default is NULL.
    op.execute("ALTER TABLE tenant ADD COLUMN merged_into VARCHAR(36) REFERENCES tenant (id)")
    op.add_column("tenant", sa.Column("distinct_code", sa.String(length=18), nullable=True))
    # Remote changes set aside (inspect_app/sync/apply.py), counted by the TUI's status line.
    op.create_index("ix_applied_change_problem", "applied_change", ["problem"],
                    sqlite_where=sa.text("problem IS NOT NULL"))


def downgrade() -> None:
    # Only where no two live tenants of a park share a code (the unique index refuses otherwise).
    op.drop_index("ix_applied_change_problem", table_name="applied_change")
    op.drop_column("tenant", "distinct_code")
    op.drop_column("tenant", "merged_into")
    op.drop_index("ix_tenant_park_credit_code", table_name="tenant")
    op.create_index("ux_tenant_park_credit_code", "tenant", ["park_id", "credit_code"], unique=True,
                    sqlite_where=sa.text("deleted = 0"))
