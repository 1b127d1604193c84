"""Which parks this device's hub enrolment covers: all of them (the office) or some (a laptop).

The hub decides (`/me` `parks`: empty = every park) and refuses what a park-limited device may
not write; the device keeps the last answer in `local_setting` so that its services refuse the
office's work (plans, draws) at once, offline too, instead of letting the hub refuse it later.
A device that never synced holds no answer and counts as a device of every park (a stand-alone
office). Plain sqlite3, so the sync client (which may not import the services) writes it.
"""

from __future__ import annotations

import json

SETTING = "hub_parks"


def adopt_hub_parks(conn, parks: object) -> None:
    """Keep `/me`'s park list (ids); a value that is not a list of strings is ignored."""
    if not isinstance(parks, list) or not all(isinstance(p, str) for p in parks):
        return
    conn.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (SETTING, json.dumps(sorted(parks))))


def assigned_parks(conn) -> list[str] | None:
    """The park ids this device is limited to, or None for a device of every park."""
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (SETTING,)).fetchone()
    if row is None:
        return None
    try:
        parks = json.loads(row[0])
    except ValueError:
        return None
    return parks or None
