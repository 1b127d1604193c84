"""This device's place with each hub: cursors keyed by the hub's id, its epoch, history checkpoints.

`sync_state` holds per hub (its id from `/me`) the push cursor (last change_log.seq the hub
acknowledged), the pull cursor (last hub sequence applied), the address it was last reached at
and the history epoch last seen. The same hub at a new address keeps its row: nothing is pushed
or pulled again. A row from before hub ids is keyed by its URL; the first sync with that URL
adopts it for the id the hub answers with.

`sync_checkpoint` holds per hub a few (hub sequence, history check) pairs the pull passed — the
most recent ones and exponentially spaced older ones, so a hub put back from a backup costs a
re-pull of at most about twice what it lost. The pull sends its cursor's check; when the hub no
longer agrees (it answers 409 `history_changed`), or its epoch changed, the client asks which
checkpoints still hold and rewinds the pull cursor to the greatest (0 if none): the inbox dedupes
what comes again. A hub whose acknowledged mark for this device is below the push cursor lost
pushed changes: the push cursor goes back to it and they are sent again.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import SyncCheckpoint, SyncState, utc_now
from db.store import Store

RECENT_CHECKPOINTS = 8  # the last pages pulled; older ones are kept one per power of two of distance
MAX_CHECKS_PER_REQUEST = 200  # the hub's limit (hub/schemas.py MAX_CHECKPOINTS)
SNAPSHOT_PROGRESS_KEY = "sync_snapshot"  # a first sync's progress in local_setting (sync/snapshot.py)


def attach(store: Store, hub_id: str, hub_url: str) -> int | None:
    """Record that the hub `hub_id` answered at `hub_url` (adopting a row keyed by that URL from
    before hub ids); return the history epoch last seen of it, None before the first."""
    with store.connect() as conn:
        row = conn.execute("SELECT epoch FROM sync_state WHERE hub_id = ?", (hub_id,)).fetchone()
        if row is None and hub_url != hub_id:
            adopted = conn.execute("UPDATE sync_state SET hub_id = ? WHERE hub_id = ?", (hub_id, hub_url)).rowcount
            if adopted:
                conn.execute("UPDATE sync_checkpoint SET hub_id = ? WHERE hub_id = ?", (hub_id, hub_url))
                _adopt_snapshot_progress(conn, hub_id, hub_url)
            row = conn.execute("SELECT epoch FROM sync_state WHERE hub_id = ?", (hub_id,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO sync_state (hub_id, hub_url, epoch, pushed_seq, pulled_seq) "
                         "VALUES (?, ?, NULL, 0, 0)", (hub_id, hub_url))
            return None
        conn.execute("UPDATE sync_state SET hub_url = ? WHERE hub_id = ?", (hub_url, hub_id))
        return row[0]


def _adopt_snapshot_progress(conn, hub_id: str, hub_url: str) -> None:
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (SNAPSHOT_PROGRESS_KEY,)).fetchone()
    if row is None:
        return
    progress = json.loads(row[0])
    if progress.get("hub") == hub_url:
        progress["hub"] = hub_id
        conn.execute("UPDATE local_setting SET value = ? WHERE key = ?", (json.dumps(progress), SNAPSHOT_PROGRESS_KEY))


def set_epoch(store: Store, hub_id: str, epoch: int) -> None:
    with store.connect() as conn:
        conn.execute("UPDATE sync_state SET epoch = ? WHERE hub_id = ?", (epoch, hub_id))


def rewind_push(store: Store, hub_id: str, acked: int) -> bool:
    """The hub acknowledges this device only up to `acked` (put back from a backup): the push
    cursor goes back there, so what it lost is sent again. True when the cursor moved."""
    with store.connect() as conn:
        return conn.execute("UPDATE sync_state SET pushed_seq = ? WHERE hub_id = ? AND pushed_seq > ?",
                            (max(0, acked), hub_id, max(0, acked))).rowcount > 0


def rewind_pull(store: Store, hub_id: str, seq: int) -> None:
    """Pull again after `seq`, the latest point this device and the hub still agree on; the
    checkpoints past it name a history the hub no longer has."""
    with store.connect() as conn:
        conn.execute("UPDATE sync_state SET pulled_seq = ? WHERE hub_id = ?", (seq, hub_id))
        conn.execute("DELETE FROM sync_checkpoint WHERE hub_id = ? AND seq > ?", (hub_id, seq))


def checkpoints(store: Store, hub_id: str) -> list[tuple[int, str]]:
    """(seq, check) pairs for this hub, latest first."""
    with store.connect() as conn:
        return [tuple(row) for row in conn.execute(
            "SELECT seq, \"check\" FROM sync_checkpoint WHERE hub_id = ? ORDER BY seq DESC", (hub_id,))]


def check_at(store: Store, hub_id: str, seq: int) -> str | None:
    with store.connect() as conn:
        row = conn.execute("SELECT \"check\" FROM sync_checkpoint WHERE hub_id = ? AND seq = ?", (hub_id, seq)).fetchone()
    return row[0] if row else None


def save_pull_cursor(conn, hub: str, seq: int, check: str | None = None) -> None:
    """Move the pull cursor to `seq` (never back) and keep `check` as a checkpoint there; `conn`
    is the SQLAlchemy connection of the page's transaction."""
    statement = sqlite_insert(SyncState.__table__).values(hub_id=hub, pushed_seq=0, pulled_seq=seq,
                                                          last_sync_at=utc_now())
    conn.execute(statement.on_conflict_do_update(
        index_elements=["hub_id"],
        set_={"pulled_seq": text("max(pulled_seq, excluded.pulled_seq)"),
              "last_sync_at": statement.excluded.last_sync_at}))
    if check is None or seq <= 0:
        return
    table = SyncCheckpoint.__table__
    point = sqlite_insert(table).values(hub_id=hub, seq=seq, check=check)
    conn.execute(point.on_conflict_do_update(index_elements=["hub_id", "seq"], set_={"check": check}))
    held = [row.seq for row in conn.execute(select(table.c.seq).where(table.c.hub_id == hub))]
    dropped = set(held) - kept_checkpoints(held)
    if dropped:
        conn.execute(delete(table).where(table.c.hub_id == hub, table.c.seq.in_(sorted(dropped))))


def kept_checkpoints(seqs, recent: int = RECENT_CHECKPOINTS) -> set[int]:
    """The most recent `recent` sequences, then per power of two of distance from the latest the
    newest and the oldest one: about recent + 2·log2(latest) checkpoints, kept as they age (each
    pull adds one and thins again), so that wherever the hub's history changed, a checkpoint at
    most about twice as far back survives."""
    ordered = sorted(set(seqs), reverse=True)
    if not ordered:
        return set()
    kept, newest, oldest = set(ordered[:recent]), {}, {}
    for seq in ordered[recent:]:
        bucket = (ordered[0] - seq).bit_length()
        newest.setdefault(bucket, seq)
        oldest[bucket] = seq  # descending: the last one seen is the oldest
    return kept | set(newest.values()) | set(oldest.values())


def fetch_checks(request, seqs: list[int]) -> dict[int, str | None]:
    """The hub's history check at each sequence (`POST /checkpoints`; None where it holds no
    change). `request(method, path, json=…)` is the client's, answering 200."""
    found: dict[int, str | None] = {}
    for start in range(0, len(seqs), MAX_CHECKS_PER_REQUEST):
        answer = request("POST", "/checkpoints", json={"seqs": seqs[start:start + MAX_CHECKS_PER_REQUEST]}).json()
        found.update({int(item["seq"]): item["check"] for item in answer["checks"]})
    return found
