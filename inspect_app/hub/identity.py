"""The hub's identity and the marks devices check its history by (docs/SYNC.md, "Hub identity and restores").

- `hub_id` (random, made once) keys a device's cursors, so the same hub at a new address is the
  same hub; `epoch` goes up at each `parkinspect hub restore`.
- `device_ack`: per device, the highest device_seq acknowledged (applied or refused). A device
  whose push cursor is above it re-sends from there: the hub was put back from a backup.
- A history check of hub sequence S names the change the hub holds at S — its device, its number
  and when the hub received it, hashed. A hub put back from a backup (a restore, or its file
  copied back) that took new changes since holds at S either the same change (the history up to
  S is then the one the device saw) or a change received after the restore, whose check differs.
  S = 0 (nothing yet) always matches.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from inspect_app.hub.storage import change, device_ack, hub_meta

EMPTY_CHECK = ""  # the check of sequence 0: an empty history, the same on every hub
EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class HubIdentityMissing(RuntimeError):
    """The hub database has no hub_meta rows: not made by the hub's migrations."""


def identity(conn) -> tuple[str, int]:
    """(hub_id, epoch)."""
    found = dict(conn.execute(select(hub_meta.c.key, hub_meta.c.value)).all())
    if "hub_id" not in found or "epoch" not in found:
        raise HubIdentityMissing("hub_meta has no hub id or epoch")
    return found["hub_id"], int(found["epoch"])


def bump_epoch(conn, at_least: int = 0) -> int:
    """A new history epoch (after a restore): one above the current one and above `at_least`."""
    epoch = max(identity(conn)[1], at_least) + 1
    conn.execute(update(hub_meta).where(hub_meta.c.key == "epoch").values(value=str(epoch)))
    return epoch


def last_device_seq(conn, device_id: str | None) -> int:
    """The highest device_seq of this device the hub holds in its log (0 before its first push)."""
    if device_id is None:
        return 0
    held = conn.execute(select(func.max(change.c.device_seq)).where(change.c.device_id == device_id)).scalar()
    return int(held or 0)


def acked_seq(conn, device_id: str | None, held: int | None = None) -> int:
    """The highest device_seq of this device the hub acknowledged (0 before its first push);
    `held`: its last_device_seq when the caller has read it already."""
    if device_id is None:
        return 0
    acked = conn.execute(select(device_ack.c.acked_seq).where(device_ack.c.device_id == device_id)).scalar()
    return max(int(acked or 0), last_device_seq(conn, device_id) if held is None else held)


def record_acked(conn, device_id: str, seq: int) -> None:
    """Raise this device's acknowledged mark to `seq` (in the push's transaction)."""
    moved = conn.execute(update(device_ack)
                         .where(device_ack.c.device_id == device_id, device_ack.c.acked_seq < seq)
                         .values(acked_seq=seq)).rowcount
    if not moved and conn.execute(select(device_ack.c.acked_seq)
                                  .where(device_ack.c.device_id == device_id)).first() is None:
        conn.execute(device_ack.insert().values(device_id=device_id, acked_seq=seq))


def history_check(device_id: str, device_seq: int, received_at: datetime) -> str:
    if received_at.tzinfo is None:  # SQLite gives back the UTC it was given, without its zone
        received_at = received_at.replace(tzinfo=UTC)
    micros = (received_at - EPOCH_START) // _MICROSECOND
    return hashlib.sha256(f"{device_id}:{device_seq}:{micros}".encode()).hexdigest()[:24]


def checks_at(conn, seqs: list[int]) -> dict[int, str | None]:
    """The check of each sequence; None where the hub holds no change at it."""
    found: dict[int, str | None] = {seq: None for seq in seqs}
    if 0 in found:
        found[0] = EMPTY_CHECK
    wanted = [seq for seq in found if seq > 0]
    if wanted:
        rows = conn.execute(select(change.c.seq, change.c.device_id, change.c.device_seq, change.c.received_at)
                            .where(change.c.seq.in_(wanted)))
        for row in rows:
            found[row.seq] = history_check(row.device_id, row.device_seq, row.received_at)
    return found


def check_at(conn, seq: int) -> str | None:
    return checks_at(conn, [seq])[seq]

