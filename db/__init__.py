"""Persistence: engine and pragmas, SQLModel tables, migrations, change log, queries.

Imports `forms` only; never `inspect_app`, `exports` or Textual.
"""
