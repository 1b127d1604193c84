"""Alembic environment of the hub database (SQLite or PostgreSQL), run by `inspect_app/hub/migrate.py`.

The caller hands over a connection already inside its transaction (`config.attributes["connection"]`):
the stamp of a hub made before migrations and every revision then commit together or not at all.
"""

from alembic import context

from inspect_app.hub.storage import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise SystemExit("hub migrations run through inspect_app.hub.migrate.upgrade, against a database")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
