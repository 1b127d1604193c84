"""each document kind its own number series: the notices' unique key in `unique_key` gains `kind`

The devices' notice table is unique on (kind, device_block, year, sequence) since their revision
0009 (a 隐患整改通知书 and a 复查意见书 may both be the block's first of the year). The push takes
its key names from the device's models (`inspect_app/sync/protocol.py`), so the keys the hub holds
for notices under the old name `notice(device_block, year, sequence)` would never be read again:
here they are replaced by the new key of every notice the hub holds (the notice number, its other
key, is unchanged). Old notices never shared a (block, year, sequence), so they share no new key.

Revision ID: 0008_notice_series
Revises: 0007_device_certificate
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_notice_series"
down_revision: str | None = "0007_device_certificate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = "notice(device_block, year, sequence)"
NEW_KEY = "notice(kind, device_block, year, sequence)"
COLUMNS = ("kind", "device_block", "year", "sequence")
BATCH = 1000

keys = sa.table("unique_key", sa.column("table_name", sa.String), sa.column("key_name", sa.String),
                sa.column("key_value", sa.String), sa.column("row_id", sa.String))
rows = sa.table("row_state", sa.column("table_name", sa.String), sa.column("row_id", sa.String),
                sa.column("values", sa.JSON), sa.column("snapshot", sa.Text), sa.column("deleted", sa.Boolean))


def upgrade() -> None:
    _rekey(OLD_KEY, NEW_KEY, COLUMNS)


def downgrade() -> None:
    _rekey(NEW_KEY, OLD_KEY, COLUMNS[1:])


def _rekey(old: str, new: str, columns: tuple[str, ...]) -> None:
    from inspect_app.hub.rows import stored_values
    from inspect_app.sync.protocol import key_digest

    bind = op.get_bind()
    bind.execute(sa.delete(keys).where(keys.c.table_name == "notice", keys.c.key_name == old))
    held: set[str] = set()
    after = ""
    while True:  # pages by row id: a large hub's rows are never all in memory
        page = bind.execute(sa.select(rows.c.row_id, rows.c["values"], rows.c.snapshot)
                            .where(rows.c.table_name == "notice", rows.c.row_id > after)
                            .order_by(rows.c.row_id).limit(BATCH)).all()
        if not page:
            break
        batch = []
        for row in page:
            values = stored_values("notice", row[1], row.snapshot)
            parts = [values.get(column) for column in columns]
            if any(part is None for part in parts):
                continue  # as in SQL: a row with a null part holds no key
            digest = key_digest(parts)
            if digest not in held:  # the earliest row keeps a shared key
                held.add(digest)
                batch.append({"table_name": "notice", "key_name": new, "key_value": digest, "row_id": row.row_id})
        if batch:
            op.bulk_insert(keys, batch)
        after = page[-1].row_id
