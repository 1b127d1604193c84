"""Reading one of this device's local settings (`local_setting`: never synced) on a plain connection.

Written through `Store.transaction()` (an ORM `LocalSetting`), read here with plain SQL on a
`Store.read_connection()` connection where a service needs one value without the ORM.
"""

from __future__ import annotations

import sqlite3


def read_setting(conn: sqlite3.Connection, key: str) -> str | None:
    """The value kept under `key`, or None when there is none."""
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
