"""A first sync: load the hub's merged rows in bulk instead of replaying every change (docs/SYNC.md).

A device that has never pulled from any hub (nothing in its inbox, pull cursor 0) asks the hub
for its rows table by table (parents first), pages of a few thousand, and inserts each page with
one executemany per table, the rows' field clocks (`row_version`) and its progress in one
transaction. After the last table the pull cursor is set to the hub sequence of the first page
and normal pulls continue from there: a change that landed while the pages were read is then
pulled again and merged harmlessly (the merge skips a write whose stamp the field already has).

Rows the device cannot insert whole — the hub holds only updates of them (`partial`), a parent is
not here, or the device has the row already (its own, pushed before this pull) or another row
holds one of its unique values — are loaded as their changes instead (`/snapshot/changes`),
through the same merge as a pull: they wait in the inbox for what they need.

Conflicts are derived by each device from the writes it receives (apply.py): a device that
starts from a snapshot does not hold the writes that lost before it, so it starts without those
conflict rows; later concurrent writes give it the same conflict rows as everyone.

A cut mid-snapshot loses at most the page in flight: the next sync resumes after the last page
saved (the progress lives in `local_setting`, written with the page), unless the hub's history at
the snapshot's sequence is no longer the one it was (the hub was put back from a backup since):
the snapshot then starts again (rows loaded already are merged, not doubled).
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import JSON, Boolean, Date, DateTime, LargeBinary, Table

from db import clock
from db.models import SYNCED_TABLES, synced_tables_parents_first
from db.store import Store
from inspect_app.sync.apply import ApplyResult, Merge
from inspect_app.sync.cursors import SNAPSHOT_PROGRESS_KEY as PROGRESS_KEY
from inspect_app.sync.cursors import fetch_checks, save_pull_cursor

log = logging.getLogger(__name__)

# PROGRESS_KEY: {"hub", "seq", "check", "table", "after"} while a first sync is under way (sync/cursors.py)
CLOCK_FLOOR_KEY = "clock_floor"  # the newest stamp loaded by a snapshot: Store.open starts past it
PAGE_ROWS = 5000  # the hub's largest page: fewer requests and commits
ROW_IDS_PER_REQUEST = 1000
CHUNK = 500  # ids per IN (...) list

# request(method, path, params=..., json=...) -> httpx.Response with status 200 (the client's
# session, which retries transient failures).
Request = Callable[..., object]
Progress = Callable[[str, int, int | None], None]


class SnapshotError(RuntimeError):
    """The hub answered a snapshot request with something other than a page."""


@dataclass
class SnapshotResult:
    seq: int = 0  # the hub sequence the loaded rows are consistent with (the new pull cursor)
    check: str | None = None  # the hub's history check at seq (kept as the first checkpoint)
    rows: int = 0  # rows inserted whole
    changes: int = 0  # changes merged for rows that could not be inserted whole
    conflicts: int = 0
    set_aside: int = 0  # changes of those rows this device could not apply (kept in the inbox)


def tables() -> tuple[str, ...]:
    return synced_tables_parents_first()


def needed(store: Store, hub: str) -> bool:
    """True when this device should start from a snapshot of this hub: a snapshot of it is under
    way, or the device never pulled anything (from any hub or bundle)."""
    with store.connect() as conn:
        saved = _saved_progress(conn)
        if saved is not None:
            return saved["hub"] == hub
        if conn.execute("SELECT 1 FROM sync_state WHERE pulled_seq > 0 LIMIT 1").fetchone():
            return False
        return conn.execute("SELECT 1 FROM applied_change LIMIT 1").fetchone() is None


def load(store: Store, hub: str, request: Request, *, progress: Progress | None = None,
         page_rows: int = PAGE_ROWS) -> SnapshotResult:
    """Load the hub's rows (resuming a cut snapshot); on return the pull cursor is the snapshot's
    seq. `hub` is the hub's id (the key of its cursors)."""
    with store.connect() as conn:
        saved = _saved_progress(conn)
    if saved is not None and saved["hub"] == hub and saved.get("check") is not None:
        if fetch_checks(request, [saved["seq"]]).get(saved["seq"]) != saved["check"]:
            log.warning("hub %s was put back from a backup since this first sync began: starting it again", hub)
            saved = None
    if saved is None or saved["hub"] != hub:
        saved = {"hub": hub, "seq": None, "check": None, "table": tables()[0], "after": ""}
    result = SnapshotResult(seq=saved["seq"] or 0, check=saved.get("check"))
    order = tables()
    position = (saved["table"], saved["after"])

    def fetch(where: tuple[str, str]) -> dict:
        response = request("GET", "/snapshot", params={"table": where[0], "after_row": where[1], "limit": page_rows})
        if getattr(response, "status_code", 200) != 200:
            raise SnapshotError(f"snapshot page refused: HTTP {response.status_code}")
        return response.json()

    # The next page is fetched while this one is written: the hub reads as the device inserts.
    with ThreadPoolExecutor(max_workers=1) as pool, store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
        # A page lost to a power cut is loaded again (the progress goes with it), so the load
        # does not need a full fsync per page; a bigger cache keeps the indexes in memory.
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA cache_size=-65536")
        raw.execute("PRAGMA wal_autocheckpoint=16384")  # checkpoint every 64 MB, not every 4 MB
        try:
            pending = pool.submit(fetch, position)
            while pending is not None:
                page = pending.result()
                if saved["seq"] is None:
                    saved["seq"] = result.seq = int(page["seq"])
                    saved["check"] = result.check = fetch_checks(request, [result.seq]).get(result.seq)
                table = position[0]
                if page["has_more"]:
                    position = (table, page["next_row"])
                else:
                    following = order.index(table) + 1
                    position = (order[following], "") if following < len(order) else None
                pending = pool.submit(fetch, position) if position is not None else None
                saved_next = None if position is None else {**saved, "table": position[0], "after": position[1]}
                _load_page(conn, store, hub, request, table, page, saved_next, result)
                if progress:
                    progress("snapshot", result.rows + result.changes, None)
        finally:
            raw.execute("PRAGMA synchronous=FULL")
            raw.execute("PRAGMA wal_autocheckpoint=1000")
            raw.execute(f"PRAGMA cache_size={int(cache_size)}")
    return result


# --- one page ------------------------------------------------------------------------------------


def _load_page(conn, store: Store, hub: str, request: Request, table_name: str, page: dict,
               saved_next: dict | None, result: SnapshotResult) -> None:
    table = SYNCED_TABLES[table_name].__table__
    columns = list(page["columns"])
    hlc_at = columns.index("hlc")
    rows = page["rows"]  # [row_id, inserted, clocks, seen, values]
    # The numeric max of well-formed stamps (db/clock.py): a string max would let a wider stamp win;
    # one from further ahead than the skew (a hub of before the clock rule) is not observed.
    limit = store.clock.wall_ms() + clock.MAX_SKEW_MS
    newest = clock.newest(row[4][hlc_at] for row in rows
                          if clock.is_valid(row[4][hlc_at]) and clock.millis_of(row[4][hlc_at]) <= limit) or ""
    changes = _row_changes(request, table_name, list(page["partial"]))
    merged = ApplyResult()
    with conn.begin():
        cursor = conn.connection.driver_connection.cursor()
        # The progress first: a write opens the transaction (the inserts use a savepoint in it).
        if saved_next is None:  # the last page: pulls continue from the snapshot's sequence
            cursor.execute("DELETE FROM local_setting WHERE key = ?", (PROGRESS_KEY,))
            save_pull_cursor(conn, hub, result.seq, result.check)
        else:
            _set_setting(cursor, PROGRESS_KEY, json.dumps(saved_next))
        floor = clock.newest([newest, _setting(cursor, CLOCK_FLOOR_KEY)])
        if floor:
            _set_setting(cursor, CLOCK_FLOOR_KEY, floor)
        inserted, skipped = _insert_rows(cursor, conn.dialect, table, columns, rows)
        if skipped:  # parent not here, row here already, or a unique value taken: merged as changes
            changes += _row_changes(request, table_name, sorted(skipped))
        _insert_row_versions(cursor, table_name, inserted)
        merge = Merge(conn, store, merged)
        for change in sorted(changes, key=lambda c: c["seq"]):
            merge.receive(change)
        if newest:
            store.clock.observe(newest)
    result.rows += len(inserted)
    result.changes += merged.received
    result.conflicts += merged.conflicts
    result.set_aside += merged.kept


def _without_parents(cursor, table: Table, columns: list[str], rows: list[list]) -> set[str]:
    """Ids of rows referring to a row this device does not have (it arrives by a later pull, or
    waits in the inbox): they cannot be inserted now, foreign keys being enforced."""
    orphans: set[str] = set()
    for fk in table.foreign_keys:
        at, parent = columns.index(fk.parent.name), fk.column.table.name
        wanted = {row[4][at] for row in rows} - {None}
        present = set()
        ids = sorted(wanted)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            marks = ",".join("?" * len(chunk))
            present.update(r[0] for r in cursor.execute(f'SELECT id FROM "{parent}" WHERE id IN ({marks})', chunk))
        orphans.update(row[0] for row in rows if row[4][at] in wanted - present)
    return orphans


@cache
def _converters(table: Table, dialect) -> dict[str, tuple[str, Callable]]:
    """Per column that needs it: (kind, convert) from a payload value to what SQLAlchemy would
    store (its bind processor). Kinds: "datetime" and "date" have a fast path for their usual
    spelling; "json" converts None too (to JSON null, as a Core insert does); "other" skips None."""
    result = {}
    for column in table.columns:
        kind = getattr(column.type, "impl", column.type)
        store_value = column.type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(kind, JSON):
            result[column.name] = ("json", store_value)
        elif isinstance(kind, DateTime):
            result[column.name] = ("datetime", _compose(datetime.fromisoformat, store_value))
        elif isinstance(kind, Date):
            result[column.name] = ("date", _compose(date.fromisoformat, store_value))
        elif isinstance(kind, LargeBinary):
            result[column.name] = ("other", _compose(lambda v: base64.b64decode(v["base64"]), store_value))
        elif store_value is not None and not isinstance(kind, Boolean):  # sqlite3 stores bools itself
            result[column.name] = ("other", store_value)
    return result


def _compose(parse: Callable, store_value: Callable | None) -> Callable:
    if store_value is None:
        return parse
    return lambda value: store_value(parse(value))


def _convert_column(records: list[list], index: int, kind: str, convert: Callable) -> None:
    """Convert one column of every record in place (a loop per column: no call per cell on the
    usual spellings, which a million rows notice)."""
    if kind == "datetime":
        for record in records:
            value = record[index]
            if value is None:
                continue
            # '2026-11-26T18:02:18.156115+00:00' -> '2026-11-26 18:02:18.156115', SQLAlchemy's
            # SQLite spelling of that UTC time; any other spelling goes the long way.
            if value.__class__ is str and len(value) == 32 and value[10] == "T" and value[26:] == "+00:00":
                record[index] = f"{value[:10]} {value[11:26]}"
            else:
                record[index] = convert(value)
    elif kind == "date":
        for record in records:
            value = record[index]
            if value is not None and not (value.__class__ is str and len(value) == 10 and value[4] == "-"):
                record[index] = convert(value)
    elif kind == "json":
        for record in records:
            record[index] = convert(record[index])
    else:
        for record in records:
            if record[index] is not None:
                record[index] = convert(record[index])


def _insert_rows(cursor, dialect, table: Table, columns: list[str],
                 rows: list[list]) -> tuple[list[list], set[str]]:
    """Insert the rows; return those inserted, and the ids to merge as changes instead (parent
    missing, held here with other values, a unique value taken here, a row of another shape)."""
    known = {column.name for column in table.columns}
    unknown = set(columns) - known
    if unknown:
        raise SnapshotError(f"the hub's {table.name} has columns this device does not know: {sorted(unknown)}")
    # A row kept ready by a hub from before the table gained a column (tenant in device migration
    # 0007) has fewer values than the page names: it is merged from its changes instead.
    misshapen = {row[0] for row in rows if len(row[4]) != len(columns)}
    if misshapen:
        rows = [row for row in rows if row[0] not in misshapen]
        inserted, skipped = _insert_rows(cursor, dialect, table, columns, rows)
        return inserted, skipped | misshapen
    if not rows:
        return [], set()
    converters = _converters(table, dialect)
    records = [row[4] for row in rows]  # converted in place: the page is not used again
    for index, name in enumerate(columns):
        if name in converters:
            _convert_column(records, index, *converters[name])
    statement = (f'INSERT INTO "{table.name}" ({", ".join(chr(34) + n + chr(34) for n in columns)}) '
                 f'VALUES ({", ".join("?" * len(columns))}) ON CONFLICT DO NOTHING')
    # ON CONFLICT DO NOTHING: never a replace (docs/SYNC.md). Foreign keys stay enforced. The
    # whole page in one executemany; when a row fails or is not inserted, the page is undone and
    # loaded row by row, the rows that cannot be inserted being merged as changes instead.
    cursor.execute("SAVEPOINT snapshot_rows")
    before = cursor.connection.total_changes
    try:
        cursor.executemany(statement, records)
        whole = cursor.connection.total_changes - before == len(rows)
    except sqlite3.IntegrityError:
        whole = False
    if not whole:
        cursor.execute("ROLLBACK TO snapshot_rows")
    cursor.execute("RELEASE snapshot_rows")
    if whole:
        return rows, set()
    return _insert_one_by_one(cursor, table, columns, rows, statement)


def _insert_one_by_one(cursor, table: Table, columns: list[str], rows: list[list],
                       statement: str) -> tuple[list[list], set[str]]:
    """The careful way: rows whose parent is not here, rows here already with other values, and
    rows another row's unique value refuses are left out (skipped); a row this device already
    holds as the hub has it is left as it is."""
    skipped = _without_parents(cursor, table, columns, rows)
    hlc_at = columns.index("hlc")
    held: dict[str, str] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = [row[0] for row in rows[start:start + CHUNK]]
        marks = ",".join("?" * len(chunk))
        held.update(cursor.execute(f'SELECT id, hlc FROM "{table.name}" WHERE id IN ({marks})', chunk).fetchall())
    inserted = []
    for row in rows:
        if row[0] in skipped:
            continue
        if row[0] in held:
            if held[row[0]] != row[4][hlc_at]:
                skipped.add(row[0])
            continue
        if cursor.execute(statement, row[4]).rowcount == 1:
            inserted.append(row)
        else:
            skipped.add(row[0])
    return inserted, skipped


def _insert_row_versions(cursor, table_name: str, rows: list[list]) -> None:
    entries = [(table_name, row_id, inserted, json.dumps(clocks), json.dumps(seen))
               for row_id, inserted, clocks, seen, _ in rows if clocks or seen]
    if entries:
        cursor.executemany("INSERT INTO row_version (table_name, row_id, inserted, clocks, seen) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT (table_name, row_id) DO UPDATE SET clocks = excluded.clocks, "
                           "seen = excluded.seen", entries)


def _row_changes(request: Request, table_name: str, row_ids: list[str]) -> list[dict]:
    changes: list[dict] = []
    for start in range(0, len(row_ids), ROW_IDS_PER_REQUEST):
        response = request("POST", "/snapshot/changes",
                           json={"table": table_name, "row_ids": row_ids[start:start + ROW_IDS_PER_REQUEST]})
        if getattr(response, "status_code", 200) != 200:
            raise SnapshotError(f"snapshot changes refused: HTTP {response.status_code}")
        changes += response.json()["changes"]
    return changes


# --- local settings --------------------------------------------------------------------------------


def _saved_progress(conn) -> dict | None:
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (PROGRESS_KEY,)).fetchone()
    return json.loads(row[0]) if row else None


def _setting(cursor, key: str) -> str | None:
    row = cursor.execute("SELECT value FROM local_setting WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_setting(cursor, key: str, value: str) -> None:
    cursor.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
