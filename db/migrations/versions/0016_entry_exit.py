"""Entry and exit: entry_decision, exit_decision, and the tenant's consent to a bank certificate

`entry_decision` records the park's decision on an applicant screened against its entry rules
(forms/entry_rules.py): the applicant as screened, the refusals found, admit or refuse, who and
when, and the tenant an admission made. `exit_decision` records keep / talk / exit for a tenant of
a quarter's exit list with the grounds shown. Both are synced, append-only and audited on insert.
`tenant.bank_consent` (nullable: None = not recorded, so a device that has not migrated yet still
inserts tenants the others accept) gates the 园区经营信息证明.

Revision ID: 0016_entry_exit
Revises: 0015_star_score
Create Date: 2026-12-17
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_entry_exit"
down_revision: str | None = "0015_star_score"
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
    op.add_column("tenant", sa.Column("bank_consent", sa.Boolean(), nullable=True))
    op.create_table(
        "entry_decision",
        *_sync_columns(),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=False),
        sa.Column("process", sa.String(length=200), nullable=False),
        sa.Column("fire_hazard_class", sa.String(length=1), nullable=False),
        sa.Column("planned_area_m2", sa.Float(), nullable=False),
        sa.Column("planned_headcount", sa.Integer(), nullable=False),
        sa.Column("commitment_tax_wan_per_mu", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rules_id", sa.String(length=40), nullable=False),
        sa.Column("rules_version", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_entry_decision_hlc", "entry_decision", ["hlc"])
    op.create_index("ix_entry_decision_park_id", "entry_decision", ["park_id"])
    op.create_table(
        "exit_decision",
        *_sync_columns(),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("grounds", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exit_decision_hlc", "exit_decision", ["hlc"])
    op.create_index("ix_exit_decision_park_id", "exit_decision", ["park_id"])
    op.create_index("ix_exit_decision_tenant_id", "exit_decision", ["tenant_id"])


def downgrade() -> None:
    for table, indexes in (("exit_decision", ("hlc", "park_id", "tenant_id")), ("entry_decision", ("hlc", "park_id"))):
        for column in indexes:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("bank_consent")
