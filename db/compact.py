"""The file side of `parkinspect compact` (inspect_app/services/compact.py): holding the file alone,
its figures, and writing a compacted copy in its place.

Held alone: the connection leaves WAL mode (only possible when no other connection has the file
open: how a running app or sync is noticed, as `restore` does) and takes SQLite's exclusive
locking mode, so no other process reads or writes it until the connection closes.

Compacted: `VACUUM INTO` a new file beside the database (`<name>.compact-partial`), synced to disk,
then renamed over the database while the lock is still held, and the folder synced. A crash before
the rename leaves the database as it was (and a partial file the next run removes); after it, the
new file is whole. The new file needs about as much free space as the data it holds
(`used_bytes`), not the old file's size.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db import search_key

PARTIAL_SUFFIX = ".compact-partial"


class FileInUse(Exception):
    """Another connection (the app, a sync, a second command) has the database open."""


@dataclass(frozen=True)
class Figures:
    file_bytes: int
    used_bytes: int  # pages holding data (the file less its free pages)
    log_bytes: int  # the outbox: change_log and its indexes
    log_rows: int
    tables: dict[str, int]  # bytes per table, its indexes included, largest first


def hold_alone(path: Path) -> sqlite3.Connection:
    """A connection that has the file to itself until closed; FileInUse when another has it open."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        if conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] != "delete":
            raise FileInUse(str(path))
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")  # takes the lock now; kept after COMMIT (exclusive mode)
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys=ON")
        search_key.register(conn)
    except sqlite3.OperationalError as exc:  # "database is locked"
        conn.close()
        raise FileInUse(str(path)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def used_bytes(conn: sqlite3.Connection) -> int:
    """The pages holding data: about the size of the file VACUUM writes."""
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    return page_size * (conn.execute("PRAGMA page_count").fetchone()[0]
                        - conn.execute("PRAGMA freelist_count").fetchone()[0])


def figures(conn: sqlite3.Connection) -> Figures:
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    by_table: dict[str, int] = {}
    for table, size in conn.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat AS d "
            "LEFT JOIN sqlite_master AS m ON m.name = d.name GROUP BY 1"):
        by_table[table] = by_table.get(table, 0) + size
    rows = conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    return Figures(file_bytes=pages * page_size, used_bytes=(pages - free) * page_size,
                   log_bytes=by_table.get("change_log", 0), log_rows=rows,
                   tables=dict(sorted(by_table.items(), key=lambda item: -item[1])))


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def remove_partial(path: Path) -> None:
    """A copy left by a compaction cut short: never the database, so it goes."""
    partial_path(path).unlink(missing_ok=True)


def write_compacted(conn: sqlite3.Connection, path: Path) -> None:
    """VACUUM INTO a partial copy, sync it, rename it over `path` (the lock still held), sync the folder."""
    partial = partial_path(path)
    partial.unlink(missing_ok=True)
    conn.execute("VACUUM INTO ?", (str(partial),))
    os.chmod(partial, os.stat(path).st_mode & 0o777)  # the database's own mode (0600)
    descriptor = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def back_to_wal(path: Path) -> None:
    """The file as the app keeps it: WAL mode (the store sets it at each open too)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
