"""the service (送达) of issued documents: notice_service

How each issued document reached its addressee: method (直接送达, 留置送达, 邮寄), recipient, the
day in China time, refusal to sign and the witness, who recorded it. Synced and append-only: a
correction is a new row and the latest counts (inspect_app/services/notice_service.py). A
document not served within three working days of its issue is shown as late.

Revision ID: 0010_notice_service
Revises: 0009_notice_series
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_notice_service"
down_revision: str | None = "0009_notice_series"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_service",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("notice_id", sa.String(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("witness", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_service_hlc", "notice_service", ["hlc"])
    op.create_index("ix_notice_service_notice_id", "notice_service", ["notice_id"])


def downgrade() -> None:
    op.drop_index("ix_notice_service_notice_id", table_name="notice_service")
    op.drop_index("ix_notice_service_hlc", table_name="notice_service")
    op.drop_table("notice_service")
