"""Open the local SQLite store: pragmas, migrations, this device's identity, transactions.

Screens never open sessions; services do, through `Store.transaction()` (writes, committed
together with their change-log entries) or `Store.read()` (queries).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

import db.changelog  # noqa: F401  (registers the flush hook)
from db import migrations
from db.backup import backup_file
from db.changelog import WriteContext
from db.clock import HybridClock, wall_clock_ms
from db.models import ChangeLog, LocalSetting

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 5000


def _set_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # FULL: a transaction the UI reported as saved survives power loss, not only a crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _set_pragmas)
    return engine


class Store:
    def __init__(self, path: Path, engine: Engine, clock: HybridClock):
        self.path = path
        self.engine = engine
        self.clock = clock
        self.actor_id: str | None = None

    @classmethod
    def open(cls, path: Path | str, *, now_ms: Callable[[], int] = wall_clock_ms, migrate: bool = True) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if migrate:
            migrations.upgrade_to_head(path)
        engine = make_engine(path)
        with Session(engine) as session:
            device_id = _device_id(session)
            last = session.exec(select(ChangeLog.hlc).order_by(ChangeLog.seq.desc()).limit(1)).first()
            actor = session.get(LocalSetting, "inspector_id")
        store = cls(path, engine, HybridClock(device_id, now_ms=now_ms, last=last))
        store.actor_id = actor.value if actor else None
        return store

    @property
    def device_id(self) -> str:
        return self.clock.device_id

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: everything in the block commits together, or nothing does."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.info["write_context"] = WriteContext(self.clock, self.actor_id)
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def setting(self, key: str) -> str | None:
        with self.read() as session:
            row = session.get(LocalSetting, key)
            return row.value if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as session:
            session.merge(LocalSetting(key=key, value=value))

    def backup_to(self, target: Path) -> None:
        """Consistent online copy through SQLite's backup API (safe while others write)."""
        backup_file(self.path, target)

    def close(self) -> None:
        self.engine.dispose()


def _device_id(session: Session) -> str:
    row = session.get(LocalSetting, "device_id")
    if row:
        return row.value
    device_id = secrets.token_hex(8)
    session.add(LocalSetting(key="device_id", value=device_id))
    session.commit()
    log.info("new device id %s", device_id)
    return device_id
