"""Does a JSON value from the wire fit its column? (docs/SYNC.md, "A change on the wire").

A change's payload is JSON written by `db.changelog.json_value`. A value of the wrong JSON type —
a list for a name, a word for a date, an integer past 64 bits — would make SQLite refuse the
statement halfway through a page (or store a value no screen expects). The device checks every
payload before applying a pull page or a bundle, and the hub before accepting a push, so such a
change is refused as a whole and never reaches another device.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from functools import cache

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, LargeBinary, String, Table

INT64 = range(-(2**63), 2**63)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in INT64


def _is_float(value: object) -> bool:
    return isinstance(value, float) or _is_int(value)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or value in (0, 1) and _is_int(value)


def _is_iso(parse):
    def check(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


def _is_base64(value: object) -> bool:
    if not isinstance(value, dict) or set(value) != {"base64"} or not isinstance(value["base64"], str):
        return False
    try:
        base64.b64decode(value["base64"], validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _any(_value: object) -> bool:
    return True


@cache
def _checks(table: Table) -> dict:
    checks = {}
    for column in table.columns:
        kind = getattr(column.type, "impl", column.type)  # a TypeDecorator stores as its `impl`
        if isinstance(kind, DateTime):
            checks[column.name] = _is_iso(datetime.fromisoformat)
        elif isinstance(kind, Date):
            checks[column.name] = _is_iso(date.fromisoformat)
        elif isinstance(kind, LargeBinary):
            checks[column.name] = _is_base64
        elif isinstance(kind, Boolean):
            checks[column.name] = _is_bool
        elif isinstance(kind, Integer):
            checks[column.name] = _is_int
        elif isinstance(kind, Float):
            checks[column.name] = _is_float
        elif isinstance(kind, String):
            checks[column.name] = lambda v: isinstance(v, str)
        elif isinstance(kind, JSON):
            checks[column.name] = _any
        else:
            checks[column.name] = _any
    return checks


def payload_problem(table: Table, payload: dict) -> str | None:
    """None when every value fits its column (None always does: NOT NULL is the merge's business),
    else a short reason naming the first field that does not. Unknown fields are not checked here."""
    checks = _checks(table)
    for name, value in payload.items():
        check = checks.get(name)
        if value is not None and check is not None and not check(value):
            return f"{table.name}.{name}: {type(value).__name__} value does not fit the column"
    return None
