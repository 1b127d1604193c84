"""Errors a person must read, shared by every layer above the database (kept free of heavy imports:
the CLI's entry point catches them before anything else is loaded).

`UserError` lives here, below both the services and the sync code, so that neither has to import
the other to refuse input in the user's language.
"""

from __future__ import annotations

from forms.i18n import t


class StoreOpenError(Exception):
    """The database file could not be opened, and nothing in it was changed: not a database,
    damaged, locked, from a newer version of the app, or no room for the copy made before a
    migration. `key` and `values` name the translated message."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


class UserError(Exception):
    """Refused input, a value with a message in the user's language, never a traceback. `field`
    names the form field the message belongs next to (or None)."""

    def __init__(self, key: str, *, field: str | None = None, **values: object):
        super().__init__(key)
        self.key = key
        self.field = field
        self.values = values

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang=lang, **self.values)
