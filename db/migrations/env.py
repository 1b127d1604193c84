"""Alembic environment: the SQLModel metadata is the target; SQLite needs batch mode for ALTERs.

Each migration is one SQLite transaction, its DDL included, so a migration cut short (the laptop's
battery, a kill) leaves the file at the previous revision rather than half-changed: Python's sqlite3
only opens transactions before INSERT/UPDATE/DELETE, so a CREATE TABLE ran and stayed on its own,
and the next start failed on "table already exists". The driver is told to leave transactions to
SQLAlchemy, which then emits BEGIN (SQLAlchemy's recipe for pysqlite).
"""

from alembic import context
from sqlalchemy import event
from sqlmodel import SQLModel

import db.models  # noqa: F401  (fills SQLModel.metadata)
from db.store import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url.removeprefix("sqlite:///"))

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          transactional_ddl=True, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them against a file")
run_migrations_online()
