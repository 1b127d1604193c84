"""What the TUI shows about sync (pending changes, last sync, conflicts, refusals) and the sync
it starts. Plain SQL on small counts: the status line is refreshed often and must stay cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from db.errors import UserError
from db.store import Store
from forms import china_time


@dataclass(frozen=True)
class SyncStatus:
    hub_url: str | None  # the remembered hub, None when none is configured
    pending: int  # this device's changes the hub has not acknowledged
    last_sync_at: datetime | None  # local time of the last successful exchange with that hub
    conflicts: int  # unresolved conflict rows
    rejected: int  # changes the hub refused
    set_aside: int = 0  # received changes this device could not apply (kept in the inbox)
    # Never exchanged with any hub (no hub remembered, no sync_state row): a fresh install or the
    # demo. Its outbox is not "waiting" for anything, so the status line says so instead of a count.
    never_connected: bool = False


def configured_hub(store: Store):
    """This device's remembered hub settings (url, token) or None."""
    from inspect_app.sync.hub_settings import load_hub

    return load_hub(store.device_id)


def sync_status(store: Store) -> SyncStatus:
    hub = configured_hub(store)
    url = _normalised(hub.url) if hub else None
    with store.read_connection() as conn:
        if url is not None:
            # The hub's row by the address it was last synced at (cursors are keyed by its id).
            row = conn.execute("SELECT pushed_seq, last_sync_at FROM sync_state WHERE hub_url = ? OR hub_id = ? "
                               "ORDER BY last_sync_at DESC LIMIT 1", (url, url)).fetchone()
        else:  # no hub remembered (yet): what no hub has acknowledged
            row = conn.execute("SELECT max(pushed_seq), max(last_sync_at), count(*) FROM sync_state").fetchone()
        pushed, last = (row[0] or 0, row[1]) if row else (0, None)
        # Outbox numbers are dense (rowids, max + 1, never deleted): the count of those past the
        # cursor is a subtraction. count(*) walked them all: 1.5 s on a device with 30 million.
        last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
        pending = max(0, last_seq - pushed)
        conflicts = conn.execute("SELECT count(*) FROM conflict WHERE resolved = 0 AND deleted = 0").fetchone()[0]
        rejected = conn.execute("SELECT count(*) FROM rejected_change").fetchone()[0]
        # Partial index ix_applied_change_problem: the set-aside few, not the whole inbox.
        set_aside = conn.execute("SELECT count(*) FROM applied_change WHERE problem IS NOT NULL").fetchone()[0]
    never_connected = url is None and (row is None or row[2] == 0)
    return SyncStatus(url, pending, _local(last), conflicts, rejected, set_aside, never_connected)


def run_sync(store: Store, progress=None, keys_dir: Path | None = None):
    """One exchange with the remembered hub (the TUI's sync key). UserError when none is configured
    or the hub refuses; SyncNetworkError (a UserError) when it cannot be reached. `keys_dir`: the
    signing key folder the agency certifies (sync_once)."""
    from inspect_app.sync.client import sync_once

    hub = configured_hub(store)
    if hub is None:
        raise UserError("tui.sync.no_hub")
    return sync_once(store, hub.url, hub.token, progress=progress, keys_dir=keys_dir)


def _normalised(url: str) -> str | None:
    from inspect_app.sync.hub_settings import normalise_hub_url

    try:
        return normalise_hub_url(url)
    except UserError:
        return None


def _local(stored: str | None) -> datetime | None:
    """sync_state keeps UTC without a zone (SQLAlchemy's DateTime format); shown in local time."""
    if not stored:
        return None
    try:
        return china_time.local(datetime.fromisoformat(str(stored)))
    except ValueError:
        return None
