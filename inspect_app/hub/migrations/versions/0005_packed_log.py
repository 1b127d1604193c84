"""change log stored compressed: `change.payload` and `change.base` packed (hub/log_codec.py)

A change's payload was kept as the JSON the device pushed: about half of what the hub stores per
change. From this revision both columns hold the version byte and the JSON deflated with a preset
dictionary of the column names and checklist texts every change repeats (docs/SYNC.md, "How the
change log is stored"); the hub unpacks them as it reads, so devices receive the same JSON.

The columns become binary (BLOB on SQLite, BYTEA on PostgreSQL) and every row is converted in
place, in pages by sequence. SQLite cannot change a column's type: the table is copied (Alembic's
batch mode) and its AUTOINCREMENT counter, which may be above the highest sequence left after a
restore, is carried over so no sequence number is given out twice.

Revision ID: 0005_packed_log
Revises: 0004_compact_rows
Create Date: 2026-12-06
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_packed_log"
down_revision: str | None = "0004_compact_rows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SeqType = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _change_table(value_type) -> sa.Table:
    """The change table as revision 0001 made it, its payload and base of `value_type`."""
    return sa.Table(
        "change", sa.MetaData(),
        sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(64), nullable=False),
        sa.Column("park_id", sa.String(64), nullable=True),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("hlc", sa.String(100), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("payload", value_type, nullable=False),
        sa.Column("base", value_type, nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("device_id", "device_seq", name="ux_change_device_seq"),
        sa.Index("ix_change_park_seq", "park_id", "seq"),
        sa.Index("ix_change_row", "table_name", "row_id"),
        sqlite_autoincrement=True,
    )


def upgrade() -> None:
    from inspect_app.hub.log_codec import pack

    _set_type(sa.JSON(), sa.LargeBinary(), "convert_to(CAST({column} AS TEXT), 'UTF8')")
    def packed(stored):
        value = json.loads(_text(stored))
        return None if value is None else pack(value)  # a `base` of JSON null becomes SQL NULL

    _convert(packed)


def downgrade() -> None:
    from inspect_app.hub.log_codec import unpack_column

    if op.get_bind().dialect.name == "postgresql":  # bytes until the column is JSON again
        _convert(lambda stored: _json_text(unpack_column(bytes(stored))).encode())
    else:  # SQLite keeps the text as text in the BLOB column, and through the copy
        _convert(lambda stored: _json_text(unpack_column(bytes(stored))))
    _set_type(sa.LargeBinary(), sa.JSON(), "CAST(convert_from({column}, 'UTF8') AS JSON)")


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(stored) -> str:
    """The JSON text a column held before: text on SQLite, UTF-8 bytes on PostgreSQL after ALTER."""
    return stored if isinstance(stored, str) else bytes(stored).decode("utf-8")


def _set_type(old, new, postgres_using: str) -> None:
    """`payload` and `base` become `new`, their values kept as they are (converted after)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        kind = "BYTEA" if isinstance(new, sa.LargeBinary) else "JSON"
        for column in ("payload", "base"):
            op.execute(f'ALTER TABLE "change" ALTER COLUMN {column} TYPE {kind} '
                       f"USING {postgres_using.format(column=column)}")
        return
    counter = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'change'")).scalar()
    with op.batch_alter_table("change", copy_from=_change_table(old), recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("payload", existing_type=old, type_=new, existing_nullable=False)
        batch.alter_column("base", existing_type=old, type_=new, existing_nullable=True)
    if counter is not None:  # the copy's counter is its highest row; the hub may have given out more
        bind.execute(sa.text("UPDATE sqlite_sequence SET seq = max(seq, :counter) WHERE name = 'change'"),
                     {"counter": counter})
        if bind.execute(sa.text("SELECT count(*) FROM sqlite_sequence WHERE name = 'change'")).scalar() == 0:
            bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('change', :counter)"),
                         {"counter": counter})


def _convert(convert) -> None:
    """Every row's payload and base through `convert` (a SQL NULL base stays NULL), in pages by seq."""
    bind = op.get_bind()
    rows = sa.table("change", sa.column("seq", sa.BigInteger), sa.column("payload"), sa.column("base"))
    stored_type = sa.LargeBinary() if bind.dialect.name == "postgresql" else None
    write = (sa.update(rows).where(rows.c.seq == sa.bindparam("k_seq"))
             .values(payload=sa.bindparam("v_payload", type_=stored_type),
                     base=sa.bindparam("v_base", type_=stored_type)))
    after = 0
    while True:  # a large hub's log is never all in memory
        page = bind.execute(sa.select(rows.c.seq, rows.c.payload, rows.c.base).where(rows.c.seq > after)
                            .order_by(rows.c.seq).limit(BATCH)).all()
        if not page:
            return
        batch = []
        for row in page:
            base = None if row.base is None else convert(row.base)
            batch.append({"k_seq": row.seq, "v_payload": convert(row.payload), "v_base": base})
        bind.execute(write, batch)
        after = page[-1].seq
