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
rows) from texts the push keeps ready in `row_state.snapshot` (hub/rows.py), each row's values as
a list in the order of the page's `columns`.
"""

from __future__ import annotations

import json

from sqlalchemy import LargeBinary, and_, bindparam, or_, select, type_coerce, union_all, update

from db.models import synced_tables_parents_first
from inspect_app.hub.log_codec import unpack_utf8
from inspect_app.hub.pull import MAX_PARK_BRANCHES, newest_seq, visible_filter, wire_change
from inspect_app.hub.push import SHARED_TABLES
from inspect_app.hub.rows import clocks_to_store, full_clocks, snapshot_row, table_columns, values_to_store
from inspect_app.hub.storage import Device, change, row_state

MAX_SNAPSHOT_LIMIT = 5000
MAX_ROW_IDS = 1000


def snapshot_tables() -> tuple[str, ...]:
    """The tables a first sync serves, parents first (db/models.py, shared with the device)."""
    return synced_tables_parents_first()


def page_query(hub_device: Device, table: str, after_row: str, count: int):
    """The first `count` rows of `table` after `after_row` the device may load, in row-id order.

    A park-limited device's page is one range search of `ix_row_state_park` per park (and one for
    rows of no park, for the shared tables), each stopped at `count`, then merged: it reads about
    what it returns, not every row of the table (docs/PERFORMANCE.md, "Province hub")."""
    # The packed bytes as stored: the page unpacks them to UTF-8 and joins them without decoding.
    columns = (row_state.c.row_id, type_coerce(row_state.c.snapshot, LargeBinary).label("snapshot"))
    common = [row_state.c.table_name == table, row_state.c.row_id > after_row]
    if not hub_device.restricted:
        return select(*columns).where(*common).order_by(row_state.c.row_id).limit(count)
    shared = [row_state.c.park_id.is_(None)] if table in SHARED_TABLES else []
    if len(hub_device.parks) > MAX_PARK_BRANCHES:  # a good share of the hub: one scan (as hub/pull.py)
        return (select(*columns).where(or_(row_state.c.park_id.in_(list(hub_device.parks)), *shared), *common)
                .order_by(row_state.c.row_id).limit(count))
    scopes = [row_state.c.park_id == park for park in hub_device.parks] + shared
    # Each branch a subquery: SQLite takes no ORDER BY/LIMIT on a compound's member itself.
    branches = [select(*columns).where(scope, *common).order_by(row_state.c.row_id).limit(count).subquery()
                for scope in scopes]
    merged = union_all(*(select(branch) for branch in branches)).subquery()
    return select(merged).order_by(merged.c.row_id).limit(count)


def snapshot_page(conn, hub_device: Device, table: str, after_row: str, limit: int) -> bytes:
    """One page as JSON: `{"seq", "table", "columns", "rows": [[row_id, inserted, clocks, seen,
    [value per column]]], "partial": [row_id], "next_row", "has_more"}`. The rows are the texts
    the push keeps ready (`row_state.snapshot`, hub/rows.py); a row without one is built here."""
    seq = newest_seq(conn)  # before the rows: every change up to it is in them
    rows = conn.execute(page_query(hub_device, table, after_row, limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    texts = [None if stored is None else unpack_utf8(stored) for _, stored in rows]
    missing = [i for i, text in enumerate(texts) if text is None]
    if missing:  # a row the hub holds only updates of: build it
        built = _build(conn, table, [rows[i].row_id for i in missing])
        for i in missing:
            text = built.get(rows[i].row_id)
            texts[i] = None if text is None else text.encode()
    partial = [row_id for (row_id, _), text in zip(rows, texts, strict=True) if text is None]
    next_row = rows[-1].row_id if rows else after_row
    head = json.dumps({"seq": seq, "table": table, "columns": table_columns(table), "partial": partial,
                       "next_row": next_row, "has_more": has_more}, ensure_ascii=False, separators=(",", ":"))
    return head[:-1].encode() + b',"rows":[' + b",".join(text for text in texts if text is not None) + b"]}"


def _build(conn, table: str, row_ids: list[str]) -> dict[str, str | None]:
    query = select(row_state.c.row_id, row_state.c["values"], row_state.c.field_hlcs, row_state.c.field_seen).where(
        row_state.c.table_name == table, row_state.c.row_id.in_(row_ids))
    return {row.row_id: snapshot_row(table, row.row_id, row[1] or {}, row.field_hlcs or {}, row.field_seen)
            for row in conn.execute(query)}


def fill_snapshots(engine, batch: int = 5000) -> int:
    """Build `row_state.snapshot` where it is missing (rows written before the column) and store
    the row compactly as the push does (hub/rows.py); returns how many rows were filled."""
    filled = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(select(row_state.c.table_name, row_state.c.row_id, row_state.c["values"],
                                       row_state.c.field_hlcs, row_state.c.field_seen)
                                .where(row_state.c.snapshot.is_(None), row_state.c.field_hlcs.isnot(None))
                                .limit(batch)).all()
            filled_rows = []
            for row in rows:
                values = row[2] or {}
                text = snapshot_row(row.table_name, row.row_id, values, row.field_hlcs or {}, row.field_seen)
                if text is not None:
                    clocks = full_clocks(row.field_hlcs or {}, values)
                    filled_rows.append({"t": row.table_name, "r": row.row_id, "s": text,
                                        "v": values_to_store(row.table_name, values, text),
                                        "c": clocks_to_store(clocks, text)})
            if not filled_rows:
                return filled
            conn.execute(update(row_state).where(row_state.c.table_name == bindparam("t"),
                                                 row_state.c.row_id == bindparam("r"))
                         .values({"snapshot": bindparam("s", type_=row_state.c.snapshot.type),
                                  "values": bindparam("v", type_=row_state.c["values"].type),
                                  "field_hlcs": bindparam("c", type_=row_state.c.field_hlcs.type)}),
                         filled_rows)
            filled += len(filled_rows)


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
