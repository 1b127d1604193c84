"""Open the local SQLite store: pragmas, migrations, this device's identity, transactions.

Screens never open sessions. Services write through `Store.transaction()` (committed together
with their change-log entries) and read through `Store.read()` (ORM queries) or
`Store.read_connection()` (plain SQL from the query modules under db/, on a connection that
refuses writes). The first screen is read with plain SQL (db/overview.py) so that start-up does
not wait for SQLAlchemy and the table classes to load (~0.15 s); `warm_up()` loads them in the
background once the first screen is up. `Store.connect()`, the writable plain connection, is for
the writes that must bypass the change-log hook: the sync machinery (a remote change applied is
not this device's change; cursors, inbox, outbox marks) and this store's own device id.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from db import migrations, search_key
from db.backup import backup_file
from db.clock import HybridClock, newest, wall_clock_ms
from db.errors import StoreOpenError
from db.idle_connections import IdleConnections, TrackedConnection
from db.private_files import create_private_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 5000
CLOCK_OFFSET_SETTING = "clock_offset_ms"  # local_setting: hub time minus this machine's (ms)
# applied_change.problem of a remote change stamped too far ahead of this device's time (sync/apply.py)
CLOCK_AHEAD = "clock_ahead"
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    # FULL: a transaction the UI reported as saved survives power loss, not only a crash.
    "PRAGMA synchronous=FULL",
)


def _set_pragmas(dbapi_connection, _record=None) -> None:
    """Every connection the store opens: its pragmas, and the SQL function the triggers of
    `tenant_search` call (a write to a tenant's name fails on a connection without it)."""
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
    search_key.register(dbapi_connection)


def _open_plain(path: Path, *extra_pragmas: str) -> TrackedConnection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, factory=TrackedConnection)
    try:
        _set_pragmas(conn)
        for pragma in extra_pragmas:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def _lent(connections: IdleConnections) -> Iterator[TrackedConnection]:
    """A connection taken from `connections` for the block, given back after it; closed instead
    when the block raised (whatever went wrong may have left it unfit for the next user)."""
    conn = connections.take()
    try:
        yield conn
    except BaseException:
        conn.close()
        raise
    connections.give_back(conn)


def make_engine(path: Path | str) -> Engine:
    # SQLAlchemy: not at start-up, the first screen is read with plain sqlite3 (module docstring).
    from sqlalchemy import event
    from sqlmodel import create_engine

    engine = create_engine(f"sqlite:///{path}",
                           connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _set_pragmas)
    return engine


class Store:
    def __init__(self, path: Path, clock: HybridClock, actor_id: str | None = None):
        self.path = path
        self.clock = clock
        self.actor_id = actor_id
        # `parkinspect --office`: this run acts in the office's role (db/device_scope.office_refusal).
        self.office_run = False
        # Plain connections kept between uses (db/idle_connections.py says why), lent to one user
        # at a time from the UI thread or a worker: hence check_same_thread=False in _open_plain.
        self._writers = IdleConnections(lambda: _open_plain(self.path))
        self._readers = IdleConnections(lambda: _open_plain(self.path, "PRAGMA query_only=ON"))

    @classmethod
    def open(cls, path: Path | str, *, now_ms: Callable[[], int] = wall_clock_ms, migrate: bool = True) -> Store:
        path = Path(path)
        create_private_file(path)  # 0600 in a 0700 folder when new; SQLite's -wal/-shm follow its mode
        store = cls(path, HybridClock("", now_ms=now_ms))
        try:
            if migrate:
                migrations.upgrade_to_head(path)
            with store.connect() as conn:
                device_id = _device_id(conn)
                last = _last_stamp(conn)
                offset = _clock_offset(conn)
                actor = conn.execute("SELECT value FROM local_setting WHERE key = 'inspector_id'").fetchone()
        except sqlite3.OperationalError as exc:  # locked, unreadable, a missing table
            raise StoreOpenError("maintenance.cannot_open", db=path, detail=exc) from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database", damaged pages
            raise StoreOpenError("maintenance.cannot_read", db=path, detail=exc) from exc
        store.clock = HybridClock(device_id, now_ms=now_ms, last=last, offset_ms=offset)
        store.actor_id = actor[0] if actor else None
        return store

    @property
    def device_id(self) -> str:
        return self.clock.device_id

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A writable plain sqlite3 connection (same pragmas). Its writes skip the change-log hook,
        so they never sync: only for the sync machinery (inspect_app/sync/) and the store's own
        local rows. Services never use it (tests/test_layers.py); they read through
        `read_connection()` and write through `transaction()`."""
        with _lent(self._writers) as conn:
            with conn:  # commits, or rolls back on an exception
                yield conn

    @contextmanager
    def read_connection(self) -> Iterator[sqlite3.Connection]:
        """A plain sqlite3 connection (same pragmas) that refuses every write (`query_only`): the
        reads that must not wait for the ORM (start-up) or are aggregate SQL (the query modules
        under db/). A write on it raises `sqlite3.OperationalError` instead of slipping past the
        change log."""
        with _lent(self._readers) as conn:
            with conn:
                yield conn

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: everything in the block commits together, or nothing does."""
        # The ORM and the table classes: not at start-up (module docstring).
        from sqlmodel import Session

        from db.changelog import WriteContext  # also registers the change-log flush hooks

        with Session(self.engine, expire_on_commit=False) as session:
            session.info["write_context"] = WriteContext(self.clock, self.actor_id)
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlmodel import Session  # the ORM: not at start-up (module docstring)

        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def warm_up(self) -> None:
        """Load the table classes and the ORM's mappings ahead of the first use (a background job)."""
        # Here, in the background worker, is where start-up's deferred ORM imports are paid.
        from sqlalchemy.orm import configure_mappers

        import db.changelog  # noqa: F401

        configure_mappers()
        with self.engine.connect():
            pass

    def backup_to(self, target: Path) -> None:
        """Consistent online copy through SQLite's backup API (safe while others write)."""
        backup_file(self.path, target)

    def close(self) -> None:
        """Close the connections kept open. The store stays usable: a later use opens new ones."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        self._writers.close_all()
        self._readers.close_all()


def _last_stamp(conn: sqlite3.Connection) -> str | None:
    """The newest stamp this device made or applied: its clock starts past both, so an edit made
    after a sync (even with the wall clock behind) wins over what it saw. The numeric max: a stamp
    of another width (written before the width was enforced) sorts wrongly as a string."""
    own = conn.execute("SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1").fetchone()
    return newest([own[0] if own else None, *received_stamps(conn)])


def received_stamps(conn: sqlite3.Connection) -> list[str]:
    """The newest stamp applied from other devices and the newest a first sync loaded (each or none)."""
    stamps = []
    try:
        # The index on hlc, walked from the top: fixed-width stamps sort as strings in clock order.
        # A change set aside as too far ahead (sync/apply.py) is not observed: it would poison the clock.
        applied = conn.execute(
            "SELECT hlc FROM applied_change WHERE substr(hlc, 14, 1) = '.' AND substr(hlc, 20, 1) = '.' "
            f"AND coalesce(problem, '') NOT LIKE '{CLOCK_AHEAD}%' ORDER BY hlc DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:  # opened without migrating, older schema
        applied = None
    if applied and applied[0]:
        stamps.append(applied[0])
    # A first sync loads rows without their changes (inspect_app/sync/snapshot.py): their newest stamp.
    floor = conn.execute("SELECT value FROM local_setting WHERE key = 'clock_floor'").fetchone()
    if floor and floor[0]:
        stamps.append(floor[0])
    return stamps


def _clock_offset(conn: sqlite3.Connection) -> int:
    """The correction of this machine's wall clock learned from the hub at the last sync (ms)."""
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (CLOCK_OFFSET_SETTING,)).fetchone()
    try:
        return int(row[0]) if row else 0
    except ValueError:
        return 0


def _device_id(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM local_setting WHERE key = 'device_id'").fetchone()
    if row:
        return row[0]
    device_id = secrets.token_hex(8)
    conn.execute("INSERT INTO local_setting (key, value) VALUES ('device_id', ?)", (device_id,))
    log.info("new device id %s", device_id)
    return device_id
