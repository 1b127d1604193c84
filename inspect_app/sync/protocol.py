"""The sync protocol both ends share: the wire change and the rules every change must follow.

The device builds its outbox and inbox changes through `WireChange` and checks what it receives
with `value_problem`; the hub parses pushes with the same model and refuses, with the same rules,
what the devices' databases would refuse (docs/SYNC.md, "Rules"). The rules come from the device's
own tables (db/models.py): column types (db/wire_values.py), NOT NULL, date-times with a zone,
unique keys, foreign keys. What the models cannot say — which park a row belongs to when it has no
`park_id`, which tables are shared reference data — is the small explicit part below.

This module is imported by the device: it must not import the hub, the services or FastAPI.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import DateTime, Table

from db.changelog import STAMP_FIELDS  # noqa: F401 - the hub checks which fields a park device sent
from db.checklist_items import content_problem
from db.models import APPEND_ONLY_TABLES, SYNCED_TABLES
from db.wire_values import payload_problem

MAX_DEVICE_SEQ = 2**62

# Identifiers are short printable strings; a NUL byte or a control character is a malformed change.
Ident = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.:-]+$")]
TableName = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
Stamp = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[0-9A-Za-z_.:-]+$")]
# A field's clock as the writer saw it: a stamp (empty only for a row written before clocks existed).
BaseStamp = Annotated[str, StringConstraints(max_length=100, pattern=r"^[0-9A-Za-z_.:-]*$")]


class WireChange(BaseModel):
    """One change as it travels: a device's outbox entry, a pulled change, a bundle line."""

    model_config = ConfigDict(extra="forbid")

    device_id: Ident = Field(description="the device that made the change (= the hlc's device part)")
    device_seq: int = Field(ge=1, le=MAX_DEVICE_SEQ, description="its change_log.seq on that device")
    table: TableName
    row_id: Ident
    op: Literal["insert", "update", "delete"]
    hlc: Stamp
    actor_id: Ident | None = None
    payload: dict[str, Any] = Field(description="insert: every column; update/delete: the changed fields")
    base: dict[str, BaseStamp] | None = Field(
        default=None, description="update/delete: the clock of each changed field as the writer saw it")
    seq: int | None = Field(default=None, ge=1, description="hub-wide sequence: set by the hub on the changes "
                                                            "it serves, ignored in a push")

    def wire(self) -> dict:
        """The JSON-ready dict; `seq` only when the change has one."""
        return self.model_dump(exclude={"seq"} if self.seq is None else None)


def wire_change(device_seq: int, device_id: str, table: str, row_id: str, op: str, hlc: str,
                actor_id: str | None, payload, base, seq: int | None = None, *, checked: bool = True) -> dict:
    """A change from its stored columns (payload and base as JSON text or dicts), checked by the model.

    `checked=False` builds it without the check: for changes received from elsewhere and kept as
    they came (a device relays its inbox as it holds it; the receiver checks)."""
    fields = {"device_id": device_id, "device_seq": device_seq, "table": table, "row_id": row_id, "op": op,
              "hlc": hlc, "actor_id": actor_id, "payload": _json(payload), "base": _json(base) or {}, "seq": seq}
    change = WireChange(**fields) if checked else WireChange.model_construct(**fields)
    return change.wire()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


# --- the rules of each synced table -------------------------------------------------------------

# Shared reference data: rows of no park, pulled by every device; a park-limited device may add
# its own and edit those, others' only a device of every park (inspection plans: none, below).
SHARED_TABLES = frozenset({"inspector", "inspection_plan", "agency_policy", "checklist_item"})
# Rows named by their content (db/checklist_items.py): an insert's id must be the one its values
# give, and a second insert of a row held is the same fact from another device, taken as done.
CONTENT_ADDRESSED = frozenset({"checklist_item"})
# The office's own rows: of no park, written and pulled only by devices of every park (a draw's
# register names every park's tenants; recusals are the office's records).
OFFICE_TABLES = frozenset({"plan_recusal", "plan_draw"})
# What only a device of every park (the office) writes: table -> the fields a park-limited device
# may still update (a laptop links the inspection it started from a task; nothing else).
OFFICE_WRITTEN: dict[str, frozenset[str]] = {
    "inspection_plan": frozenset(), "plan_recusal": frozenset(), "plan_draw": frozenset(),
    "inspection_task": frozenset({"inspection_id"}), "agency_policy": frozenset(),
}
# Requests a park device starts and the office decides (notice_review): a park-limited device may
# insert a pending notice request with no decision in it, and mark the office's change request
# resolved; approving, returning and asking for changes are the office's (review_refusal).
REVIEW_DECISION_FIELDS = frozenset({"state", "comment", "reviewed_by", "reviewed_at"})
RESOLVE_FIELDS = frozenset({"state", "resolved_by", "resolved_at"})
# Rows that name another row by table and id (not a foreign key): they take that row's park.
NAMED_REFERENCES = {  # table -> (column naming the table, column naming the row)
    "attachment_link": ("owner_table", "owner_id"),
    "audit_event": ("table_name", "row_id"),
    "conflict": ("table_name", "row_id"),
}
# A photo takes the park of the first link that names its sha256.
LINKED_TABLES = frozenset({"attachment"})

ParkKind = Literal["self", "column", "parent", "named", "link", "shared", "office"]


@dataclass(frozen=True)
class UniqueKey:
    name: str  # "table(col, col)": what a refusal names
    columns: tuple[str, ...]
    live_only: bool  # a partial index "WHERE deleted = 0": a tombstoned row releases its key


@dataclass(frozen=True)
class Reference:
    column: str  # the foreign-key column
    table: str  # the table it points to


@dataclass(frozen=True)
class TableRules:
    name: str
    columns: frozenset[str]
    required: frozenset[str]  # NOT NULL without a server default: every insert carries it, nothing nulls it
    datetimes: tuple[str, ...]  # must carry a time zone
    unique_keys: tuple[UniqueKey, ...]
    references: tuple[Reference, ...]  # every foreign key: the parent must be in the row's park
    park: ParkKind  # where the row's park comes from
    office_fields: frozenset[str] | None  # OFFICE_WRITTEN: None = any device of the row's park writes it
    park_column: str | None  # "column": park_id; "parent": the foreign key to the parent
    parent_table: str | None  # "parent": the parent's table
    append_only: bool

    def parent_of(self, values: dict) -> tuple[str, str] | None:
        """The row whose park this row shares (a parent or a named row), or None."""
        if self.park == "parent":
            parent_id = values.get(self.park_column)
            return (self.parent_table, parent_id) if isinstance(parent_id, str) else None
        if self.park == "named":
            table_column, id_column = NAMED_REFERENCES[self.name]
            target, target_id = values.get(table_column), values.get(id_column)
            if isinstance(target, str) and isinstance(target_id, str) and target in SYNCED_TABLES:
                return target, target_id
        return None

    def keys(self, values: dict, deleted: bool) -> dict[str, str]:
        """{key name: digest} of the unique keys this row holds (none with a null part, as in SQL)."""
        held = {}
        for key in self.unique_keys:
            parts = [values.get(column) for column in key.columns]
            if any(part is None for part in parts) or (key.live_only and deleted):
                continue
            held[key.name] = key_digest(parts)
        return held


def key_digest(parts: list) -> str:
    """A fixed-size name for a key's values: the hub's index never grows with a hostile value."""
    try:
        return _digest(tuple(parts))
    except TypeError:  # an unhashable part (a list): not cached
        return _digest.__wrapped__(tuple(parts))


@lru_cache(maxsize=8192)  # a push computes a key before and after its merge: once is enough
def _digest(parts: tuple) -> str:
    # Each part spelled with its kind and length, so no two different keys share a spelling.
    spelled = []
    for part in parts:
        text = part if isinstance(part, str) else json.dumps(part, ensure_ascii=False, sort_keys=True)
        spelled.append(f"{'s' if isinstance(part, str) else 'j'}{len(text)}:{text}")
    return hashlib.sha256("".join(spelled).encode("utf-8")).hexdigest()


def _unique_keys(table: Table) -> tuple[UniqueKey, ...]:
    found = []
    for constraint in table.constraints:
        if type(constraint).__name__ == "UniqueConstraint":
            found.append((tuple(c.name for c in constraint.columns), False))
    for index in table.indexes:
        if index.unique:
            found.append((tuple(c.name for c in index.columns), index.dialect_options["sqlite"].get("where") is not None))
    for column in table.columns:  # `unique=True` on a column is a constraint above (SQLModel) or here
        if column.unique and ((column.name,), False) not in found:
            found.append(((column.name,), False))
    return tuple(UniqueKey(f"{table.name}({', '.join(cols)})", cols, live_only) for cols, live_only in found)


def _park_kind(name: str, table: Table) -> tuple[ParkKind, str | None, str | None]:
    if name == "park":
        return "self", None, None
    if "park_id" in table.columns:
        return "column", "park_id", None
    if name in NAMED_REFERENCES:
        return "named", None, None
    if name in LINKED_TABLES:
        return "link", None, None
    if name in SHARED_TABLES:
        return "shared", None, None
    if name in OFFICE_TABLES:
        return "office", None, None
    # A reference to shared rows (check_result -> checklist_item) places nothing.
    foreign = [fk for fk in table.foreign_keys if fk.column.table.name not in SHARED_TABLES]
    if len(foreign) == 1:  # a child of one parent (check_result -> inspection, ...) shares its park
        return "parent", foreign[0].parent.name, foreign[0].column.table.name
    raise RuntimeError(f"sync protocol: the park of a {name} row is not defined")


def _rules(name: str) -> TableRules:
    table = SYNCED_TABLES[name].__table__
    kind, park_column, parent_table = _park_kind(name, table)
    return TableRules(
        name=name, columns=frozenset(table.columns.keys()),
        required=frozenset(c.name for c in table.columns if not c.nullable and c.server_default is None),
        datetimes=tuple(c.name for c in table.columns if isinstance(getattr(c.type, "impl", c.type), DateTime)),
        unique_keys=_unique_keys(table),
        references=tuple(Reference(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys),
        park=kind, office_fields=OFFICE_WRITTEN.get(name), park_column=park_column, parent_table=parent_table,
        append_only=name in APPEND_ONLY_TABLES)


RULES: dict[str, TableRules] = {name: _rules(name) for name in SYNCED_TABLES}


def review_refusal(op: str, before: dict | None, payload: dict) -> str | None:
    """Why a park-limited device may not write this notice_review change (None when it may).

    `before` is the row's values at the hub (None for a new row); `payload` the change's fields."""
    fields = set(payload) - STAMP_FIELDS
    if op == "insert":
        if payload.get("kind") != "notice" or payload.get("state") != "pending":
            return "a park device may only submit a pending notice for review"
        if any(payload.get(name) is not None for name in (REVIEW_DECISION_FIELDS - {"state"}) | {"resolved_by",
                                                                                                 "resolved_at"}):
            return "a park device may not fill in the office's decision"
        return None
    if before is None:
        return "unknown request"
    if before.get("kind") == "changes" and fields <= RESOLVE_FIELDS and payload.get("state", "resolved") == "resolved":
        return None
    return "only the office approves, returns or asks for changes"


# --- checking a change's values -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str  # kept by the device with the refused change (docs/SYNC.md, "Rejection codes")
    message: str


# Numbers a person typed whose range the forms check and the hub checks again (a device may be
# hostile): a star score's points and year (inspect_app/services/stars.py; an item's own maximum is
# in the office's criteria file, which the hub does not hold, so the widest any item may have).
VALUE_RANGES = {("star_score", "points"): (0.0, 100.0), ("star_score", "year"): (2000, 2100)}


def value_problem(table: str, op: str, row_id: str, payload: dict) -> Problem | None:
    """What the device's database would refuse in this change's values, or None.

    Types as db/wire_values.py; date-times must carry a zone (a zone-less one is read as another
    instant on every device); a NOT NULL column may not be null, and an insert carries every one;
    `id` is the row id and is written only by the insert."""
    rules = RULES.get(table)
    if rules is None:
        return Problem("unknown_table", f"{table!r} is not a synced table")
    unknown = sorted(set(payload) - rules.columns)
    if unknown:
        return Problem("unknown_field", f"not columns of {table}: {', '.join(unknown)}")
    problem = payload_problem(SYNCED_TABLES[table].__table__, payload)
    if problem:
        return Problem("bad_value", problem)
    if "id" in payload and (op != "insert" or payload["id"] != row_id):
        return Problem("bad_row", "payload id differs from row_id or is not an insert's")
    if table in CONTENT_ADDRESSED and op == "insert":
        wrong = content_problem(row_id, payload)
        if wrong:
            return Problem("bad_row", wrong)
    for name in rules.datetimes:
        value = payload.get(name)
        if isinstance(value, str) and datetime.fromisoformat(value).tzinfo is None:
            return Problem("no_time_zone", f"{table}.{name}: a date-time without a time zone")
    nulls = sorted(name for name in rules.required if name in payload and payload[name] is None)
    if nulls:
        return Problem("not_null", f"{table}: may not be empty: {', '.join(nulls)}")
    if op == "insert":
        missing = sorted(rules.required - set(payload) - {"id"})
        if missing:
            return Problem("not_null", f"{table}: an insert lacks {', '.join(missing)}")
    for (range_table, name), (low, high) in VALUE_RANGES.items():
        value = payload.get(name) if range_table == table else None
        if value is not None and not low <= value <= high:  # types checked above; nan fails too
            return Problem("bad_value", f"{table}.{name}: {value!r} outside {low:g}..{high:g}")
    return None
