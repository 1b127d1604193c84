"""Accepting a device's push: validate each change, merge it into `row_state`, append it to the log.

The caller runs `apply_push` inside one transaction and answers only after it commits: a change is
never "accepted, processed later". Each change is checked against the device tables' real columns
(db/models.py); a refused change is reported with a code and message and never written.

Which park a row belongs to decides who may write and pull it. A park row is its own park; tables
with a `park_id` column carry it; a child row takes its parent's park from the parent's row state
(check_result → inspection, rectification_item → hazard, reinspection → rectification_item,
quarterly_report → tenant; attachment_link, audit_event and conflict → the row they name); an
attachment takes the park of the first link to it. Inspectors belong to no park: shared
reference data that every device pulls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import and_, bindparam, select, update

from db.clock import MAX_SKEW_MS
from db.models import APPEND_ONLY_TABLES, SYNCED_TABLES
from db.wire_values import payload_problem
from inspect_app.hub.clock_check import clock_refusal, hub_now_ms
from inspect_app.hub.rows import snapshot_row
from inspect_app.hub.storage import Device, change, row_state, utc_now

SHARED_TABLES = frozenset({"inspector"})
DIRECT_PARK_TABLES = frozenset({"building", "tenant", "inspection", "hazard", "notice"})
PARENT_COLUMN = {  # child table -> (parent table, column holding the parent's id)
    "check_result": ("inspection", "inspection_id"),
    "rectification_item": ("hazard", "hazard_id"),
    "reinspection": ("rectification_item", "rectification_item_id"),
    "quarterly_report": ("tenant", "tenant_id"),
}
REFERENCE_COLUMNS = {  # table -> (column naming the table, column naming the row)
    "attachment_link": ("owner_table", "owner_id"),
    "audit_event": ("table_name", "row_id"),
    "conflict": ("table_name", "row_id"),
}
OPS = ("insert", "update", "delete")
CHUNK = 400  # ids per IN (...) list: well under every database's parameter limit


@cache
def table_columns(table: str) -> frozenset[str]:
    return frozenset(SYNCED_TABLES[table].__table__.columns.keys())


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RowState:
    table_name: str
    row_id: str
    park_id: str | None
    sha256: str | None
    values: dict
    field_hlcs: dict
    deleted: bool
    field_seen: dict = field(default_factory=dict)
    new: bool = False
    dirty: bool = False


@dataclass
class PushResult:
    acked_through: int
    rejected: list[dict] = field(default_factory=list)
    accepted: int = 0
    duplicates: int = 0


def _valid_hlc(stamp: str, device_id: str) -> bool:
    parts = stamp.split(".", 2)
    return (len(parts) == 3 and len(parts[0]) == 13 and parts[0].isdigit() and len(parts[1]) == 5
            and parts[1].isdigit() and parts[2] == device_id)


class RowCache:
    """Row states this push reads and writes, loaded in a few queries and written back at the end."""

    def __init__(self, conn):
        self.conn = conn
        self.rows: dict[tuple[str, str], RowState | None] = {}

    def load(self, keys: set[tuple[str, str]]) -> None:
        wanted: dict[str, list[str]] = {}
        for table, row_id in keys:
            if (table, row_id) not in self.rows:
                wanted.setdefault(table, []).append(row_id)
                self.rows[(table, row_id)] = None
        for table, ids in wanted.items():
            for start in range(0, len(ids), CHUNK):
                query = select(row_state).where(row_state.c.table_name == table,
                                                row_state.c.row_id.in_(ids[start:start + CHUNK]))
                for row in self.conn.execute(query):
                    self.rows[(table, row.row_id)] = RowState(
                        table_name=table, row_id=row.row_id, park_id=row.park_id, sha256=row.sha256,
                        values=dict(row._mapping["values"] or {}), field_hlcs=dict(row.field_hlcs or {}),
                        deleted=row.deleted, field_seen=dict(row.field_seen or {}))

    def get(self, table: str, row_id: str) -> RowState | None:
        if (table, row_id) not in self.rows:
            self.load({(table, row_id)})
        return self.rows[(table, row_id)]

    def put(self, state: RowState) -> None:
        self.rows[(state.table_name, state.row_id)] = state

    def unplaced_attachments(self, sha256: str) -> list[RowState]:
        """Attachment rows naming this content whose park is not known yet."""
        found = [s for s in self.rows.values()
                 if s is not None and s.table_name == "attachment" and s.sha256 == sha256 and s.park_id is None]
        cached = {s.row_id for s in found}
        query = select(row_state.c.row_id).where(row_state.c.table_name == "attachment",
                                                 row_state.c.sha256 == sha256, row_state.c.park_id.is_(None))
        for row in self.conn.execute(query):
            if row.row_id not in cached:
                state = self.get("attachment", row.row_id)
                if state is not None and state.park_id is None:
                    found.append(state)
        return found

    def write(self) -> None:
        inserts, updates = [], []
        for state in self.rows.values():
            if state is None or not state.dirty:
                continue
            values = {"park_id": state.park_id, "sha256": state.sha256, "values": state.values,
                      "field_hlcs": state.field_hlcs, "field_seen": state.field_seen, "deleted": state.deleted,
                      "snapshot": snapshot_row(state.table_name, state.row_id, state.values, state.field_hlcs,
                                               state.field_seen)}
            if state.new:
                inserts.append({"table_name": state.table_name, "row_id": state.row_id, **values})
            else:
                updates.append({"k_table": state.table_name, "k_row": state.row_id, **values})
        if inserts:
            self.conn.execute(row_state.insert(), inserts)
        if updates:
            statement = (update(row_state)
                         .where(row_state.c.table_name == bindparam("k_table"),
                                row_state.c.row_id == bindparam("k_row")))
            self.conn.execute(statement, updates)


def _parent_ref(table: str, row_id: str, values: dict) -> tuple[str, str] | None:
    """The row whose park this row shares, or None when the row names its park itself."""
    if table in PARENT_COLUMN:
        parent, column = PARENT_COLUMN[table]
        return (parent, values[column]) if isinstance(values.get(column), str) else None
    if table in REFERENCE_COLUMNS:
        table_column, id_column = REFERENCE_COLUMNS[table]
        target, target_id = values.get(table_column), values.get(id_column)
        if isinstance(target, str) and isinstance(target_id, str) and target in SYNCED_TABLES:
            return target, target_id
    return None


def _park_of_new_row(cache: RowCache, table: str, row_id: str, values: dict) -> str | None:
    """The park of a row being inserted, or None when it has none or it is not known yet."""
    if table == "park":
        return row_id
    if table in DIRECT_PARK_TABLES:
        park = values.get("park_id")
        return park if isinstance(park, str) else None
    ref = _parent_ref(table, row_id, values)
    if ref is None:
        return None
    parent = cache.get(*ref)
    return parent.park_id if parent is not None else None


class PushApplier:
    def __init__(self, conn, hub_device: Device, *, max_clock_skew_ms: int = MAX_SKEW_MS,
                 now_ms: int | None = None):
        self.conn = conn
        self.device = hub_device
        self.max_clock_skew_ms = max_clock_skew_ms
        self.now_ms = hub_now_ms() if now_ms is None else now_ms  # one hub time for the whole push
        self.cache = RowCache(conn)
        self.new_changes: list[dict] = []
        self.backfill: list[tuple[str, str]] = []  # attachment rows placed in a park by this push

    def visible(self, park_id: str | None, table: str) -> bool:
        if not self.device.restricted:
            return True
        return table in SHARED_TABLES or park_id in self.device.parks

    def check(self, item) -> RowState | None:
        """Refuse what cannot be applied; return the row's current state (None: new to the hub)."""
        table, op, payload = item.table, item.op, item.payload
        if table not in SYNCED_TABLES:
            raise Refused("unknown_table", f"{table!r} is not a synced table")
        if not _valid_hlc(item.hlc, item.device_id):
            raise Refused("bad_hlc", "hlc must be millis.counter.device_id of the pushing device")
        unknown = sorted(set(payload) - table_columns(table))
        if unknown:
            raise Refused("unknown_field", f"not columns of {table}: {', '.join(unknown)}")
        problem = payload_problem(SYNCED_TABLES[table].__table__, payload)
        if problem:  # would stop every device's pull at this change
            raise Refused("bad_value", problem)
        if payload.get("id", item.row_id) != item.row_id:
            raise Refused("bad_row", "payload id differs from row_id")
        state = self.cache.get(table, item.row_id)
        if table in APPEND_ONLY_TABLES and (op != "insert" or state is not None):
            raise Refused("append_only", f"{table} rows are written once and never changed")
        if op == "insert":
            park = _park_of_new_row(self.cache, table, item.row_id, payload)
            placed = park is not None or table in SHARED_TABLES
        elif state is None:
            park, placed = None, table in SHARED_TABLES
            if table in DIRECT_PARK_TABLES and isinstance(payload.get("park_id"), str):
                park, placed = payload["park_id"], True
        else:
            park, placed = state.park_id, state.park_id is not None or table in SHARED_TABLES
        if self.device.restricted:
            # An attachment's park comes with its first link; everything else must be placed.
            if not placed and table != "attachment":
                raise Refused("unknown_parent", "the hub does not know the park of this row (push its parent first)")
            if placed and not self.visible(park, table):
                raise Refused("park_not_assigned", "this device is not assigned the row's park")
            new_park = payload.get("park_id") if table in DIRECT_PARK_TABLES else None
            if isinstance(new_park, str) and new_park not in self.device.parks:
                raise Refused("park_not_assigned", "this device is not assigned the row's new park")
        return state

    def check_clock(self, item) -> None:
        """No stamp from further ahead than the allowed skew (hub/clock_check.py)."""
        refusal = clock_refusal(item.hlc, item.base, self.now_ms, self.max_clock_skew_ms)
        if refusal is not None:
            raise Refused(*refusal)

    def merge(self, item, state: RowState | None) -> RowState:
        """Per-field last-writer-wins into the row state (greater hlc wins)."""
        table, payload = item.table, item.payload
        if state is None:
            park = _park_of_new_row(self.cache, table, item.row_id, payload)
            if item.op != "insert" and table in DIRECT_PARK_TABLES:
                park = payload.get("park_id") if isinstance(payload.get("park_id"), str) else None
            state = RowState(table_name=table, row_id=item.row_id, park_id=park, sha256=None,
                             values={}, field_hlcs={}, deleted=False, new=True)
            self.cache.put(state)
        base = (item.base or {}) if item.op != "insert" else {}
        for name, value in payload.items():
            seen = base.get(name)
            if isinstance(seen, str) and seen > state.field_seen.get(name, ""):
                state.field_seen[name] = seen
            if item.hlc > state.field_hlcs.get(name, ""):
                state.values[name] = value
                state.field_hlcs[name] = item.hlc
        state.deleted = bool(state.values.get("deleted", False))
        if table in DIRECT_PARK_TABLES and isinstance(state.values.get("park_id"), str):
            state.park_id = state.values["park_id"]
        if table == "attachment" and isinstance(state.values.get("sha256"), str):
            state.sha256 = state.values["sha256"]
        state.dirty = True
        return state

    def place_attachments(self, link: RowState) -> None:
        """A link in a known park gives that park to the attachment rows it names that have none."""
        sha256 = link.values.get("attachment_sha256")
        if link.park_id is None or not isinstance(sha256, str):
            return
        for target in self.cache.unplaced_attachments(sha256):
            target.park_id = link.park_id
            target.dirty = True
            self.backfill.append((target.row_id, link.park_id))
            for pending in self.new_changes:
                if pending["table_name"] == "attachment" and pending["row_id"] == target.row_id:
                    pending["park_id"] = link.park_id

    def prefetch(self, items) -> None:
        keys = {(i.table, i.row_id) for i in items if i.table in SYNCED_TABLES}
        for item in items:
            ref = _parent_ref(item.table, item.row_id, item.payload) if item.table in SYNCED_TABLES else None
            if ref:
                keys.add(ref)
        self.cache.load(keys)

    def run(self, items) -> PushResult:
        seqs = [i.device_seq for i in items]
        seen = set()
        for start in range(0, len(seqs), CHUNK):
            query = select(change.c.device_seq).where(change.c.device_id == items[0].device_id,
                                                      change.c.device_seq.in_(seqs[start:start + CHUNK]))
            seen.update(row.device_seq for row in self.conn.execute(query))
        result = PushResult(acked_through=max(seqs))
        self.prefetch([i for i in items if i.device_seq not in seen])
        now = utc_now()
        for item in items:
            if item.device_seq in seen:
                result.duplicates += 1
                continue
            seen.add(item.device_seq)
            try:
                self.check_clock(item)
                state = self.check(item)
            except Refused as refusal:
                result.rejected.append({"device_seq": item.device_seq, "code": refusal.code,
                                        "message": refusal.message})
                continue
            state = self.merge(item, state)
            self.new_changes.append({
                "device_id": item.device_id, "device_seq": item.device_seq, "table_name": item.table,
                "row_id": item.row_id, "park_id": state.park_id, "op": item.op, "hlc": item.hlc,
                "actor_id": item.actor_id, "payload": item.payload, "base": item.base, "received_at": now})
            if item.table == "attachment_link":
                self.place_attachments(state)
            result.accepted += 1
        self.cache.write()
        if self.new_changes:
            self.conn.execute(change.insert(), self.new_changes)
        for row_id, park in self.backfill:
            self.conn.execute(update(change)
                              .where(and_(change.c.table_name == "attachment", change.c.row_id == row_id,
                                          change.c.park_id.is_(None)))
                              .values(park_id=park))
        return result
