"""Errors a user can cause: a value with a message in their language, never a traceback."""

from __future__ import annotations

from forms.i18n import t


class UserError(Exception):
    """Refused input. `field` names the form field the message belongs next to (or None)."""

    def __init__(self, key: str, *, field: str | None = None, **values: object):
        super().__init__(key)
        self.key = key
        self.field = field
        self.values = values

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang=lang, **self.values)
