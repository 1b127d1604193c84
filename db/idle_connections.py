"""Plain sqlite3 connections kept open between uses, for `Store.connect()` and `Store.read_connection()`.

A new SQLite connection reads and parses the whole schema on its first statement: ~2–3 ms of CPU
for ours (some 60 KB of SQL, 45 triggers), paid by every screen read, every sync step and every
search keystroke that opened its own. A connection given back here is handed to the next user
instead, as SQLAlchemy's pool does for the ORM's.

A connection is kept only when it is quiet: no transaction open and no statement still running (a
cursor not read to its end keeps a read snapshot, and the next user would read the past through
it). SQLite's `sqlite_stmt` table tells; where the SQLite library lacks it (built without
SQLITE_ENABLE_STMTVTAB) nothing is kept and every use opens its own connection, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

# A few at most are in use at once (the UI thread, a worker or two); more idle ones only hold files.
KEEP_AT_MOST = 4
_ONLY_ITSELF_BUSY = "SELECT count(*) FROM sqlite_stmt WHERE busy"  # the count counts this statement too


class IdleConnections:
    def __init__(self, open_new: Callable[[], sqlite3.Connection]):
        self._open_new = open_new
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def take(self) -> sqlite3.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._open_new()

    def give_back(self, conn: sqlite3.Connection) -> None:
        """Keep `conn` for the next user when it is quiet, else close it."""
        if _quiet(conn):
            with self._lock:
                if len(self._idle) < KEEP_AT_MOST:
                    self._idle.append(conn)
                    return
        conn.close()

    def close_all(self) -> None:
        """Close the idle ones (a file about to be replaced, a store closing); later uses open new ones."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _quiet(conn: sqlite3.Connection) -> bool:
    try:
        return not conn.in_transaction and conn.execute(_ONLY_ITSELF_BUSY).fetchone()[0] == 1
    except sqlite3.Error:  # no sqlite_stmt in this SQLite build, or the connection closed or broken
        return False
