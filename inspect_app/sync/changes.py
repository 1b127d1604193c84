"""This device's outbox as wire changes (docs/SYNC.md), the push cursor and refused changes.

Read with plain SQL: a push page is a few hundred small rows and needs no ORM objects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from db.store import Store
from inspect_app.sync.protocol import wire_change
from inspect_app.sync.resend import resent

OUTBOX_COLUMNS = "seq, device_id, table_name, row_id, op, hlc, actor_id, payload, base"
INBOX_COLUMNS = "device_seq, origin_device, table_name, row_id, op, hlc, actor_id, payload, base, hub_seq"


def outbox_page(store: Store, after_seq: int, limit: int) -> list[dict]:
    """This device's changes with `change_log.seq > after_seq`, oldest first, at most `limit`."""
    with store.connect() as conn:
        rows = conn.execute(f"SELECT {OUTBOX_COLUMNS} FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?",
                            (after_seq, limit)).fetchall()
    return [wire_change(*row) for row in rows]


def inbox_changes(store: Store) -> list[dict]:
    """Every change from other devices held here (applied, waiting or set aside), in the order it
    arrived per device: what a bundle relays. Not the ones set aside as not in the wire format:
    another device's import would refuse the whole bundle for them."""
    with store.connect() as conn:
        rows = conn.execute(f"SELECT {INBOX_COLUMNS} FROM applied_change "
                            "WHERE problem IS NULL OR problem NOT LIKE 'format:%' "
                            "ORDER BY coalesce(hub_seq, 0), origin_device, device_seq").fetchall()
    return [wire_change(*row, checked=False) for row in rows]


def push_cursor(store: Store, hub: str) -> tuple[int, int]:
    """(pushed_seq, pulled_seq) for this hub — its id, or the address it was last synced at —
    (0, 0) before the first sync."""
    with store.connect() as conn:
        row = conn.execute("SELECT pushed_seq, pulled_seq FROM sync_state WHERE hub_id = ?", (hub,)).fetchone()
        if row is None:
            row = conn.execute("SELECT pushed_seq, pulled_seq FROM sync_state WHERE hub_url = ? "
                               "ORDER BY last_sync_at DESC LIMIT 1", (hub,)).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def mark_pushed(store: Store, hub: str, acked_through: int) -> None:
    """The hub (by id) holds every change up to `acked_through`: the push cursor moves there
    (never back here; sync/cursors.py rewind_push moves it back for a hub put back from a backup)."""
    with store.connect() as conn:
        save_push_cursor(conn, hub, acked_through)


def save_push_cursor(conn, hub: str, acked_through: int) -> None:
    """`mark_pushed` on an open sqlite3 connection, in the caller's transaction."""
    conn.execute(
        "INSERT INTO sync_state (hub_id, pushed_seq, pulled_seq, last_sync_at) VALUES (?, ?, 0, ?) "
        "ON CONFLICT (hub_id) DO UPDATE SET pushed_seq = max(pushed_seq, excluded.pushed_seq), "
        "last_sync_at = excluded.last_sync_at",
        (hub, acked_through, _now()))


def record_rejected(store: Store, rejected: list[dict]) -> int:
    """Keep the hub's refusals (`{"device_seq", "code", "message"}`) with the change itself;
    a refusal already kept is not kept twice. Returns how many were new."""
    new = 0
    with store.connect() as conn:
        again = resent(conn)
        for item in rejected:
            seq = int(item["device_seq"])
            row = conn.execute(f"SELECT {OUTBOX_COLUMNS} FROM change_log WHERE seq = ?", (seq,)).fetchone()
            change = wire_change(*row) if row else {"device_seq": seq}
            if (again and again["from"] <= seq <= again["to"] and item.get("code") == "append_only"
                    and change.get("op") == "insert"):
                continue  # re-sent from the rows (sync/resend.py): the hub still holds this row
            cursor = conn.execute(
                "INSERT INTO rejected_change (device_seq, code, message, change, rejected_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (device_seq) DO NOTHING",
                (seq, str(item.get("code", "")), str(item.get("message", "")),
                 json.dumps(change, ensure_ascii=False), _now()))
            new += cursor.rowcount
    return new


def _now() -> str:
    # The format SQLAlchemy uses for DateTime columns in SQLite, so ORM reads parse it.
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
