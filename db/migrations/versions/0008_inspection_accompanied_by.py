"""the unit's accompanying person (陪同人员) of an inspection, who signs the 检查记录

A nullable column, synced like the inspection's other fields; older rows have no name and their
record prints an empty signature line.

Revision ID: 0008_inspection_accompanied_by
Revises: 0007_duplicate_review
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_inspection_accompanied_by"
down_revision: str | None = "0007_duplicate_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: no table rebuild (the inspection table keeps its indexes as they are).
    op.add_column("inspection", sa.Column("accompanied_by", sa.String(length=50), nullable=True))


def downgrade() -> None:
    op.drop_column("inspection", "accompanied_by")
