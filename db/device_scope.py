"""Which parks this device's hub enrolment covers, and whether it may do the office's work.

The hub decides (`/me` `parks`: empty = every park) and refuses what a park-limited device may
not write; the device keeps the last answer in `local_setting` so that its services refuse the
office's work (plans, draws, review decisions) at once, offline too, instead of letting the hub
refuse it later. The profile's role (`device_role`: inspector or office; `parkinspect --office`
for one run) says what a device the hub has not answered for yet is: a laptop, or a stand-alone
office. `office_refusal` puts the two together; the hub's answer wins over the role, and the hub
refuses the office's rows from a park-limited device whatever its role. Plain sqlite3, so the sync
client (which may not import the services) writes it.
"""

from __future__ import annotations

import json

SETTING = "hub_parks"
ROLE_SETTING = "device_role"
ROLES = ("inspector", "office")


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


def hub_parks_known(conn) -> bool:
    """Whether the hub has told this device which parks it covers (it has synced once)."""
    return conn.execute("SELECT 1 FROM local_setting WHERE key = ?", (SETTING,)).fetchone() is not None


def device_role(conn) -> str:
    """The profile's role: "inspector" (the default) or "office"."""
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (ROLE_SETTING,)).fetchone()
    return row[0] if row is not None and row[0] in ROLES else "inspector"


def office_refusal(conn, *, office_run: bool = False) -> str | None:
    """Why this device may not do the office's work, or None when it may:
    "limited" — the hub enrolled it for some parks only (whatever its role);
    "inspector" — the hub has not answered, and the profile's role is inspector (no `--office`).
    A device the hub enrolled for every park is the office's."""
    if assigned_parks(conn) is not None:
        return "limited"
    if hub_parks_known(conn) or office_run or device_role(conn) == "office":
        return None
    return "inspector"
