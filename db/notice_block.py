"""This device's block in notice numbers, and where it came from.

A notice number reads `{agency short}〔{year}〕{block}-{sequence:04d}号`; the block keeps numbers of
laptops that issue offline apart. In order of precedence a block is:

- set by hand (`parkinspect notices block A07`, the office's own plan): 2–6 characters;
- assigned by the hub at enrolment (`H` + a number, unique county-wide by construction), adopted
  from `/me` at each sync;
- provisional, until either exists: `P` + 7 base-32 characters of the sha256 of the whole random
  device id (35 bits, about 34 billion values: two devices of a county sharing one is
  vanishingly unlikely). Eight characters, so it can never equal a hand-set or hub-assigned block.

Plain sqlite3 on `local_setting`, so both the services and the sync client (which may not import
the services) read and write it. A notice already issued keeps the block it was issued under.
"""

from __future__ import annotations

import base64
import hashlib
import re

HAND = "hand"
HUB = "hub"
PROVISIONAL = "provisional"

HAND_SETTING = "device_block"  # the key used since the first notices: hand-set blocks keep working
HUB_SETTING = "device_block_hub"
HAND_PATTERN = re.compile(r"[A-Z][A-Z0-9]{1,5}")
HUB_PATTERN = re.compile(r"H[0-9]{3,5}")  # what the hub assigns; reserved, never set by hand


def provisional_block(device_id: str) -> str:
    digest = hashlib.sha256(device_id.encode("utf-8")).digest()
    return "P" + base64.b32encode(digest).decode("ascii")[:7]


def hub_block(number: int) -> str:
    """The hub's n-th block: H001, H002, … H99999."""
    return f"H{number:03d}"


def current_block(conn, device_id: str) -> tuple[str, str]:
    """(block, origin) for this device; `conn` is a plain sqlite3 connection to its database."""
    rows = dict(conn.execute("SELECT key, value FROM local_setting WHERE key IN (?, ?)",
                             (HAND_SETTING, HUB_SETTING)).fetchall())
    if rows.get(HAND_SETTING):
        return rows[HAND_SETTING], HAND
    if rows.get(HUB_SETTING):
        return rows[HUB_SETTING], HUB
    return provisional_block(device_id), PROVISIONAL


def adopt_hub_block(conn, block: object) -> bool:
    """Keep the block the hub assigned this enrolment (from `/me`); True when it changed. A value
    that is not a hub block is ignored: the hub is trusted for its own answer's shape no further."""
    if not isinstance(block, str) or not HUB_PATTERN.fullmatch(block):
        return False
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (HUB_SETTING,)).fetchone()
    if row is not None and row[0] == block:
        return False
    conn.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (HUB_SETTING, block))
    return True
