"""hub identity and history epoch (hub_meta), acknowledged pushes per device (device_ack)

`hub_meta` holds the hub's id, random and made here once (so a hub made before this revision gets
one at its upgrade), and the history epoch, 1 until a `parkinspect hub restore`. `device_ack` is
filled with what the change log shows each device acknowledged: the refusals of the past are
not in it, so a device whose last changes were refused re-sends them once and keeps one copy.

Revision ID: 0002_hub_identity
Revises: 0001_hub_initial
Create Date: 2026-11-27
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_hub_identity"
down_revision: str | None = "0001_hub_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    meta = op.create_table(
        "hub_meta",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(100), nullable=False),
    )
    op.create_table(
        "device_ack",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(meta, [{"key": "hub_id", "value": secrets.token_hex(16)}, {"key": "epoch", "value": "1"}])
    op.execute('INSERT INTO device_ack (device_id, acked_seq) '
               'SELECT device_id, max(device_seq) FROM "change" GROUP BY device_id')


def downgrade() -> None:
    op.drop_table("device_ack")
    op.drop_table("hub_meta")
