"""`parkinspect hub backup FILE` and `parkinspect hub restore FILE` (docs/SYNC.md, "Hub identity and restores").

A backup is a SQLite file with the hub's schema (its Alembic revision stamped) holding every
table's rows as one consistent moment saw them — a read transaction on SQLite (WAL), REPEATABLE
READ on PostgreSQL — copied with SQLAlchemy Core, so a PostgreSQL hub's backup restores into a
SQLite hub and back. It is written to FILE.partial, synced and renamed: whole or absent.

A restore replaces every hub table's rows in one transaction (a write lock on SQLite, the push
lock on PostgreSQL, so no push interleaves) and bumps the history epoch: each device notices at
its next sync, re-sends what the hub lost and pulls again from the latest point both agree on.
It refuses, writing nothing, a file that is not a hub backup, one from a newer hub schema, and
another hub's backup over a hub that holds devices or changes. Hub sequence numbers continue
past the highest the hub gave out before the restore, so none is given out twice by it.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Engine, func, select, text

from db.durable import fsync_file, replace_durably
from inspect_app.hub import identity
from inspect_app.hub.migrate import HEAD_REVISION, MIGRATIONS_DIR, current_revision, explicit_transactions
from inspect_app.hub.storage import (
    DeviceError,
    attachment,
    change,
    device,
    make_engine,
    metadata,
    open_engine,
)

ROWS_PER_BATCH = 500
ATTACHMENTS_PER_BATCH = 8  # up to 25 MiB each
PUSH_LOCK_KEY = 7_170_301  # hub/app.py's: a restore waits for a push in progress, and holds the next
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Copied:
    hub_id: str
    epoch: int
    changes: int
    devices: int
    attachments: int


def backup(url: str, target: Path) -> Copied:
    """Copy the hub at `url` into the new SQLite file `target` (refused if it exists)."""
    target = Path(target)
    if target.exists():
        raise DeviceError("hub.backup_exists", file=target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = open_engine(url)
    destination = open_engine(f"sqlite:///{partial}")
    try:
        with _consistent_read(source) as src, destination.begin() as dst:
            copied = _copy_tables(src, dst)
    except BaseException:
        destination.dispose()
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.dispose()
    destination.dispose()
    _single_file(partial)
    replace_durably(partial, target)
    return copied


def restore(url: str, backup_file: Path) -> Copied:
    """Replace the hub's data at `url` with the backup's, in one transaction; bump the epoch."""
    backup_file = Path(backup_file)
    _check_backup_file(backup_file)
    with tempfile.TemporaryDirectory(prefix="parkinspect-hub-restore-") as folder:
        # A copy, brought to this hub's schema: the backup itself is never changed.
        copy = Path(folder) / "backup.db"
        shutil.copyfile(backup_file, copy)
        source = open_engine(f"sqlite:///{copy}")
        target = open_engine(url)
        writer = explicit_transactions(target, "BEGIN IMMEDIATE")
        try:
            with source.connect() as src, writer.begin() as dst:
                if dst.dialect.name == "postgresql":
                    dst.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUSH_LOCK_KEY})
                backup_id, backup_epoch = identity.identity(src)
                current_id, current_epoch = identity.identity(dst)
                if backup_id != current_id and _holds_data(dst):
                    raise DeviceError("hub.restore_other_hub", file=backup_file, backup_hub=backup_id, hub=current_id)
                highest_seq = _highest_seq_given(dst)
                copied = _copy_tables(src, dst)
                epoch = identity.bump_epoch(dst, at_least=max(backup_epoch, current_epoch))
                _continue_sequence(dst, highest_seq)
        finally:
            source.dispose()
            if writer is not target:
                writer.dispose()
            target.dispose()
    return Copied(copied.hub_id, epoch, copied.changes, copied.devices, copied.attachments)


# --- checks -----------------------------------------------------------------------------------------


def _check_backup_file(path: Path) -> None:
    if not path.is_file():
        raise DeviceError("hub.restore_missing", file=path)
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise DeviceError("hub.restore_not_backup", file=path)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DeviceError("hub.restore_not_backup", file=path) from exc
    if not {"hub_meta", "change", "device", "alembic_version"} <= tables:
        raise DeviceError("hub.restore_not_backup", file=path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    known = {p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py")}
    if revision not in known:  # made by a newer hub: this one cannot read it whole
        raise DeviceError("hub.restore_newer", file=path, revision=str(revision), head=HEAD_REVISION)


def _holds_data(conn) -> bool:
    return any(conn.execute(select(table.c[0]).limit(1)).first() is not None for table in (change, device))


# --- copying ----------------------------------------------------------------------------------------


@contextmanager
def _consistent_read(engine: Engine) -> Iterator:
    """A connection whose reads all see one moment of the hub."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            yield conn
        return
    reader = explicit_transactions(engine, "BEGIN")
    try:
        with reader.begin() as conn:
            yield conn
    finally:
        reader.dispose()


def _copy_tables(src, dst) -> Copied:
    """Every hub table's rows from `src` into `dst`, replacing what `dst` held."""
    for table in reversed(metadata.sorted_tables):
        dst.execute(table.delete())
    for table in metadata.sorted_tables:
        batch = ATTACHMENTS_PER_BATCH if table is attachment else ROWS_PER_BATCH
        zoned = [column.name for column in table.columns if isinstance(column.type, DateTime)]
        rows = src.execution_options(yield_per=batch).execute(select(table).order_by(*table.primary_key.columns))
        for part in rows.partitions():
            dst.execute(table.insert(), [_in_utc(dict(row._mapping), zoned) for row in part])
    hub_id, epoch = identity.identity(dst)
    counted = {table.name: dst.execute(select(func.count()).select_from(table)).scalar_one()
               for table in (change, device, attachment)}
    return Copied(hub_id, epoch, counted["change"], counted["device"], counted["attachment"])


def _in_utc(row: dict, zoned: list[str]) -> dict:
    """Times as UTC with their zone: SQLite gives back UTC without one, and PostgreSQL would read
    a zone-less time in its session's zone."""
    for name in zoned:
        value = row[name]
        if isinstance(value, datetime):
            row[name] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return row


def _highest_seq_given(conn) -> int:
    """The highest hub sequence this hub has given out (its counter, not only the rows left)."""
    if conn.dialect.name == "postgresql":
        name = conn.execute(text("SELECT pg_get_serial_sequence('change', 'seq')")).scalar_one()
        row = conn.execute(text(f"SELECT last_value, is_called FROM {name}")).one()
        return int(row.last_value) if row.is_called else 0
    # SQLite's AUTOINCREMENT counter lives in sqlite_sequence; DELETE does not lower it.
    found = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'change'")).scalar()
    return int(found or 0)


def _continue_sequence(conn, highest_before: int) -> None:
    """New changes are numbered past every sequence given out before the restore and in the backup."""
    restored = conn.execute(select(func.max(change.c.seq))).scalar() or 0
    highest = max(highest_before, int(restored))
    if highest == 0:
        return
    if conn.dialect.name == "postgresql":
        name = conn.execute(text("SELECT pg_get_serial_sequence('change', 'seq')")).scalar_one()
        conn.execute(text("SELECT setval(CAST(:name AS regclass), :value, true)"), {"name": name, "value": highest})
        return
    if conn.execute(text("UPDATE sqlite_sequence SET seq = :value WHERE name = 'change'"),
                    {"value": highest}).rowcount == 0:
        conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('change', :value)"), {"value": highest})


def _single_file(path: Path) -> None:
    """Fold the backup's WAL into it and leave it in rollback-journal mode: one self-contained file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    fsync_file(path)
