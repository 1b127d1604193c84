"""Alembic environment: the SQLModel metadata is the target; SQLite needs batch mode for ALTERs."""

from alembic import context
from sqlmodel import SQLModel

import db.models  # noqa: F401  (fills SQLModel.metadata)
from db.store import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url.removeprefix("sqlite:///"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them against a file")
run_migrations_online()
