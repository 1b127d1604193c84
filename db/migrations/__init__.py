"""Alembic migrations, applied at start-up.

`HEAD_REVISION` lets start-up see "already at head" with one tiny SQLite query instead of
importing Alembic (about 100 ms); `tests/test_store.py` keeps it equal to Alembic's head.
When a migration will run on a file that holds data, the file is first copied to
`<name>.before-<target revision>.bak` (an older copy of the same name is replaced only after
the new copy is complete).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from db.backup import backup_file, known_revisions
from db.errors import StoreOpenError

HEAD_REVISION = "0024_search_order"
MIGRATIONS_DIR = Path(__file__).parent
log = logging.getLogger(__name__)


def current_revision(path: Path) -> str | None:
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        if row is None:
            return None
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return found[0] if found else None
    finally:
        conn.close()


def has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0
    finally:
        conn.close()


def alembic_config(path: Path):
    from alembic.config import Config  # Alembic: only when a schema is behind, never at start-up

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    return config


def upgrade_to_head(path: Path) -> Path | None:
    """Bring the file to the newest schema; return the pre-migration copy if one was made."""
    current = current_revision(path)
    if current == HEAD_REVISION:
        return None
    if current is not None and current not in known_revisions():
        raise StoreOpenError("maintenance.newer_database", db=path, revision=current)
    copy = None
    if has_tables(path):
        copy = path.with_name(f"{path.name}.before-{HEAD_REVISION}.bak")
        try:
            backup_file(path, copy)
        except OSError as exc:  # most often a full disk: the file is left as it was, unmigrated
            raise StoreOpenError("maintenance.migration_copy_failed", db=path, file=copy,
                                 reason=exc.strerror or exc) from exc
        log.info("copied %s to %s before migrating from %s", path, copy, current)
    from alembic import command  # Alembic: only now that the schema is behind

    command.upgrade(alembic_config(path), "head")
    return copy
