"""merged rows stored packed and unique keys as one digest: a change costs under 1 KB on the hub

- `row_state.snapshot` (the row's text as a first sync serves it, ~600 bytes: PostgreSQL compresses
  nothing under ~2 KB) and `row_state.values` are stored packed as the change log is (version byte,
  raw deflate with a preset dictionary, hub/log_codec.py: version 2, made for snapshot texts, and
  the log's version 1 for the values) and read back as the same text.
- `row_state.field_hlcs` is NULL when it is the insert's stamp alone: the snapshot text holds it.
- On SQLite `row_state` is kept in its primary key's b-tree (WITHOUT ROWID): a rowid table kept
  every key twice. `ix_row_state_sha256` holds attachment rows only (partial: `sha256 IS NOT NULL`).
- `ix_change_row` on `change` (`row_id`) instead of (`table_name`, `row_id`): the queries that use
  it name the row, and its table only filters the few changes found.
- `unique_key` keeps one 16-byte digest of (table, key name, values' digest) as its primary key
  instead of the three names (`storage.unique_key_digest`): the push still reads it with one index
  search per key, and refuses the same duplicates.

Both tables are copied into their new layout (compact at once, where an UPDATE in place would leave
the old rows' space in the file until VACUUM), then their indexes are built. Devices receive the same
bytes: the hub unpacks as it reads.

Revision ID: 0010_lean_storage
Revises: 0009_province
Create Date: 2026-12-11
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_lean_storage"
down_revision: str | None = "0009_province"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
ROW_COLUMNS = ("table_name", "row_id", "park_id", "sha256", "values", "field_hlcs", "field_seen", "deleted",
               "snapshot")


def _row_state(name: str, packed: bool) -> list:
    """The columns of `row_state` in the old (text) or the new (packed) layout."""
    stored = sa.LargeBinary() if packed else sa.Text()
    return [sa.Column("table_name", sa.String(40), primary_key=True),
            sa.Column("row_id", sa.String(64), primary_key=True),
            sa.Column("park_id", sa.String(64), nullable=True),
            sa.Column("sha256", sa.String(64), nullable=True),
            sa.Column("values", sa.LargeBinary() if packed else sa.JSON(none_as_null=True), nullable=True),
            sa.Column("field_hlcs", sa.JSON(none_as_null=True), nullable=packed),  # NULL: in the snapshot
            sa.Column("field_seen", sa.JSON(none_as_null=True), nullable=True),
            sa.Column("deleted", sa.Boolean(), nullable=False),
            sa.Column("snapshot", stored, nullable=True),
            sa.PrimaryKeyConstraint("table_name", "row_id", name=f"{name}_pkey")]


def upgrade() -> None:
    from inspect_app.hub.log_codec import SNAPSHOT_VERSION, pack, pack_text

    def convert(row: dict) -> dict:
        snapshot, clocks = row["snapshot"], row["field_hlcs"]
        if snapshot is not None and clocks is not None and clocks.keys() == {"id"}:
            clocks = None  # the insert's stamp alone: the snapshot's second item (hub/rows.py)
        return {**row, "values": None if row["values"] is None else pack(row["values"]), "field_hlcs": clocks,
                "snapshot": None if snapshot is None else pack_text(snapshot, SNAPSHOT_VERSION)}

    _copy_rows(packed_after=True, convert=convert)
    _unique_keys_as_digests()
    op.drop_index("ix_change_row", table_name="change")
    op.create_index("ix_change_row", "change", ["row_id"])


def downgrade() -> None:
    from inspect_app.hub.log_codec import unpack_column, unpack_text

    def convert(row: dict) -> dict:
        snapshot = None if row["snapshot"] is None else unpack_text(bytes(row["snapshot"]))
        clocks = row["field_hlcs"] if row["field_hlcs"] is not None else {"id": json.loads(snapshot)[1]}
        return {**row, "values": None if row["values"] is None else unpack_column(bytes(row["values"])),
                "field_hlcs": clocks, "snapshot": snapshot}

    _copy_rows(packed_after=False, convert=convert)
    _unique_keys_by_name()
    op.drop_index("ix_change_row", table_name="change")
    op.create_index("ix_change_row", "change", ["table_name", "row_id"])


def _copy_rows(packed_after: bool, convert) -> None:
    """`row_state` copied into its other layout, `convert` applied to every row, in pages by key."""
    bind = op.get_bind()
    op.drop_index("ix_row_state_park", table_name="row_state")
    op.drop_index("ix_row_state_sha256", table_name="row_state")
    op.rename_table("row_state", "row_state_old")
    if bind.dialect.name == "postgresql":  # free the primary key's name for the new table
        op.execute("ALTER INDEX row_state_pkey RENAME TO row_state_old_pkey")
    old = sa.Table("row_state_old", sa.MetaData(), *_row_state("row_state_old", not packed_after))
    new = op.create_table("row_state", *_row_state("row_state", packed_after), sqlite_with_rowid=not packed_after)
    after: tuple[str, str] | None = None
    while True:  # a large hub's rows are never all in memory
        query = sa.select(*(old.c[name] for name in ROW_COLUMNS))
        if after is not None:
            query = query.where(sa.tuple_(old.c.table_name, old.c.row_id) > sa.tuple_(*after))
        page = bind.execute(query.order_by(old.c.table_name, old.c.row_id).limit(BATCH)).all()
        if not page:
            break
        bind.execute(new.insert(), [convert(dict(row._mapping)) for row in page])
        after = (page[-1].table_name, page[-1].row_id)
    op.drop_table("row_state_old")
    attachments_only = {"sqlite_where": sa.text("sha256 IS NOT NULL"),
                        "postgresql_where": sa.text("sha256 IS NOT NULL")} if packed_after else {}
    op.create_index("ix_row_state_sha256", "row_state", ["sha256"], **attachments_only)
    op.create_index("ix_row_state_park", "row_state", ["park_id", "table_name", "row_id"])


def _unique_keys_as_digests() -> None:
    """`unique_key` (table, key name, digest) → one digest per key (storage.unique_key_digest)."""
    from inspect_app.hub.storage import unique_key_digest

    bind = op.get_bind()
    op.create_table("unique_key_lean", sa.Column("key", sa.LargeBinary(), nullable=False),
                    sa.Column("row_id", sa.String(64), nullable=False),
                    sa.PrimaryKeyConstraint("key", name="unique_key_lean_pkey"), sqlite_with_rowid=False)
    if bind.dialect.name == "postgresql":  # the same digest, computed by the server
        op.execute("INSERT INTO unique_key_lean (key, row_id) SELECT substring(sha256(convert_to("
                   "table_name || E'\\n' || key_name || E'\\n' || key_value, 'UTF8')) FROM 1 FOR 16), row_id "
                   "FROM unique_key")
    else:
        bind.connection.driver_connection.create_function("hub_unique_key", 3, unique_key_digest, deterministic=True)
        op.execute("INSERT INTO unique_key_lean (key, row_id) "
                   "SELECT hub_unique_key(table_name, key_name, key_value), row_id FROM unique_key")
    op.drop_table("unique_key")
    op.rename_table("unique_key_lean", "unique_key")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER INDEX unique_key_lean_pkey RENAME TO unique_key_pkey")


def _unique_keys_by_name() -> None:
    """Downgrade: the keys by name again, worked out from the merged rows (a digest is one-way)."""
    from inspect_app.hub.rows import stored_values
    from inspect_app.sync.protocol import RULES

    op.drop_table("unique_key")
    keys = op.create_table("unique_key", sa.Column("table_name", sa.String(40), primary_key=True),
                           sa.Column("key_name", sa.String(200), primary_key=True),
                           sa.Column("key_value", sa.String(64), primary_key=True),
                           sa.Column("row_id", sa.String(64), nullable=False), sqlite_with_rowid=False)
    rows = sa.table("row_state", sa.column("table_name"), sa.column("row_id"), sa.column("values", sa.JSON),
                    sa.column("deleted", sa.Boolean), sa.column("snapshot", sa.Text))
    bind = op.get_bind()
    held: set[tuple[str, str, str]] = set()
    for table in sorted(name for name, rules in RULES.items() if rules.unique_keys):
        after = ""
        while True:
            page = bind.execute(sa.select(rows.c.row_id, rows.c["values"], rows.c.deleted, rows.c.snapshot)
                                .where(rows.c.table_name == table, rows.c.row_id > after)
                                .order_by(rows.c.row_id).limit(BATCH)).all()
            if not page:
                break
            batch = []
            for row in page:
                values = stored_values(table, row[1], row.snapshot)
                for name, digest in RULES[table].keys(values, bool(row.deleted)).items():
                    if (table, name, digest) not in held:
                        held.add((table, name, digest))
                        batch.append({"table_name": table, "key_name": name, "key_value": digest,
                                      "row_id": row.row_id})
            if batch:
                op.bulk_insert(keys, batch)
            after = page[-1].row_id
