"""merged rows stored compactly: values only where the snapshot lacks them, one insert stamp; snapshots rebuilt

`row_state` kept each row three times (its `values`, its `snapshot` text, the insert in `change`)
and a clock stamp per field although most rows were never updated. From this revision (hub/rows.py,
"how a merged row is stored") `values` is NULL where the snapshot holds exactly the row's values,
`field_hlcs` keeps the insert's stamp once (under "id") and only the fields stamped otherwise, an
empty `field_seen` is NULL, and JSON is written as compact UTF-8. Every row is converted in place,
and every snapshot is built again from the row's values: those of `tenant` rows made before the
device's tenant table gained `merged_into` and `distinct_code` lacked them. On SQLite `unique_key`
becomes a WITHOUT ROWID table (its rows kept once, in the primary key's b-tree), and the index on
`row_state.park_id`, which no query uses, is dropped.

Revision ID: 0004_compact_rows
Revises: 0003_unique_key
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_compact_rows"
down_revision: str | None = "0003_unique_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    # No query uses it (IF EXISTS: a hub made before migrations by a newer create_all lacks it).
    op.execute("DROP INDEX IF EXISTS ix_row_state_park_id")
    _compact_rows()
    if op.get_bind().dialect.name == "sqlite":
        _unique_key_without_rowid()


def _unique_key_without_rowid() -> None:
    """SQLite: `unique_key` kept in its primary key's b-tree (WITHOUT ROWID), not twice."""
    columns = [sa.Column("table_name", sa.String(40), primary_key=True),
               sa.Column("key_name", sa.String(200), primary_key=True),
               sa.Column("key_value", sa.String(64), primary_key=True),
               sa.Column("row_id", sa.String(64), nullable=False)]
    op.create_table("unique_key_compact", *columns, sqlite_with_rowid=False)
    op.execute("INSERT INTO unique_key_compact (table_name, key_name, key_value, row_id) "
               "SELECT table_name, key_name, key_value, row_id FROM unique_key")
    op.drop_table("unique_key")
    op.rename_table("unique_key_compact", "unique_key")


def _compact_rows() -> None:
    from inspect_app.hub.rows import compact_clocks, full_clocks, snapshot_row, stored_values, values_to_store

    with op.batch_alter_table("row_state") as batch:  # SQLite: the table is copied; PostgreSQL: ALTER
        batch.alter_column("values", existing_type=sa.JSON(), nullable=True)
    rows = sa.table("row_state", sa.column("table_name", sa.String), sa.column("row_id", sa.String),
                    sa.column("values", sa.JSON(none_as_null=True)), sa.column("field_hlcs", sa.JSON),
                    sa.column("field_seen", sa.JSON(none_as_null=True)), sa.column("snapshot", sa.Text))
    convert = (sa.update(rows).where(rows.c.table_name == sa.bindparam("k_table"),
                                     rows.c.row_id == sa.bindparam("k_row"))
               .values({"values": sa.bindparam("v_values", type_=sa.JSON(none_as_null=True)),
                        "field_hlcs": sa.bindparam("v_clocks", type_=sa.JSON),
                        "field_seen": sa.bindparam("v_seen", type_=sa.JSON(none_as_null=True)),
                        "snapshot": sa.bindparam("v_snapshot")}))
    bind = op.get_bind()
    tables = bind.execute(sa.select(rows.c.table_name).distinct().order_by(rows.c.table_name)).scalars().all()
    for table in tables:
        after = ""
        while True:  # pages by row id: a large hub's rows are never all in memory
            page = bind.execute(sa.select(rows).where(rows.c.table_name == table, rows.c.row_id > after)
                                .order_by(rows.c.row_id).limit(BATCH)).all()
            if not page:
                break
            batch = []
            for row in page:
                values = stored_values(table, row._mapping["values"], row.snapshot)
                clocks = full_clocks(row.field_hlcs or {}, values)
                snapshot = snapshot_row(table, row.row_id, values, clocks, row.field_seen)
                batch.append({"k_table": table, "k_row": row.row_id,
                              "v_values": values_to_store(table, values, snapshot),
                              "v_clocks": compact_clocks(clocks), "v_seen": row.field_seen or None,
                              "v_snapshot": snapshot})
            bind.execute(convert, batch)
            after = page[-1].row_id


def downgrade() -> None:
    from inspect_app.hub.rows import full_clocks, stored_values

    rows = sa.table("row_state", sa.column("table_name", sa.String), sa.column("row_id", sa.String),
                    sa.column("values", sa.JSON), sa.column("field_hlcs", sa.JSON), sa.column("snapshot", sa.Text))
    bind = op.get_bind()
    for row in bind.execute(sa.select(rows)).all():
        values = stored_values(row.table_name, row._mapping["values"], row.snapshot)
        bind.execute(sa.update(rows).where(rows.c.table_name == row.table_name, rows.c.row_id == row.row_id)
                     .values({"values": values, "field_hlcs": full_clocks(row.field_hlcs or {}, values)}))
    with op.batch_alter_table("row_state") as batch:
        batch.alter_column("values", existing_type=sa.JSON(), nullable=False)
    op.create_index("ix_row_state_park_id", "row_state", ["park_id"])
