"""Star-rating self-assessment: star_score

The typed scores of the star criteria's items per park and year, with their evidence (synced;
inspect_app/services/stars.py, docs/SYNC.md "Rules").

Revision ID: 0015_star_score
Revises: 0014_building_rules
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_star_score"
down_revision: str | None = "0014_building_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "star_score",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("park_id", "year", "item_code"),
    )
    op.create_index("ix_star_score_hlc", "star_score", ["hlc"])
    op.create_index("ix_star_score_park_id", "star_score", ["park_id"])


def downgrade() -> None:
    op.drop_table("star_score")
