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
