"""Errors of the storage layer that a person must read (kept free of heavy imports: the CLI's
entry point catches them before anything else is loaded)."""

from __future__ import annotations


class StoreOpenError(Exception):
    """The database file could not be opened, and nothing in it was changed: not a database,
    damaged, locked, from a newer version of the app, or no room for the copy made before a
    migration. `key` and `values` name the translated message."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values
