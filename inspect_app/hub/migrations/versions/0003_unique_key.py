"""which row holds each unique key of the device tables (unique_key), filled from the merged rows

The push refuses a change whose row would take a unique value another row holds (a second tenant
with the same park code) by one indexed read of this table, and keeps it as it merges
rows. A hub upgraded to this revision gets it filled from its merged rows (`row_state`), with the
key rules and digests of `inspect_app/sync/protocol.py` that the push then compares against. Where
rows merged before this check share a key, the earliest row (the smallest UUIDv7 id) holds it.

Revision ID: 0003_unique_key
Revises: 0002_hub_identity
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_unique_key"
down_revision: str | None = "0002_hub_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    from inspect_app.sync.protocol import RULES

    keys = op.create_table(
        "unique_key",
        sa.Column("table_name", sa.String(40), primary_key=True),
        sa.Column("key_name", sa.String(200), primary_key=True),
        sa.Column("key_value", sa.String(64), primary_key=True),
        sa.Column("row_id", sa.String(64), nullable=False),
    )
    rows = sa.table("row_state", sa.column("table_name"), sa.column("row_id"), sa.column("values", sa.JSON),
                    sa.column("deleted", sa.Boolean))
    tables = sorted(name for name, rules in RULES.items() if rules.unique_keys)
    bind = op.get_bind()
    held: set[tuple[str, str, str]] = set()
    for table in tables:
        after = ""
        while True:  # pages by row id: a large hub's rows are never all in memory
            page = bind.execute(sa.select(rows.c.row_id, rows.c["values"], rows.c.deleted)
                                .where(rows.c.table_name == table, rows.c.row_id > after)
                                .order_by(rows.c.row_id).limit(BATCH)).all()
            if not page:
                break
            batch = []
            for row in page:
                for name, digest in RULES[table].keys(row[1] or {}, bool(row.deleted)).items():
                    if (table, name, digest) not in held:  # the earliest row keeps a shared key
                        held.add((table, name, digest))
                        batch.append({"table_name": table, "key_name": name, "key_value": digest,
                                      "row_id": row.row_id})
            if batch:
                op.bulk_insert(keys, batch)
            after = page[-1].row_id


def downgrade() -> None:
    op.drop_table("unique_key")
