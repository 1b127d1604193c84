"""sync: field clocks, inbox, refused changes, base clocks on the outbox

Revision ID: 0002_sync
Revises: 0001_initial
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sync"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place (no table copy), so migrating a big outbox is instant.
    op.add_column("change_log", sa.Column("base", sa.JSON(), nullable=True))
    op.create_table(
        "row_version",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("inserted", sa.String(), nullable=False),
        sa.Column("clocks", sa.JSON(), nullable=False),
        sa.Column("seen", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "row_id"),
    )
    op.create_table(
        "applied_change",
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("hub_seq", sa.Integer(), nullable=True),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("base", sa.JSON(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.Column("waiting_for", sa.String(length=36), nullable=True),
        sa.Column("problem", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("origin_device", "device_seq"),
    )
    with op.batch_alter_table("applied_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applied_change_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_applied_change_row_id"), ["row_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applied_change_waiting_for"), ["waiting_for"], unique=False)
    op.create_table(
        "rejected_change",
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_seq"),
    )


def downgrade() -> None:
    op.drop_table("rejected_change")
    with op.batch_alter_table("applied_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applied_change_waiting_for"))
        batch_op.drop_index(batch_op.f("ix_applied_change_row_id"))
        batch_op.drop_index(batch_op.f("ix_applied_change_hlc"))
    op.drop_table("applied_change")
    op.drop_table("row_version")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_column("base")
