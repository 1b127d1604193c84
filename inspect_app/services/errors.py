"""The refusal a person reads, as the screens and widgets see it: they take it from the services,
never from `db` (tests/test_layers.py). It lives in db/errors.py, below both the services and the
sync code."""

from __future__ import annotations

from db.errors import UserError

__all__ = ["UserError"]
