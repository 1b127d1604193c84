"""Plain sqlite3 connections kept open between uses, for `Store.connect()` and `Store.read_connection()`.

A new SQLite connection reads and parses the whole schema on its first statement: ~2–3 ms of CPU
for ours (some 60 KB of SQL, 45 triggers), paid by every screen read, every sync step and every
search keystroke that opened its own. A connection given back here is handed to the next user
instead, as SQLAlchemy's pool does for the ORM's.

A connection comes back as a closed one used to: every cursor opened on it is closed (a cursor not
read to its end holds a read snapshot, and the next user would read the past through it), and
one with a transaction still open is closed whole. `TrackedConnection` remembers its cursors for
that; it needs nothing of the SQLite library beyond what every build has.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable

# A few at most are in use at once (the UI thread, a worker or two); more idle ones only hold files.
KEEP_AT_MOST = 4


class TrackedConnection(sqlite3.Connection):
    """A sqlite3 connection that knows the cursors opened on it (`sqlite3.connect(factory=...)`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cursors: weakref.WeakSet[sqlite3.Cursor] = weakref.WeakSet()

    def cursor(self, *args, **kwargs) -> sqlite3.Cursor:
        cursor = super().cursor(*args, **kwargs)
        self._cursors.add(cursor)
        return cursor

    # The connection's shortcuts make their cursor in C, past `cursor()`: the same, tracked.
    def execute(self, *args) -> sqlite3.Cursor:
        return self.cursor().execute(*args)

    def executemany(self, *args) -> sqlite3.Cursor:
        return self.cursor().executemany(*args)

    def executescript(self, *args) -> sqlite3.Cursor:
        return self.cursor().executescript(*args)

    def close_cursors(self) -> None:
        for cursor in list(self._cursors):
            cursor.close()


class IdleConnections:
    def __init__(self, open_new: Callable[[], TrackedConnection]):
        self._open_new = open_new
        self._idle: list[TrackedConnection] = []
        self._lock = threading.Lock()

    def take(self) -> TrackedConnection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._open_new()

    def give_back(self, conn: TrackedConnection) -> None:
        """Keep `conn` for the next user, its cursors closed; closed whole when a transaction is open."""
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


def _quiet(conn: TrackedConnection) -> bool:
    try:
        conn.close_cursors()
        return not conn.in_transaction
    except sqlite3.Error:  # the connection closed by its user, or broken
        return False
