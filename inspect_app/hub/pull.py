"""Serving a device's pull: other devices' changes after its cursor, one page at a time, kept to
its parks (plus the shared reference tables) when it is limited to some parks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from inspect_app.hub.push import SHARED_TABLES
from inspect_app.hub.storage import Device, change


@dataclass(frozen=True)
class Page:
    changes: list[dict]
    next_after: int
    has_more: bool


def visible_filter(hub_device: Device):
    """The WHERE clause that keeps a park-limited device to its parks and the shared tables."""
    if not hub_device.restricted:
        return None
    return or_(change.c.park_id.in_(list(hub_device.parks)),
               and_(change.c.park_id.is_(None), change.c.table_name.in_(sorted(SHARED_TABLES))))


def wire_change(row) -> dict:
    return {"seq": row.seq, "device_id": row.device_id, "device_seq": row.device_seq, "table": row.table_name,
            "row_id": row.row_id, "op": row.op, "hlc": row.hlc, "actor_id": row.actor_id,
            "payload": row.payload, "base": row.base}


def changes_page(conn, hub_device: Device, after: int, limit: int) -> Page:
    # The newest sequence first, then the page up to it: a change committed between the two
    # statements is left for the next pull instead of being skipped by the cursor. (Pushes are
    # serialised, so sequence numbers become visible in order.)
    newest = conn.execute(select(func.max(change.c.seq))).scalar() or 0
    conditions = [change.c.seq > after, change.c.seq <= newest]
    if hub_device.device_id is not None:
        conditions.append(change.c.device_id != hub_device.device_id)
    scope = visible_filter(hub_device)
    if scope is not None:
        conditions.append(scope)
    rows = conn.execute(select(change).where(*conditions).order_by(change.c.seq).limit(limit + 1)).all()
    if len(rows) > limit:
        return Page([wire_change(r) for r in rows[:limit]], next_after=rows[limit - 1].seq, has_more=True)
    # Nothing more for this device up to `newest`: the cursor may jump there, so the next pull
    # does not scan again past other devices' or other parks' changes.
    return Page([wire_change(r) for r in rows], next_after=max(after, newest), has_more=False)
