"""A merged row as a first sync serves it, kept ready in `row_state.snapshot` (docs/SYNC.md).

Written by the push for every row it changes, so serving a snapshot page is reading texts and
joining them: the hub's part of a county's first sync (a million rows) costs little.
"""

from __future__ import annotations

import json
from functools import cache

from db.models import SYNCED_TABLES

STAMP_FIELDS = frozenset({"id", "hlc", "origin_device", "updated_at", "created_at"})


@cache
def table_columns(table: str) -> tuple[str, ...]:
    """The order of a snapshot row's values (the page names them once)."""
    return tuple(SYNCED_TABLES[table].__table__.columns.keys())


def snapshot_row(table: str, row_id: str, values: dict, field_hlcs: dict, field_seen: dict | None) -> str | None:
    """`[row_id, inserted, clocks, seen, [value per column]]` as JSON; None when the hub has not
    received the row's insert (the device then takes the row's changes instead).

    `inserted` is the insert's stamp; `clocks` the fields whose winning write is another one
    (most rows were never updated: empty); `seen` each field's greatest base.
    """
    inserted = field_hlcs.get("id")
    if inserted is None:
        return None
    clocks = {name: stamp for name, stamp in field_hlcs.items() if stamp != inserted and name not in STAMP_FIELDS}
    seen = {name: stamp for name, stamp in (field_seen or {}).items() if name not in STAMP_FIELDS}
    get = values.get
    return json.dumps([row_id, inserted, clocks, seen, [get(name) for name in table_columns(table)]],
                      ensure_ascii=False, separators=(",", ":"))


# --- how a merged row is stored (row_state) ------------------------------------------------------
#
# A row is usually inserted once and rarely updated, and its values are already in its snapshot
# text. So `row_state` keeps (docs/SYNC.md, "Hub tables"):
# - `field_hlcs` compact: the insert's stamp once, under "id", and only the fields whose stamp
#   differs from it (a row only updated so far has no "id" stamp and keeps every field's stamp);
#   NULL when that is the insert's stamp alone and the snapshot (which starts with it) exists;
# - `values` NULL when the snapshot holds them exactly: a snapshot exists and the row has a value
#   for every column of its table, no more. The snapshot's values are in the column order of
#   db/models at the time it was written; a change of a synced table's columns must rebuild the
#   snapshots (a hub revision), and columns added at the end read as absent until then.


def compact_clocks(field_hlcs: dict) -> dict:
    """{field: stamp} as stored: the insert's stamp under "id", other fields only where they differ."""
    inserted = field_hlcs.get("id")
    if inserted is None:
        return dict(field_hlcs)
    return {"id": inserted, **{name: stamp for name, stamp in field_hlcs.items() if stamp != inserted}}


def full_clocks(stored: dict, values: dict) -> dict:
    """The stored clocks expanded: every field of the row (a field has a stamp once it has a value)."""
    inserted = stored.get("id")
    if inserted is None:
        return dict(stored)
    clocks = dict.fromkeys(values, inserted)
    clocks.update(stored)
    return clocks


def values_to_store(table: str, values: dict, snapshot: str | None) -> dict | None:
    """What `row_state.values` keeps: None when the snapshot text holds exactly these values."""
    if snapshot is not None and len(values) == len(table_columns(table)) and values.keys() >= set(table_columns(table)):
        return None
    return values


def clocks_to_store(field_hlcs: dict, snapshot: str | None) -> dict | None:
    """What `row_state.field_hlcs` keeps: the compact clocks, or None when they are the insert's
    stamp alone and the snapshot text (its second item) holds it."""
    compact = compact_clocks(field_hlcs)
    if snapshot is not None and compact.keys() == {"id"}:
        return None
    return compact


def stored_row(table: str, values: dict | None, field_hlcs: dict | None, snapshot: str | None) -> tuple[dict, dict]:
    """The row's values and every field's clocks from its `row_state` columns (the snapshot text
    parsed once for both where they are kept in it)."""
    listed = json.loads(snapshot) if snapshot is not None and (values is None or field_hlcs is None) else None
    if values is not None:
        values = dict(values)
    elif listed is None:
        values = {}
    else:  # strict=False: a snapshot written before columns were added at the end holds fewer values
        values = dict(zip(table_columns(table), listed[4], strict=False))
    clocks = field_hlcs if field_hlcs is not None else ({"id": listed[1]} if listed is not None else {})
    return values, full_clocks(clocks, values)


def stored_values(table: str, values: dict | None, snapshot: str | None) -> dict:
    """The row's values from its `row_state` columns (the snapshot's when `values` is NULL)."""
    if values is not None:
        return dict(values)
    if snapshot is None:
        return {}
    listed = json.loads(snapshot)[4]
    # strict=False: a snapshot written before columns were added at the end holds fewer values.
    return dict(zip(table_columns(table), listed, strict=False))
