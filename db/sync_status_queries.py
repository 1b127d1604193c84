"""What the TUI's sync status line reads (inspect_app/services/sync_status.py): the push cursor
and last exchange, the outbox's end, and the counts of conflicts, refused and set-aside changes.

Plain SQL on a `Store.read_connection()` connection; small, indexed reads, since the status line
is refreshed often.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class SyncCounts:
    pushed_seq: int  # the last outbox number the hub acknowledged (0: none)
    last_sync_at: str | None  # UTC, as stored, of the last successful exchange
    hubs: int  # sync_state rows read: with a hub named, 0 or 1; else every hub's
    last_seq: int  # the outbox's last number (0 when empty)
    conflicts: int  # unresolved conflict rows
    rejected: int  # changes the hub refused
    set_aside: int  # received changes this device could not apply


def sync_counts(conn: sqlite3.Connection, hub_url: str | None) -> SyncCounts:
    """The counts for the hub at `hub_url` (its row by the address it was last synced at, or by
    its id: cursors are keyed by the hub's id), or, with None, for what no hub has acknowledged."""
    if hub_url is not None:
        row = conn.execute("SELECT pushed_seq, last_sync_at, 1 FROM sync_state WHERE hub_url = ? OR hub_id = ? "
                           "ORDER BY last_sync_at DESC LIMIT 1", (hub_url, hub_url)).fetchone()
    else:
        row = conn.execute("SELECT max(pushed_seq), max(last_sync_at), count(*) FROM sync_state").fetchone()
    pushed, last, hubs = (row[0] or 0, row[1], row[2]) if row else (0, None, 0)
    # Outbox numbers are dense past the push cursor (rowids, max + 1; pruning deletes only below
    # the cursor and keeps the max, db/changelog_prune.py): the count of those past it is a subtraction. count(*) walked them all: 1.5 s on a device with 30 million.
    last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
    conflicts = conn.execute("SELECT count(*) FROM conflict WHERE resolved = 0 AND deleted = 0").fetchone()[0]
    rejected = conn.execute("SELECT count(*) FROM rejected_change").fetchone()[0]
    # Partial index ix_applied_change_problem: the set-aside few, not the whole inbox.
    set_aside = conn.execute("SELECT count(*) FROM applied_change WHERE problem IS NOT NULL").fetchone()[0]
    return SyncCounts(pushed, last, hubs, last_seq, conflicts, rejected, set_aside)
