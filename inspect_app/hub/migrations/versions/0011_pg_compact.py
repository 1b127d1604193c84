"""PostgreSQL: ids and clock stamps of the log and the merged rows stored as compact bytes

On PostgreSQL the columns that name rows, parks, actors and devices, and the change's clock stamp,
become BYTEA holding `hub/compact_ids.py`'s encoding (a uuid in 16 bytes behind a tag, a device's
hex id in its bytes, a stamp's time in 8 bytes and its device part so; any other id as it came),
and the table names and change kinds in two bytes (a code of `compact_ids.WORDS`), read back by the
hub as the exact text: `change` (`device_id`, `table_name`, `row_id`, `park_id`, `op`, `hlc`,
`actor_id`), `row_state` (`table_name`, `row_id`, `park_id`) and `unique_key` (`row_id`). They were
stored as text in the rows and again in five indexes: about 280 bytes a change.

Each table is converted by one ALTER TABLE (one rewrite; its indexes are built again from the
rewritten rows, compact). SQLite keeps its text columns: nothing to do there.

Revision ID: 0011_pg_compact
Revises: 0010_lean_storage
Create Date: 2026-12-12
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_pg_compact"
down_revision: str | None = "0010_lean_storage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"change": ("device_id", "table_name", "row_id", "park_id", "op", "hlc", "actor_id"),
           "row_state": ("table_name", "row_id", "park_id"),
           "unique_key": ("row_id",)}
TEXT_TYPES = {"hlc": "VARCHAR(100)", "table_name": "VARCHAR(40)", "op": "VARCHAR(10)"}  # others VARCHAR(64)


def upgrade() -> None:
    from inspect_app.hub.compact_ids import pack_sql

    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"ALTER COLUMN {column} TYPE BYTEA USING {pack_sql(column)}" for column in columns))


def downgrade() -> None:
    from inspect_app.hub.compact_ids import unpack_sql

    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"ALTER COLUMN {column} TYPE {TEXT_TYPES.get(column, 'VARCHAR(64)')} USING {unpack_sql(column)}"
            for column in columns))
