"""the hub's tables as the first hubs made them (metadata.create_all, before migrations)

A hub made before its schema had migrations has these tables and no alembic_version: it is
stamped at this revision and upgraded from here (inspect_app/hub/migrate.py). The columns are
written out, not taken from storage.metadata, so that this revision never changes.

Revision ID: 0001_hub_initial
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_hub_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("device_id", sa.String(64), nullable=True, index=True),
        sa.Column("parks", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "change",
        sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(64), nullable=False),
        sa.Column("park_id", sa.String(64), nullable=True),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("hlc", sa.String(100), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("base", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("device_id", "device_seq", name="ux_change_device_seq"),
        sa.Index("ix_change_park_seq", "park_id", "seq"),
        sa.Index("ix_change_row", "table_name", "row_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "row_state",
        sa.Column("table_name", sa.String(40), primary_key=True),
        sa.Column("row_id", sa.String(64), primary_key=True),
        sa.Column("park_id", sa.String(64), nullable=True, index=True),
        sa.Column("sha256", sa.String(64), nullable=True, index=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("field_hlcs", sa.JSON(), nullable=False),
        sa.Column("field_seen", sa.JSON(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
    )
    op.create_table(
        "attachment",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in ("attachment", "row_state", "change", "device"):
        op.drop_table(name)
