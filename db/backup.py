"""Consistent copies of a SQLite file, safe while other connections write, and restoring one."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from db.attachment_files import CopyReport, copy_named, folder_beside
from db.durable import fsync_file, fsync_folder
from db.private_files import create_private_file

BUSY_TIMEOUT_S = 5.0
# local_setting key: the last change of this device written into a sync bundle (export-bundle).
# Like a hub's `pushed_seq`, a change that left the device, which a restore must not number again.
BUNDLE_EXPORTED_SEQ_SETTING = "bundle_exported_seq"


def backup_file(source: Path, target: Path) -> None:
    """Copy through SQLite's online backup API; the target appears whole or not at all.

    OSError when the copy cannot be made (a full disk, a read-only folder: SQLite's own error
    is turned into one, with its words as `strerror`); no partial file is left behind.
    """
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)  # a copy of the database is as private as the database
    try:
        src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise OSError(errno.EIO, str(exc)) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def attachments_of_backup(backup: Path) -> Path:
    """Where a backup's photos are kept: `<backup file name>.attachments/` beside it."""
    backup = Path(backup)
    return backup.with_name(backup.name + ".attachments")


def backup_with_attachments(source: Path, target: Path) -> CopyReport:
    """The database copy, then every photo it names into `attachments_of_backup(target)`.

    The photos are copied after the database: a photo is on disk before the row naming it is
    committed, so every photo the copy names is there to be copied (those missing already in the
    source folder are reported). Files already in the backup's folder are kept, so a backup made
    again over the same name (--force) copies only new photos.
    """
    backup_file(source, target)
    return copy_named(target, folder_beside(source), attachments_of_backup(target))


# --- restore --------------------------------------------------------------------------------------


class RestoreRefused(Exception):
    """A restore that was not done (nothing changed); `key` and `values` name the message."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Restored:
    kept: Path | None  # where the replaced file was kept (None when there was none)
    photos: CopyReport  # the backup's photos put back beside the database


def restore_file(backup: Path, target: Path, *, now: datetime | None = None) -> Restored:
    """Replace `target` by a copy of `backup` and put back the photos it names.

    Refused, with nothing changed, when the backup is missing, is not a ParkInspect database or
    fails SQLite's integrity check, when another program has `target` open, or when a sync hub
    already holds changes of this device that the backup lacks (see `_pushed_beyond`). The current
    file is first copied whole (its WAL included) to `<name>.before-restore-<timestamp>.bak`; the
    new file then replaces it in one rename, so `target` is always either the old or the new file.
    Numbers of notices this device issued after the backup stay used (`_carry_notice_counters`).
    The photos the backup names are copied from `attachments_of_backup(backup)` into the
    attachments folder beside `target` before the database is replaced (adding files only: the
    folder is content-addressed, so what is there stays); one missing or damaged in the backup's
    folder is reported, not a reason to refuse.
    """
    backup, target = Path(backup), Path(target)
    if not backup.is_file():
        raise RestoreRefused("maintenance.restore_missing", file=backup)
    if target.exists() and backup.resolve() == target.resolve():
        raise RestoreRefused("maintenance.restore_same_file")
    _check_backup(backup)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}.bak") if target.exists() else None
    restored = target.with_name(target.name + ".restoring")
    restored.unlink(missing_ok=True)
    _copy(_read_only(backup), restored)
    current = _lock_current(target) if kept else None
    try:
        if current is not None:
            _pushed_beyond(current, restored)
            _carry_notice_counters(current, restored)
        photos = copy_named(restored, attachments_of_backup(backup), folder_beside(target))
        if current is not None:
            # Under the exclusive lock, in rollback-journal mode, the file is the whole database.
            create_private_file(kept)  # copyfile keeps the mode of a file it writes over
            shutil.copyfile(target, kept)
            fsync_file(kept)
        fsync_file(restored)
        if os.name == "nt" and current is not None:
            current.close()  # Windows cannot replace a file that is open; POSIX keeps the lock to the end
        restored.replace(target)
        fsync_folder(target.parent)
    except BaseException:
        restored.unlink(missing_ok=True)
        raise
    finally:
        if current is not None:
            current.close()  # releases the lock on the old file (now unlinked)
    return Restored(kept, photos)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _check_backup(backup: Path) -> None:
    try:
        conn = _read_only(backup)
    except sqlite3.Error as exc:
        raise RestoreRefused("maintenance.restore_not_database", file=backup, detail=exc) from exc
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "change_log", "tenant", "local_setting"} <= tables:
            raise RestoreRefused("maintenance.restore_not_database", file=backup, detail="")
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone() if problems == ["ok"] else None
    except sqlite3.DatabaseError as exc:  # "file is not a database", a damaged header
        # A SQLite file whose own pages are damaged (its schema unreadable) is a damaged backup,
        # not someone else's file: say so, as the integrity check does for damage further in.
        damaged = "malformed" in str(exc)
        raise RestoreRefused("maintenance.restore_damaged" if damaged else "maintenance.restore_not_database",
                             file=backup, detail=exc) from exc
    finally:
        conn.close()
    if problems != ["ok"]:
        raise RestoreRefused("maintenance.restore_damaged", file=backup, detail="; ".join(problems[:3]))
    revision = found[0] if found else None
    if revision not in known_revisions():  # from a newer version of the app: it could not open it
        raise RestoreRefused("maintenance.restore_newer", file=backup, revision=str(revision))


def known_revisions() -> set[str]:
    versions = Path(__file__).parent / "migrations" / "versions"
    return {path.stem for path in versions.glob("[0-9]*.py")}


def _lock_current(target: Path) -> sqlite3.Connection:
    """A connection holding `target` exclusively, in rollback-journal mode (so it is one file).

    Leaving WAL mode needs every other connection closed, which is how a running app is noticed;
    the exclusive lock then keeps one from starting until the file has been replaced.
    """
    conn = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode != "delete":
            raise RestoreRefused("maintenance.restore_in_use", db=target)
        conn.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as exc:  # "database is locked": the app (or a sync) has it open
        conn.close()
        raise RestoreRefused("maintenance.restore_in_use", db=target) from exc
    except sqlite3.DatabaseError as exc:  # the current file is damaged: keep its bytes as they are
        conn.close()
        raise RestoreRefused("maintenance.restore_current_damaged", db=target, detail=exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _max_change_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]


def _pushed_beyond(current: sqlite3.Connection, restored: Path) -> None:
    """Refuse when a hub or a bundle holds changes this device numbered past the backup's last one.

    The device would number its next changes from the backup's last one again, and the hub (and
    every device) skips a (device, number) it has seen: those edits would never reach anyone.
    """
    try:
        pushed = current.execute("SELECT coalesce(max(pushed_seq), 0) FROM sync_state").fetchone()[0]
    except sqlite3.OperationalError:  # a file from before sync
        return
    row = current.execute("SELECT value FROM local_setting WHERE key = ?", (BUNDLE_EXPORTED_SEQ_SETTING,)).fetchone()
    exported = int(row[0]) if row else 0
    conn = sqlite3.connect(restored)
    try:
        last = _max_change_seq(conn)
    finally:
        conn.close()
    if pushed > last:
        raise RestoreRefused("maintenance.restore_behind_hub", pushed=pushed, last=last)
    if exported > last:
        raise RestoreRefused("maintenance.restore_behind_bundle", exported=exported, last=last)


def _carry_notice_counters(current: sqlite3.Connection, restored: Path) -> None:
    """Numbers of notices issued after the backup stay used: the restored counters start past them
    (a gap in the numbers, never a second notice with the same number). Either file may be from
    before each kind had its own series (migration 0009): a shared counter counts for every kind."""
    counters = _counters(current)
    conn = sqlite3.connect(restored)
    try:
        with conn:
            if _has_kind(conn):
                conn.executemany(
                    "INSERT INTO notice_counter (kind, device_block, year, last_sequence) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (kind, device_block, year) DO UPDATE SET "
                    "last_sequence = max(last_sequence, excluded.last_sequence)", counters)
            else:
                conn.executemany(
                    "INSERT INTO notice_counter (device_block, year, last_sequence) VALUES (?, ?, ?) "
                    "ON CONFLICT (device_block, year) DO UPDATE SET "
                    "last_sequence = max(last_sequence, excluded.last_sequence)",
                    [row[1:] for row in counters])
    finally:
        conn.close()


NOTICE_KINDS = ("rectification", "reinspection_opinion", "inspection_record")


def _has_kind(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "kind" for row in conn.execute("PRAGMA table_info(notice_counter)"))


def _counters(conn: sqlite3.Connection) -> list[tuple[str, str, int, int]]:
    """(kind, block, year, last sequence) of every counter; a shared counter once per kind."""
    if _has_kind(conn):
        return conn.execute("SELECT kind, device_block, year, last_sequence FROM notice_counter").fetchall()
    return [(kind, *row) for row in conn.execute("SELECT device_block, year, last_sequence FROM notice_counter")
            for kind in NOTICE_KINDS]


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """A whole, self-contained copy (rollback-journal mode) through the backup API, fsynced."""
    try:
        create_private_file(target)
        dst = sqlite3.connect(target)
        try:
            source.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        source.close()
    fsync_file(target)



