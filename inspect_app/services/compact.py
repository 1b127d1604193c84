"""`parkinspect compact`: the outbox pruned of what every hub acknowledged, then the file rewritten
without its free pages, with the figures before and after.

Pruning follows the rule of db/changelog_prune.py (docs/SYNC.md "Pruning the outbox"): a sync
does it too, after each success, but only VACUUM gives the freed pages back to the disk. The
file is held alone throughout (refused while the app, a sync or another command has it open) and
every step is crash-safe: the prune commits in batches, and the compacted file replaces the
database only once it is whole (db/compact.py). Free space for the new file is checked first.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from db import changelog_prune
from db.compact import (
    Figures,
    FileInUse,
    back_to_wal,
    figures,
    hold_alone,
    remove_partial,
    used_bytes,
    write_compacted,
)
from db.errors import UserError
from db.store import Store

SPACE_MARGIN = 1.1  # the new file's size is estimated from the pages in use; room for the estimate's error


@dataclass(frozen=True)
class CompactResult:
    before: Figures
    after: Figures
    pruned: int  # outbox entries deleted now
    needed_bytes: int  # free space the new file needed
    free_bytes: int  # free space there was


def compact(db_path: Path, *, on_step: Callable[[str, dict], None] | None = None) -> CompactResult:
    """Prune and VACUUM the database at `db_path`. `on_step(key, values)` names each step as it
    starts (the CLI prints them). Refused with a UserError, nothing changed: a missing file, a file
    in use; after the prune (kept: it is safe), too little free space for the new file."""
    step = on_step or (lambda key, values: None)
    if not db_path.exists():
        raise UserError("cli.db_missing", db=db_path)
    Store.open(db_path).close()  # the current schema (and a clear refusal for a file that is not ours)
    try:
        conn = hold_alone(db_path)
    except FileInUse:
        raise UserError("compact.in_use", db=db_path) from None
    try:
        remove_partial(db_path)
        step("compact.step_measure", {})
        before = figures(conn)
        step("compact.step_prune", {"entries": f"{changelog_prune.prunable_count(conn):,}"})
        pruned = changelog_prune.prune(conn)
        needed = int(used_bytes(conn) * SPACE_MARGIN)
        free = shutil.disk_usage(db_path.parent).free
        if free < needed:
            raise UserError("compact.no_space", folder=db_path.parent, needed=_mb(needed), free=_mb(free),
                            pruned=pruned)
        step("compact.step_vacuum", {"needed": _mb(needed), "free": _mb(free)})
        write_compacted(conn, db_path)
    finally:
        conn.close()
        back_to_wal(db_path)
    store = Store.open(db_path)
    try:
        with store.read_connection() as read:
            after = figures(read)
    finally:
        store.close()
    return CompactResult(before, after, pruned, needed, free)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f}"
