"""Serving a device's pull: other devices' changes after its cursor, one page at a time, kept to
its parks (plus the shared reference tables) when it is limited to some parks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, union_all

from inspect_app.hub.push import SHARED_TABLES
from inspect_app.hub.storage import Device, change

# Up to this many parks a park-limited device's page is one index range per park (page_query).
MAX_PARK_BRANCHES = 64


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


def page_query(hub_device: Device, after: int, newest: int, count: int):
    """The first `count` changes after `after` up to `newest` the device may see, in sequence order.

    A park-limited device's page is one range search of `ix_change_park_seq` per park (and one for
    the shared tables, park NULL), each stopped at `count` rows, then merged: it reads about what it
    returns, however many changes of other parks the hub holds after the cursor. A single
    `park_id IN (…) OR …` lets the planner read every matching change after the cursor and sort
    them (PostgreSQL), or walk the whole log after the cursor (docs/PERFORMANCE.md, "Province hub")."""
    common = [change.c.seq > after, change.c.seq <= newest]
    if hub_device.device_id is not None:
        common.append(change.c.device_id != hub_device.device_id)
    if not hub_device.restricted:
        return select(change).where(*common).order_by(change.c.seq).limit(count)
    if len(hub_device.parks) > MAX_PARK_BRANCHES:
        # So many parks that they are a good share of the log: one scan in sequence order finds a
        # page soon (and SQLite takes at most 500 members in a compound SELECT).
        return select(change).where(visible_filter(hub_device), *common).order_by(change.c.seq).limit(count)
    scopes = [change.c.park_id == park for park in hub_device.parks]
    scopes.append(and_(change.c.park_id.is_(None), change.c.table_name.in_(sorted(SHARED_TABLES))))
    # Each branch a subquery: SQLite takes no ORDER BY/LIMIT on a compound's member itself.
    branches = [select(change).where(scope, *common).order_by(change.c.seq).limit(count).subquery()
                for scope in scopes]
    merged = union_all(*(select(branch) for branch in branches)).subquery()
    return select(merged).order_by(merged.c.seq).limit(count)


def newest_seq(conn) -> int:
    return int(conn.execute(select(func.max(change.c.seq))).scalar() or 0)


def changes_page(conn, hub_device: Device, after: int, limit: int) -> Page:
    # The newest sequence first, then the page up to it: a change committed between the two
    # statements is left for the next pull instead of being skipped by the cursor. (Pushes are
    # serialised, so sequence numbers become visible in order.)
    newest = newest_seq(conn)
    rows = conn.execute(page_query(hub_device, after, newest, limit + 1)).all()
    if len(rows) > limit:
        return Page([wire_change(r) for r in rows[:limit]], next_after=rows[limit - 1].seq, has_more=True)
    # Nothing more for this device up to `newest`: the cursor may jump there, so the next pull
    # does not scan again past other devices' or other parks' changes.
    return Page([wire_change(r) for r in rows], next_after=max(after, newest), has_more=False)
