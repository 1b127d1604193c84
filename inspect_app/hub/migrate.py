"""The hub database's schema: Alembic revisions in `inspect_app/hub/migrations/`, run by `open_engine`.

An empty database gets every revision; a hub made before its schema had migrations (its tables,
no `alembic_version`) is stamped at the first revision — its tables are exactly that revision's —
and upgraded in place. The stamp and all revisions run in one transaction: on PostgreSQL DDL is
transactional, and on SQLite the migration connection issues BEGIN itself (Python's sqlite3 would
commit each CREATE TABLE on its own). A PostgreSQL advisory lock keeps two hub processes starting
at once from migrating the same database twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text

from inspect_app.hub.json_columns import compact_json

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001_hub_initial"
HEAD_REVISION = "0011_pg_compact"
MIGRATION_LOCK_KEY = 7_170_302  # PostgreSQL advisory lock, beside the push lock's 7_170_301
log = logging.getLogger("inspect_app.hub")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the hub database to HEAD_REVISION (see the module docstring)."""
    if current_revision(engine) == HEAD_REVISION:  # the usual start: no Alembic import
        return
    from alembic import command
    from alembic.config import Config

    migrating = explicit_transactions(engine, "BEGIN IMMEDIATE")
    try:
        with migrating.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" not in tables and "change" in tables:
                log.info("hub database made before migrations: stamped %s, then upgraded", FIRST_REVISION)
                command.stamp(config, FIRST_REVISION)
            command.upgrade(config, "head")
    finally:
        if migrating is not engine:
            migrating.dispose()


def explicit_transactions(engine: Engine, begin: str) -> Engine:
    """PostgreSQL: the engine itself. SQLite: an engine on the same file whose transactions begin
    with `begin` ("BEGIN IMMEDIATE" to write, "BEGIN" for a consistent read), where Python's
    sqlite3 would begin only before the first INSERT/UPDATE/DELETE (SQLAlchemy's pysqlite recipe)."""
    if engine.dialect.name != "sqlite":
        return engine
    explicit = create_engine(engine.url, json_serializer=compact_json)

    @event.listens_for(explicit, "connect")
    def _no_driver_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=10000")

    @event.listens_for(explicit, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql(begin)

    return explicit
