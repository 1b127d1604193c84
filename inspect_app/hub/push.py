"""Accepting a device's push: check each change, merge it into `row_state`, append it to the log.

The caller runs `PushApplier.run` inside one transaction and answers only after it commits: a
change is never "accepted, processed later". A change is accepted only if every device's database
would take it (the rules of inspect_app/sync/protocol.py, docs/SYNC.md "Rules"): its values fit the
columns, the row after the merge keeps every unique key to itself (`unique_key`), its parents are
in its park, and the device may write that row. A refused change is reported with a code and a
message and never written; the hub treats every device as possibly hostile.

Which park a row belongs to decides who may write and pull it. A park row is its own park; tables
with a `park_id` column carry it; a child row takes its parent's park from the parent's row state
(check_result → inspection, rectification_item → hazard, reinspection → rectification_item,
quarterly_report → tenant; attachment_link, audit_event and conflict → the row they name); an
attachment takes the park of the first link to it. Inspectors and inspection plans belong to no
park: shared reference data that every device pulls. Recusals and plan draws belong to no park
either, and only devices of every park write and pull them; plans, draws, recusals and tasks are
written only by a device of every park (a laptop may set a task's `inspection_id`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, delete, select, update

from db.clock import MAX_SKEW_MS, is_valid
from inspect_app.hub.clock_check import clock_refusal, hub_now_ms
from inspect_app.hub.rows import clocks_to_store, snapshot_row, stored_row, values_to_store
from inspect_app.hub.storage import Device, change, row_state, unique_key, unique_key_digest, utc_now
from inspect_app.sync.protocol import (
    CONTENT_ADDRESSED,
    RULES,
    SHARED_TABLES,
    STAMP_FIELDS,
    TableRules,
    review_refusal,
    value_problem,
)

__all__ = ["SHARED_TABLES", "PushApplier", "PushResult", "Refused"]

CHUNK = 400  # ids per IN (...) list: well under every database's parameter limit


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
                    # Stored compactly (hub/rows.py): values from the snapshot, clocks expanded.
                    values, clocks = stored_row(table, row._mapping["values"], row.field_hlcs, row.snapshot)
                    self.rows[(table, row.row_id)] = RowState(
                        table_name=table, row_id=row.row_id, park_id=row.park_id, sha256=row.sha256,
                        values=values, field_hlcs=clocks,
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
            snapshot = snapshot_row(state.table_name, state.row_id, state.values, state.field_hlcs,
                                    state.field_seen)
            values = {"park_id": state.park_id, "sha256": state.sha256,
                      "values": values_to_store(state.table_name, state.values, snapshot),
                      "field_hlcs": clocks_to_store(state.field_hlcs, snapshot), "field_seen": state.field_seen or None,
                      "deleted": state.deleted, "snapshot": snapshot}
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


def inserted_by(state: RowState) -> str | None:
    """The device whose insert the hub holds for this row (the insert stamp is the `id` field's: only
    an insert carries `id`), or None when only updates of it arrived."""
    stamp = state.field_hlcs.get("id")
    return stamp.split(".", 2)[2] if isinstance(stamp, str) and stamp.count(".") >= 2 else None


def merged_values(state: RowState | None, item) -> dict:
    """The row's values once this change is merged (per field, the greater stamp wins)."""
    if state is None:
        return dict(item.payload)
    values = dict(state.values)
    for name, value in item.payload.items():
        if item.hlc > state.field_hlcs.get(name, ""):
            values[name] = value
    return values


def unique_key_query(keys: list[bytes]):
    """The rows of `unique_key` holding these stored keys (`unique_key_digest`): one index search each."""
    return select(unique_key).where(unique_key.c.key.in_(keys))


class UniqueIndex:
    """The `unique_key` rows this push reads and changes: which row holds each unique value."""

    def __init__(self, conn):
        self.conn = conn
        self.holders: dict[tuple[str, str, str], str | None] = {}
        self.stored: set[tuple[str, str, str]] = set()  # keys that have a row in the table
        self.changed: set[tuple[str, str, str]] = set()

    def load(self, keys: set[tuple[str, str, str]]) -> None:
        wanted: dict[bytes, tuple[str, str, str]] = {}
        for key in keys:
            if key not in self.holders:
                self.holders[key] = None
                wanted[unique_key_digest(*key)] = key
        digests = list(wanted)
        for start in range(0, len(digests), CHUNK):
            for row in self.conn.execute(unique_key_query(digests[start:start + CHUNK])):
                key = wanted[bytes(row.key)]
                if key not in self.changed:
                    self.holders[key] = row.row_id
                    self.stored.add(key)

    def holder(self, table: str, name: str, digest: str) -> str | None:
        key = (table, name, digest)
        if key not in self.holders:
            self.load({key})
        return self.holders[key]

    def move(self, table: str, row_id: str, before: dict[str, str], after: dict[str, str]) -> None:
        """The row now holds `after` instead of `before` ({key name: digest})."""
        for name, digest in before.items():
            if after.get(name) != digest and self.holder(table, name, digest) == row_id:
                self.holders[(table, name, digest)] = None
                self.changed.add((table, name, digest))
        for name, digest in after.items():
            if before.get(name) != digest:
                self.holders[(table, name, digest)] = row_id
                self.changed.add((table, name, digest))

    def write(self) -> None:
        if not self.changed:
            return
        gone = [{"k_key": unique_key_digest(*key)} for key in self.changed & self.stored]
        if gone:
            self.conn.execute(delete(unique_key).where(unique_key.c.key == bindparam("k_key")), gone)
        held = [{"key": unique_key_digest(*key), "row_id": self.holders[key]}
                for key in self.changed if self.holders[key] is not None]
        if held:
            self.conn.execute(unique_key.insert(), held)


@dataclass
class Checked:
    """A change that passed every rule, with what the checks worked out for its merge."""

    state: RowState | None
    park: str | None
    keys_before: dict[str, str]
    keys_after: dict[str, str]
    same_fact: bool = False  # an insert of a content-addressed row held already: nothing to write


class PushApplier:
    def __init__(self, conn, hub_device: Device, *, max_clock_skew_ms: int = MAX_SKEW_MS,
                 now_ms: int | None = None):
        self.conn = conn
        self.device = hub_device
        self.max_clock_skew_ms = max_clock_skew_ms
        self.now_ms = hub_now_ms() if now_ms is None else now_ms  # one hub time for the whole push
        self.cache = RowCache(conn)
        self.keys = UniqueIndex(conn)
        self.new_changes: list[dict] = []
        self.backfill: list[tuple[str, str]] = []  # attachment rows placed in a park by this push

    def check(self, item) -> Checked:
        """Refuse what a device's database would refuse or this device may not write."""
        table, op, payload = item.table, item.op, item.payload
        if table not in RULES:
            raise Refused("unknown_table", f"{table!r} is not a synced table")
        if not is_valid(item.hlc, item.device_id):
            raise Refused("bad_hlc", "hlc must be millis.counter.device_id of the pushing device")
        problem = value_problem(table, op, item.row_id, payload)
        if problem:  # would stop every device's pull at this change
            raise Refused(problem.code, problem.message)
        rules = RULES[table]
        state = self.cache.get(table, item.row_id)
        if table in CONTENT_ADDRESSED and op == "insert" and state is not None and not state.deleted:
            # Its id is its content (checked above): the same item started on another device.
            return Checked(state=state, park=state.park_id, keys_before={}, keys_after={}, same_fact=True)
        if rules.append_only and (op != "insert" or state is not None):
            raise Refused("append_only", f"{table} rows are written once and never changed")
        if op == "insert" and state is not None and inserted_by(state) not in (None, item.device_id):
            # A second insert of a row is the same device replaying its own; anything else would
            # overwrite another device's row (and could carry it into another park).
            raise Refused("row_exists", f"{table} {item.row_id} already exists")
        values = merged_values(state, item)
        park, placed = self.park_of(rules, item, state, values)
        if self.device.restricted:
            self.check_scope(rules, item, state, park, placed)
        self.check_references(rules, item, state, values, park)
        before = rules.keys(state.values, state.deleted) if state is not None else {}
        after = rules.keys(values, bool(values.get("deleted", False)))
        for name, digest in after.items():
            holder = self.keys.holder(table, name, digest) if before.get(name) != digest else None
            if holder is not None and holder != item.row_id:
                raise Refused("duplicate_key", f"{name} = {_key_values(rules, name, values)} is already held by "
                                               f"{table} {holder}")
        return Checked(state=state, park=park, keys_before=before, keys_after=after)

    def check_clock(self, item) -> None:
        """No stamp from further ahead than the allowed skew (hub/clock_check.py)."""
        refusal = clock_refusal(item.hlc, item.base, self.now_ms, self.max_clock_skew_ms)
        if refusal is not None:
            raise Refused(*refusal)

    def park_of(self, rules: TableRules, item, state: RowState | None, values: dict) -> tuple[str | None, bool]:
        """The row's park after this change, and whether it is known (a shared row is placed in none)."""
        if rules.park == "self":
            return item.row_id, True
        if rules.park == "column":
            park = values.get("park_id")
            return (park, True) if isinstance(park, str) else (None, False)
        if rules.park in ("shared", "office"):
            return None, True
        if rules.park == "link":
            return (state.park_id, True) if state is not None and state.park_id is not None else (None, False)
        # A child or a row naming another: its park is its parent's (kept once known: a change of
        # parent that would move it is refused by check_references).
        if state is not None and state.park_id is not None:
            return state.park_id, True
        ref = rules.parent_of(values)
        parent = self.cache.get(*ref) if ref is not None else None
        if parent is None:
            return None, False
        if parent.table_name in SHARED_TABLES:
            return None, True
        return parent.park_id, parent.park_id is not None

    def check_scope(self, rules: TableRules, item, state: RowState | None, park: str | None, placed: bool) -> None:
        """A park-limited device writes rows of its parks only, moves none, and edits only its own
        shared rows; of the office's rows, at most the fields OFFICE_WRITTEN allows."""
        if rules.office_fields is not None:
            allowed = rules.office_fields | STAMP_FIELDS
            if item.op != "update" or state is None or not set(item.payload) <= allowed:
                raise Refused("office_only", f"only a device of every park may write {rules.name} rows"
                              + (f" (a park device may set {', '.join(sorted(rules.office_fields))})"
                                 if rules.office_fields else ""))
        if rules.name == "notice_review":
            refusal = review_refusal(item.op, state.values if state is not None else None, item.payload)
            if refusal is not None:
                raise Refused("office_only", refusal)
        parks = self.device.parks
        before = state.park_id if state is not None else None
        if before is not None and before not in parks:
            raise Refused("park_not_assigned", "this device is not assigned the row's park")
        # An attachment's park comes with its first link; everything else must be placed.
        if not placed and rules.park != "link":
            raise Refused("unknown_parent", "the hub does not know the park of this row (push its parent first)")
        if park is not None and park not in parks:
            raise Refused("park_not_assigned", "this device is not assigned the row's park")
        if before is not None and park is not None and park != before:
            raise Refused("park_move", "a device limited to some parks may not move a row to another park")
        if rules.park == "shared":
            own = item.op == "insert" if state is None else inserted_by(state) == item.device_id
            if not own:
                raise Refused("not_owner", f"only a device of every park may change another device's {rules.name}")

    def check_references(self, rules: TableRules, item, state: RowState | None, values: dict,
                         park: str | None) -> None:
        """Every parent this change sets is in the row's park; a park-limited device's must exist here."""
        refs = [(ref.column, ref.table) for ref in rules.references]
        named = rules.parent_of(values) if rules.park == "named" else None
        for column, parent_table in refs:
            parent_id = values.get(column)
            if parent_id is None or (state is not None and item.op != "insert"
                                     and state.values.get(column) == parent_id):
                continue  # no parent, or the one the row already had
            self._check_parent(column, self.cache.get(parent_table, parent_id), park)
        if named is not None and (state is None or rules.parent_of(state.values) != named):
            self._check_parent(NAMED_COLUMN_LABEL, self.cache.get(*named), park)

    def _check_parent(self, column: str, parent: RowState | None, park: str | None) -> None:
        if parent is None:
            if self.device.restricted:  # a device of every park may push a child first, as before
                raise Refused("unknown_parent", f"{column}: the hub does not have this row (push it first)")
            return
        if parent.table_name in SHARED_TABLES:
            return
        if parent.park_id is None:
            if self.device.restricted:
                raise Refused("unknown_parent", f"{column}: the hub does not know the park of this row")
            return
        if park is not None and parent.park_id != park:
            raise Refused("other_park", f"{column}: the row it names is in another park")

    def merge(self, item, checked: Checked) -> RowState:
        """Per-field last-writer-wins into the row state (greater hlc wins)."""
        table, payload, state = item.table, item.payload, checked.state
        if state is None:
            state = RowState(table_name=table, row_id=item.row_id, park_id=checked.park, sha256=None,
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
        if RULES[table].park == "column" and isinstance(state.values.get("park_id"), str):
            state.park_id = state.values["park_id"]
        if table == "attachment" and isinstance(state.values.get("sha256"), str):
            state.sha256 = state.values["sha256"]
        state.dirty = True
        self.keys.move(table, item.row_id, checked.keys_before, checked.keys_after)
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
        """Load the rows, parents and unique keys a batch needs in a few queries."""
        rows, keys = set(), set()
        for item in items:
            rules = RULES.get(item.table)
            if rules is None:
                continue
            rows.add((item.table, item.row_id))
            for ref in rules.references:
                if isinstance(item.payload.get(ref.column), str):
                    rows.add((ref.table, item.payload[ref.column]))
            named = rules.parent_of(item.payload) if rules.park == "named" else None
            if named is not None:
                rows.add(named)
            if item.op == "insert":
                try:
                    held = rules.keys(item.payload, bool(item.payload.get("deleted", False)))
                except TypeError:  # a value JSON cannot spell: the check refuses the change
                    continue
                keys.update((item.table, name, digest) for name, digest in held.items())
        self.cache.load(rows)
        self.keys.load(keys)

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
                checked = self.check(item)
            except Refused as refusal:
                result.rejected.append({"device_seq": item.device_seq, "code": refusal.code,
                                        "message": refusal.message})
                continue
            if checked.same_fact:  # acknowledged (device_ack), neither merged nor relayed
                result.accepted += 1
                continue
            state = self.merge(item, checked)
            self.new_changes.append({
                "device_id": item.device_id, "device_seq": item.device_seq, "table_name": item.table,
                "row_id": item.row_id, "park_id": state.park_id, "op": item.op, "hlc": item.hlc,
                "actor_id": item.actor_id, "payload": item.payload, "base": item.base, "received_at": now})
            if item.table == "attachment_link":
                self.place_attachments(state)
            result.accepted += 1
        self.cache.write()
        self.keys.write()
        if self.new_changes:
            self.conn.execute(change.insert(), self.new_changes)
        for row_id, park in self.backfill:
            self.conn.execute(update(change)
                              .where(and_(change.c.table_name == "attachment", change.c.row_id == row_id,
                                          change.c.park_id.is_(None)))
                              .values(park_id=park))
        return result


NAMED_COLUMN_LABEL = "the row named"


def _key_values(rules: TableRules, name: str, values: dict) -> str:
    key = next(k for k in rules.unique_keys if k.name == name)
    return ", ".join(repr(values.get(column)) for column in key.columns)
