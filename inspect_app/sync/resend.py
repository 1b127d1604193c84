"""Sending again, from the rows, what a hub put back from a backup lost after the outbox was pruned.

The outbox keeps only what some hub has not acknowledged (db/changelog_prune.py). A hub restored
from a backup acknowledges this device only up to an older `device_seq` (`/me` `acked_seq`); when
entries after it were already pruned, they cannot be sent again as they were. Every write of
this device is still in its rows, though: each field's winning stamp is in `row_version` (or is
the row's insert stamp), and a stamp names the device that made it. So, from the newest prune
mark at or below the hub's mark (a stamp every later write of this device is above), this device
writes new outbox entries, one per (row, stamp) of its own:

- an insert for each row it inserted after that stamp (all columns as they are now, stamped with
  the insert's stamp; a field changed later carries its later value, whose own write has a greater
  stamp and comes too, from here or from the device that made it: every row merges to the same
  values). Conflict rows are never inserted through sync (each device derives its own);
- an update for the fields whose winning write is this device's (with that write's stamp; `base`
  the field's greatest seen stamp, as a first sync carries it, so conflicts derive as before;
  a tombstone is a `delete`);
- not the changes a hub refused (`rejected_change`): they would be refused again.

They go in stamp order (the order they were made, so a parent's insert precedes its children's),
numbered after the outbox; the entries the outbox still held (not pruned: acknowledged last, or not
sent yet) are then moved after them as they are, and the push cursor set before all of these, in
the same transaction. The hub takes them as new
changes (new numbers); a write it still holds merges as a no-op on every device. Lost for good:
the values of this device's writes another write has since overwritten everywhere (they only made
conflict rows on devices that had not seen them) and the inspector named on each re-sent change
(the audit trail, `audit_event`, keeps who did what). An insert of an append-only row the hub
still holds (an audit event numbered between the mark and the hub's mark) is refused as
`append_only` and dropped quietly (changes.record_rejected): the hub has it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime

from sqlmodel import select

from db import changelog_prune
from db.changelog import row_values
from db.models import SYNCED_TABLES
from db.store import Store

log = logging.getLogger(__name__)

RESENT_SETTING = "change_log_resent"  # local_setting: {"from": seq, "to": seq} of the last re-send
PAGE = 2000
NEVER_INSERTED = frozenset({"conflict"})  # derived on each device; only updates (resolved) sync


def recover(store: Store, hub_id: str, acked: int) -> int | None:
    """For a hub that acknowledges this device up to `acked`: None when it lost nothing this device
    pruned (the ordinary rewind of the push cursor does); else the entries re-sent from the rows
    (0 when an earlier sync already wrote them for this loss: the cursor goes back to them)."""
    with store.connect() as conn:
        below = changelog_prune.state(conn).below
        if below <= acked + 1:
            return None
        done = resent(conn)
        if done and done["hub"] == hub_id and done["acked"] <= acked and below <= done["from"]:
            conn.execute("UPDATE sync_state SET pushed_seq = ? WHERE hub_id = ? AND pushed_seq > ?",
                         (done["from"] - 1, hub_id, done["from"] - 1))
            return 0
    return resend_from_rows(store, hub_id, acked)


def resend_from_rows(store: Store, hub_id: str, acked: int) -> int:
    """Write the re-sent entries for a hub that acknowledges up to `acked`, then move the outbox's
    own entries after them (one transaction). Returns how many entries were written from the rows."""
    device = store.device_id
    with store.connect() as conn:
        conn.execute("BEGIN IMMEDIATE")  # no edit and no push between reading the rows and writing
        after = changelog_prune.state(conn).stamp_at_or_below(acked)
        refused = {row[0] for row in conn.execute("SELECT json_extract(change, '$.hlc') FROM rejected_change")}
        held = {row[0] for row in conn.execute("SELECT hlc FROM change_log")}  # sent as they are, below
        last = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS resend_item (hlc TEXT, table_name TEXT, row_id TEXT, "
                     "op TEXT, base TEXT)")
        conn.execute("DELETE FROM resend_item")
        for table_name in SYNCED_TABLES:
            _collect(conn, table_name, after, device, refused | held)
        written = _write(store, conn, device)
        # The entries the outbox still holds go after them, as they are (their `base` and inspector
        # kept): later than every re-sent write, so a row's insert always precedes its updates.
        # Those the hub refused stay refused (rejected_change keeps each whole).
        conn.execute("INSERT INTO change_log (table_name, row_id, op, hlc, device_id, actor_id, payload, created_at, "
                     "base) SELECT table_name, row_id, op, hlc, device_id, actor_id, payload, created_at, base "
                     "FROM change_log AS c WHERE seq <= ? AND NOT EXISTS (SELECT 1 FROM rejected_change AS r "
                     "WHERE r.device_seq = c.seq) ORDER BY seq", (last,))
        conn.execute("DELETE FROM change_log WHERE seq <= ?", (last,))
        changelog_prune.forget_after(conn, acked, below=last + 1)
        conn.execute("UPDATE sync_state SET pushed_seq = ? WHERE hub_id = ?", (last, hub_id))
        conn.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                     "SET value = excluded.value", (RESENT_SETTING, json.dumps(
                         {"hub": hub_id, "acked": acked, "from": last + 1, "to": last + written})))
        conn.execute("DROP TABLE resend_item")
    log.warning("hub %s lost changes this device had pruned: %d sent again from the rows (stamps after %s)",
                hub_id, written, after or "the start")
    return written


def resent(conn: sqlite3.Connection) -> dict | None:
    """The last re-send: {"hub", "acked" (the hub's mark it was for), "from", "to" (its entries)}."""
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (RESENT_SETTING,)).fetchone()
    return json.loads(row[0]) if row else None


def _own(stamp: str | None, device: str, after: str, refused: set) -> bool:
    return bool(stamp) and stamp > after and stamp.split(".", 2)[-1] == device and stamp not in refused


def _collect(conn: sqlite3.Connection, table_name: str, after: str, device: str, refused: set) -> None:
    """Every (row, own stamp) after `after` of one table into the temp table (no values yet: a
    whole device's rows would not fit in memory; they are read again in stamp order)."""
    # Any write after `after` leaves the row's hlc (its greatest stamp) after it: the hlc index
    # (check results and quarterly reports have none and are read whole: migration 0022).
    rows = conn.execute(f'SELECT t.id, t.hlc, v.inserted, v.clocks, v.seen FROM "{table_name}" AS t '
                        "LEFT JOIN row_version AS v ON v.table_name = ? AND v.row_id = t.id WHERE t.hlc > ?",
                        (table_name, after))
    while page := rows.fetchmany(PAGE):
        items = []
        for row_id, hlc, inserted, clocks, seen in page:
            inserted = inserted or hlc  # no entry: nothing updated the row since its insert
            clocks, seen = json.loads(clocks or "{}"), json.loads(seen or "{}")
            groups: dict[str, dict[str, str]] = defaultdict(dict)
            for name, stamp in clocks.items():
                if stamp != inserted and _own(stamp, device, after, refused):
                    # what this write saw: the field's greatest seen stamp (below its own), as a first sync
                    saw = seen.get(name)
                    groups[stamp][name] = saw if saw and saw < stamp else inserted
            if table_name not in NEVER_INSERTED and _own(inserted, device, after, refused):
                items.append((inserted, table_name, row_id, "insert", None))
            for stamp, base in groups.items():
                items.append((stamp, table_name, row_id, "update", json.dumps(base)))
        conn.executemany("INSERT INTO resend_item VALUES (?, ?, ?, ?, ?)", items)


def _write(store: Store, conn: sqlite3.Connection, device: str) -> int:
    written = 0
    items_sent: set[str] = set()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")  # as the ORM writes DateTime
    cursor = conn.execute("SELECT hlc, table_name, row_id, op, base FROM resend_item ORDER BY hlc, op")
    while page := cursor.fetchmany(PAGE):
        values = _values(store, page)
        entries = []
        for stamp, table_name, row_id, op, base in page:
            row = values.get((table_name, row_id))
            if row is None:
                continue
            if op == "insert":
                payload = {**row, "hlc": stamp, "origin_device": device}
                entries += _item_first(store, table_name, row, stamp, device, items_sent, now)
            else:
                base = json.loads(base)
                payload = {**{name: row[name] for name in base}, "hlc": stamp, "origin_device": device}
                op = "delete" if payload.get("deleted") is True else "update"
                base = json.dumps(base)
            entries.append((table_name, row_id, op, stamp, device, None, json.dumps(payload, ensure_ascii=False),
                            now, base))
        conn.executemany("INSERT INTO change_log (table_name, row_id, op, hlc, device_id, actor_id, payload, "
                         "created_at, base) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", entries)
        written += len(entries)
    return written


def _item_first(store: Store, table_name: str, row: dict, stamp: str, device: str, sent: set[str],
                now: str) -> list[tuple]:
    """A re-sent result's checklist item goes before it, as this device's insert with the result's
    stamp: the hub may have lost it, or never had it (the items 0019 made from copies were queued
    once). The hub takes an item it holds as the same fact (docs/SYNC.md, "Checklist items")."""
    item_id = row.get("checklist_item_id") if table_name == "check_result" else None
    if not item_id or item_id in sent:
        return []
    sent.add(item_id)
    found = _values(store, [(stamp, "checklist_item", item_id, "insert", None)])
    item = found.get(("checklist_item", item_id))
    if item is None:
        return []
    payload = {**item, "hlc": stamp, "origin_device": device}
    return [("checklist_item", item_id, "insert", stamp, device, None, json.dumps(payload, ensure_ascii=False),
             now, None)]


def _values(store: Store, page: list[tuple]) -> dict[tuple[str, str], dict]:
    """{(table, row id): the row's values as the flush hook writes them} for the rows of a page."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for _, table_name, row_id, _, _ in page:
        wanted[table_name].add(row_id)
    found = {}
    with store.read() as session:
        for table_name, ids in wanted.items():
            model = SYNCED_TABLES[table_name]
            for obj in session.exec(select(model).where(model.id.in_(sorted(ids)))):
                found[(table_name, obj.id)] = row_values(obj)
    return found

