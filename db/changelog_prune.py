"""Pruning the outbox (`change_log`) once every hub this device syncs with has acknowledged it.

The rule (docs/SYNC.md "Pruning the outbox"): an entry is deleted when its `seq` is below the
lowest push cursor of all hubs in `sync_state` (each hub acknowledged it: applied or refused, in
the push's own transaction). The entry at that cursor itself is kept, so the outbox always holds
its newest acknowledged entry: `Store.open` starts the clock past its stamp, the numbering goes on
after it (rowids are max + 1, and the max is never deleted) and a re-stamp finds the newest stamp
sent. A device that never synced with a hub (bundles only, the demo) prunes nothing.

A hub put back from a backup may acknowledge less than was pruned; the device then sends the
lost writes again from the rows themselves (inspect_app/sync/resend.py). For that it keeps
`marks`: (seq, stamp) pairs of pruned points, thinned like the pull checkpoints (the newest few,
then one per power of two of distance), so for any acknowledged seq it finds a stamp at or below
it: every write of this device numbered after that seq carries a greater stamp (the clock only
moves forward, and a re-stamp touches only entries not yet sent).

The deletes run in batches, each in its own transaction with its mark, so a crash mid-way keeps
every entry not yet acknowledged and a consistent mark; the next prune goes on from there. The
history a person reads stays in `audit_event` (who changed what, before and after), which is a
synced table of its own and never pruned.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

MARKS_SETTING = "change_log_pruned"  # local_setting: {"below": seq, "marks": [[seq, hlc], ...]}
BATCH = 20_000  # entries per delete transaction: a short write lock, a small WAL
RECENT_MARKS = 64  # one a prune batch or a sync: precise for recent restores


@dataclass(frozen=True)
class PruneState:
    below: int  # every entry with seq < below was deleted (0: nothing pruned yet)
    marks: tuple[tuple[int, str], ...]  # (seq, hlc) pruned points, oldest first

    @property
    def stamp(self) -> str | None:
        """The newest pruned point's stamp: every entry deleted had a stamp at most this."""
        return self.marks[-1][1] if self.marks else None

    def stamp_at_or_below(self, seq: int) -> str:
        """A stamp of an entry numbered at most `seq` ("" if none is known: every write is after it)."""
        return max((hlc for mark_seq, hlc in self.marks if mark_seq <= seq), default="")


def state(conn: sqlite3.Connection) -> PruneState:
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (MARKS_SETTING,)).fetchone()
    if row is None:
        return PruneState(0, ())
    value = json.loads(row[0])
    return PruneState(int(value["below"]), tuple((int(seq), str(hlc)) for seq, hlc in value["marks"]))


def prunable_below(conn: sqlite3.Connection) -> int:
    """The seq below which every hub acknowledged every entry (0: none, or no hub)."""
    acked = conn.execute("SELECT min(pushed_seq) FROM sync_state").fetchone()[0]
    if not acked:
        return 0
    # The newest acknowledged entry that exists is kept (numbers may have gaps: pruned, too large).
    kept = conn.execute("SELECT max(seq) FROM change_log WHERE seq <= ?", (acked,)).fetchone()[0]
    return kept or 0


def prunable_count(conn: sqlite3.Connection) -> int:
    below = prunable_below(conn)
    return conn.execute("SELECT count(*) FROM change_log WHERE seq < ?", (below,)).fetchone()[0] if below else 0


def prune(conn: sqlite3.Connection, *, batch: int = BATCH, on_batch=None) -> int:
    """Delete the entries every hub acknowledged, in batches (each its own transaction); returns
    how many. `conn` is a plain sqlite3 connection in autocommit mode (isolation_level None).
    `on_batch(deleted_so_far)` is called after each committed batch (progress, tests)."""
    deleted = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")  # no push moves the cursor, no edit numbers, mid-batch
        try:
            below = prunable_below(conn)
            lowest = conn.execute("SELECT min(seq) FROM change_log").fetchone()[0]
            if not below or lowest is None or lowest >= below:
                conn.execute("COMMIT")
                return deleted
            # A batch ends at an entry that exists: its stamp is the mark of what is deleted up to it.
            end = conn.execute("SELECT seq, hlc FROM change_log WHERE seq >= ? AND seq <= ? ORDER BY seq "
                               "LIMIT 1 OFFSET ?", (lowest, below, batch)).fetchone()
            end_seq, end_hlc = end if end else conn.execute(
                "SELECT seq, hlc FROM change_log WHERE seq = ?", (below,)).fetchone()
            count = conn.execute("DELETE FROM change_log WHERE seq < ?", (end_seq,)).rowcount
            _save_mark(conn, end_seq, end_hlc)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        deleted += count
        if on_batch is not None:
            on_batch(deleted)


def _save_mark(conn: sqlite3.Connection, seq: int, hlc: str) -> None:
    held = state(conn)
    marks = dict(held.marks)
    marks[seq] = hlc
    kept = kept_marks(marks)
    value = {"below": max(seq, held.below), "marks": [[s, marks[s]] for s in sorted(kept)]}
    conn.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (MARKS_SETTING, json.dumps(value)))


def forget_after(conn: sqlite3.Connection, acked: int, *, below: int) -> None:
    """After a re-send from the rows (inspect_app/sync/resend.py) renumbered the outbox: every entry
    below `below` is gone, and marks past `acked` no longer bound what follows them (re-sent writes
    carry older stamps), so they go."""
    held = state(conn)
    value = {"below": max(below, held.below), "marks": [[s, h] for s, h in held.marks if s <= acked]}
    conn.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (MARKS_SETTING, json.dumps(value)))


def kept_marks(seqs, recent: int = RECENT_MARKS) -> set[int]:
    """The newest `recent` marks, then per power of two of distance from the newest the newest and
    oldest mark: a hub that lost the changes after any acknowledged seq finds a mark at most about
    twice as far back, so what is sent again is at most about twice what it lost."""
    ordered = sorted(seqs, reverse=True)
    if not ordered:
        return set()
    latest = ordered[0]
    kept = set(ordered[:recent])
    by_band: dict[int, list[int]] = {}
    for seq in ordered[recent:]:
        by_band.setdefault((latest - seq).bit_length(), []).append(seq)
    for band in by_band.values():
        kept.update((max(band), min(band)))
    return kept
