"""Serving a first sync: the hub's merged rows (`row_state`), one table at a time, paged by row id.

An empty device loads these pages instead of replaying every change ever pushed (docs/SYNC.md,
"First sync"). Each page says the hub sequence it is consistent with: the newest sequence is
read before the rows, so every change up to it is already in them; rows may also hold later
changes, which the device then pulls again harmlessly (the merge skips a write it holds).

A row is served whole — its values, the clock of each field and the greatest `base` each field
was written over — when the hub received its insert; otherwise (only updates so far, e.g. a
conflict marked resolved) it is listed under `partial`, and the device asks for that row's
changes instead (`row_changes`), which merge through its inbox like a pull.

The page is built as JSON directly (not through response models: a county holds about a million
rows), each row's values as a list in the order of the page's `columns`.
"""

from __future__ import annotations

import json
from functools import cache

from sqlalchemy import Text, and_, cast, func, or_, select

from db.models import SYNCED_TABLES
from inspect_app.hub.pull import visible_filter, wire_change
from inspect_app.hub.push import SHARED_TABLES
from inspect_app.hub.storage import Device, change, row_state

MAX_SNAPSHOT_LIMIT = 5000
MAX_ROW_IDS = 1000
STAMP_FIELDS = frozenset({"id", "hlc", "origin_device", "updated_at", "created_at"})


@cache
def snapshot_tables() -> tuple[str, ...]:
    """Synced tables with every table after the tables it refers to (parents load first)."""
    from sqlmodel import SQLModel

    synced = {cls.__table__.name for cls in SYNCED_TABLES.values()}
    return tuple(t.name for t in SQLModel.metadata.sorted_tables if t.name in synced)


def _row_scope(hub_device: Device, table: str):
    if not hub_device.restricted:
        return None
    if table in SHARED_TABLES:
        return or_(row_state.c.park_id.in_(list(hub_device.parks)), row_state.c.park_id.is_(None))
    return row_state.c.park_id.in_(list(hub_device.parks))


def newest_seq(conn) -> int:
    return int(conn.execute(select(func.max(change.c.seq))).scalar() or 0)


def _json_object(value) -> dict:
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


@cache
def table_columns(table: str) -> tuple[str, ...]:
    return tuple(SYNCED_TABLES[table].__table__.columns.keys())


INSERT_FIRST = '{"id": "'  # field_hlcs as stored (json.dumps) after an insert: the row id's clock first


def _insert_only_stamp(clocks: str | None) -> str | None:
    """The insert stamp when every field's clock is that stamp (the row was never updated), read
    from the stored JSON text; None when that is not certain (then the clocks are parsed)."""
    if not clocks or not clocks.startswith(INSERT_FIRST):
        return None
    end = clocks.find('"', len(INSERT_FIRST))
    stamp = clocks[len(INSERT_FIRST):end]
    # every value is a stamp string: as many `": "` as fields, and each of them this stamp
    if end < 0 or clocks.count(stamp) != clocks.count('": "'):
        return None
    return stamp


def snapshot_page(conn, hub_device: Device, table: str, after_row: str, limit: int) -> bytes:
    """One page as JSON: `{"seq", "table", "columns", "rows": [[row_id, inserted, clocks, seen,
    [value per column]]], "partial": [row_id], "next_row", "has_more"}`."""
    seq = newest_seq(conn)  # before the rows: every change up to it is in them
    conditions = [row_state.c.table_name == table, row_state.c.row_id > after_row]
    scope = _row_scope(hub_device, table)
    if scope is not None:
        conditions.append(scope)
    query = (select(row_state.c.row_id, cast(row_state.c["values"], Text), cast(row_state.c.field_hlcs, Text),
                    cast(row_state.c.field_seen, Text))
             .where(*conditions).order_by(row_state.c.row_id).limit(limit + 1))
    rows = conn.execute(query).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    columns = table_columns(table)
    # One parse for the page's JSON columns of every row: most of the hub's work here. The clocks
    # of a row never updated all hold its insert stamp; they are recognised without parsing.
    same = [_insert_only_stamp(clocks) for _, _, clocks, _ in rows]
    stored = json.loads("[" + ",".join(f"[{'null' if stamp else clocks or 'null'},{seen or 'null'},{values}]"
                                       for (_, values, clocks, seen), stamp in zip(rows, same, strict=True)) + "]")
    served, partial = [], []
    for (row_id, *_), stamp, (clocks, seen, values) in zip(rows, same, stored, strict=True):
        inserted = stamp or (clocks or {}).get("id")
        if inserted is None:  # the hub never got this row's insert: the device takes its changes
            partial.append(row_id)
            continue
        # Only what differs from the insert stamp: most rows were never updated.
        changed = {name: value for name, value in clocks.items()
                   if value != inserted and name not in STAMP_FIELDS} if clocks else {}
        seen = {name: value for name, value in seen.items() if name not in STAMP_FIELDS} if seen else {}
        get = values.get
        # Values by position, not by name: half the bytes, and the device inserts them as they come.
        served.append([row_id, inserted, changed, seen, [get(name) for name in columns]])
    next_row = rows[-1].row_id if rows else after_row
    page = {"seq": seq, "table": table, "columns": columns, "rows": served, "partial": partial,
            "next_row": next_row, "has_more": has_more}
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_changes(conn, hub_device: Device, table: str, row_ids: list[str]) -> list[dict]:
    """Every change of these rows the device may see (other devices' only), oldest first."""
    conditions = [change.c.table_name == table, change.c.row_id.in_(row_ids)]
    if hub_device.device_id is not None:
        conditions.append(change.c.device_id != hub_device.device_id)
    scope = visible_filter(hub_device)
    if scope is not None:
        conditions.append(scope)
    rows = conn.execute(select(change).where(and_(*conditions)).order_by(change.c.seq)).all()
    return [wire_change(row) for row in rows]
