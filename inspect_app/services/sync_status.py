"""What the TUI shows about sync (pending changes, last sync, conflicts, refusals) and the sync
it starts. Its reads are small counts (db/sync_status_queries.py): the status line is refreshed
often and must stay cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from db.errors import UserError
from db.store import Store
from db.sync_status_queries import sync_counts
from forms import china_time
from inspect_app.sync.hub_settings import load_hub, normalise_hub_url


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


def configured_hub(store: Store, hub_file: Path):
    """This device's remembered hub settings (url, token) in `hub_file` (Settings.hub_file) or None."""
    return load_hub(hub_file, store.device_id)


def sync_status(store: Store, hub_file: Path) -> SyncStatus:
    hub = configured_hub(store, hub_file)
    url = _normalised(hub.url) if hub else None
    with store.read_connection() as conn:
        counts = sync_counts(conn, url)
    pending = max(0, counts.last_seq - counts.pushed_seq)
    never_connected = url is None and counts.hubs == 0
    return SyncStatus(url, pending, _local(counts.last_sync_at), counts.conflicts, counts.rejected, counts.set_aside,
                      never_connected)


def run_sync(store: Store, hub_file: Path, progress=None, keys_dir: Path | None = None):
    """One exchange with the remembered hub (the TUI's sync key). UserError when none is configured
    or the hub refuses; SyncNetworkError (a UserError) when it cannot be reached. `keys_dir`: the
    signing key folder the agency certifies (sync_once)."""
    # httpx: loaded when a sync runs, not each time the status line is read.
    from inspect_app.sync.client import sync_once

    hub = configured_hub(store, hub_file)
    if hub is None:
        raise UserError("tui.sync.no_hub")
    return sync_once(store, hub.url, hub.token, progress=progress, keys_dir=keys_dir)


def _normalised(url: str) -> str | None:

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
