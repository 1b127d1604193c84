"""双随机 inspection plans: inspection_plan, plan_recusal, plan_draw, inspection_task

The office plans the quarter's inspections: a plan (parks, how many tenants, risk weights,
inspectors), recusal declarations, the reproducible draw (append-only: seed, register and its
sha256, result) and the tasks it assigns, which reach the laptops of the task's park by sync and
link to the inspection started from them (inspect_app/services/plans.py, docs/SYNC.md "Rules").

Revision ID: 0012_inspection_plans
Revises: 0011_tenant_search
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_inspection_plans"
down_revision: str | None = "0011_tenant_search"
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
        "inspection_plan",
        *_sync_columns(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("park_ids", sa.JSON(), nullable=False),
        sa.Column("draw_ratio", sa.Float(), nullable=True),
        sa.Column("draw_count", sa.Integer(), nullable=True),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("inspector_ids", sa.JSON(), nullable=False),
        sa.Column("inspectors_per_task", sa.Integer(), nullable=False),
        sa.Column("recuse_own_street", sa.Boolean(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("complete_by", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_inspection_plan_hlc", "inspection_plan", ["hlc"])
    op.create_table(
        "plan_recusal",
        *_sync_columns(),
        sa.Column("inspector_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=True),
        sa.Column("street", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_recusal_hlc", "plan_recusal", ["hlc"])
    op.create_index("ix_plan_recusal_inspector_id", "plan_recusal", ["inspector_id"])
    op.create_table(
        "plan_draw",
        *_sync_columns(),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=False),
        sa.Column("register_sha256", sa.String(length=64), nullable=False),
        sa.Column("register_zlib", sa.LargeBinary(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("parameters_json", sa.String(), nullable=False),
        sa.Column("pairing_json", sa.String(), nullable=False),
        sa.Column("result_json", sa.String(), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("drawn_by", sa.String(length=36), nullable=True),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["inspection_plan.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id"),
    )
    op.create_index("ix_plan_draw_hlc", "plan_draw", ["hlc"])
    op.create_table(
        "inspection_task",
        *_sync_columns(),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("draw_id", sa.String(length=36), nullable=False),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("inspector_ids", sa.JSON(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("complete_by", sa.Date(), nullable=False),
        sa.Column("inspection_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["inspection_plan.id"]),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "tenant_id"),
    )
    op.create_index("ix_inspection_task_hlc", "inspection_task", ["hlc"])
    op.create_index("ix_inspection_task_park_id", "inspection_task", ["park_id"])
    op.create_index("ix_inspection_task_tenant_id", "inspection_task", ["tenant_id"])


def downgrade() -> None:
    for table in ("inspection_task", "plan_draw", "plan_recusal", "inspection_plan"):
        op.drop_table(table)
