"""notice blocks assigned by the hub: `device.notice_block`, the last one given in `hub_meta`

Every enrolment gets a block for its notice numbers (`H001`, `H002`, … db/notice_block.py), from a
counter in `hub_meta` (`last_notice_block`): unique county-wide by construction, and the unique
index makes a second hub process enrolling at the same moment fail rather than share one. Devices
enrolled before this revision get theirs here, in order of enrolment; `/me` returns it and the
device adopts it at its next sync (a block set by hand there still wins).

Revision ID: 0006_notice_block
Revises: 0005_packed_log
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_notice_block"
down_revision: str | None = "0005_packed_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("device", sa.Column("notice_block", sa.String(8), nullable=True))
    op.create_index("ix_device_notice_block", "device", ["notice_block"], unique=True)
    conn = op.get_bind()
    devices = sa.table("device", sa.column("id", sa.String), sa.column("created_at", sa.DateTime),
                       sa.column("name", sa.String), sa.column("notice_block", sa.String))
    ids = [row.id for row in conn.execute(sa.select(devices.c.id).order_by(devices.c.created_at, devices.c.name))]
    for number, device_id in enumerate(ids, start=1):
        conn.execute(sa.update(devices).where(devices.c.id == device_id).values(notice_block=f"H{number:03d}"))
    meta = sa.table("hub_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.bulk_insert(meta, [{"key": "last_notice_block", "value": str(len(ids))}])


def downgrade() -> None:
    op.execute("DELETE FROM hub_meta WHERE key = 'last_notice_block'")
    op.drop_index("ix_device_notice_block", table_name="device")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("notice_block")
