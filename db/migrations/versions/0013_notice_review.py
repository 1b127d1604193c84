"""Review before a notice leaves: agency_policy, notice_review

The office's policy (which 整改通知书 need its approval, shared with every device) and the requests
between a laptop and the office: a prepared notice waiting for approval, or the office's request
for changes on a finished inspection (inspect_app/services/notice_review.py, docs/SYNC.md "Rules").

Revision ID: 0013_notice_review
Revises: 0012_inspection_plans
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_notice_review"
down_revision: str | None = "0012_inspection_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sync_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "agency_policy",
        *_sync_columns(),
        sa.Column("notice_review", sa.String(length=10), nullable=False),
        sa.Column("set_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agency_policy_hlc", "agency_policy", ["hlc"])
    op.create_table(
        "notice_review",
        *_sync_columns(),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("inspection_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("hazard_ids", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("prepared_by", sa.String(length=36), nullable=True),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("reviewed_by", sa.String(length=36), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"]),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_review_hlc", "notice_review", ["hlc"])
    op.create_index("ix_notice_review_park_id", "notice_review", ["park_id"])
    op.create_index("ix_notice_review_inspection_id", "notice_review", ["inspection_id"])


def downgrade() -> None:
    for table in ("notice_review", "agency_policy"):
        op.drop_table(table)
