"""Apply remote changes with the merge rule of docs/SYNC.md, one page per transaction.

Every change is first recorded in the inbox (`applied_change`, unique on origin device and its
sequence): a change seen before is skipped, so pulls that repeat a page and bundles imported
twice change nothing. Then, per field, the write with the greatest clock wins; a write that
neither wins nor was seen by a later writer (its stamp is above the greatest `base` any write of
that field had) is kept as a `conflict` row with a uuid5 id, so every device writes the same one.

Rows are written with SQLAlchemy Core on the page's connection, not through ORM sessions: the
flush hook of db/changelog.py never sees them, so a merged change is not queued again as this
device's own change and makes no audit event (audit events arrive as rows of their own).

Set aside, never stuck: a change this device cannot apply — a value its database refuses (NOT
NULL, a unique or foreign key, a value that does not decode), an update of an append-only row, a
change not in the wire format — is kept in the inbox with its reason (`problem`) and not applied.
Each change is applied inside its own SAVEPOINT, so a refusal undoes that change alone (its values
and field clocks: a clock never records a value that was not applied); the page commits and the
pull cursor moves, and later changes of the same row apply as usual. Only a failure of the
database itself (locked, full, damaged) fails the page, which is then pulled again.

Order: a change may arrive before what it needs — an update before its row's insert (bundles
relay in any order), or a row before its parent from another device. Such a change waits in the
inbox (`waiting_for` = the missing row id) and is applied right after that row is inserted, so
foreign keys stay enforced and every order ends in the same data.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

from pydantic import ValidationError
from sqlalchemy import Date, DateTime, LargeBinary, Table, bindparam, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    ProgrammingError,
    StatementError,
)

from db import row_versions
from db.changelog import STAMP_FIELDS, json_value
from db.clock import MAX_SKEW_MS, is_valid, millis_of, parse
from db.models import APPEND_ONLY_TABLES, SYNCED_TABLES, AppliedChange, utc_now
from db.store import CLOCK_AHEAD, Store
from inspect_app.sync.cursors import save_pull_cursor
from inspect_app.sync.protocol import WireChange, value_problem

OPS = frozenset({"insert", "update", "delete"})
CONFLICT_NAMESPACE = uuid.UUID("5f0c6a53-8d0e-4f5e-9a57-1c2f7d3b9e41")  # fixed forever: ids must agree
log = logging.getLogger(__name__)


class SyncFormatError(ValueError):
    """A change that does not follow the wire format (unknown table, field or op)."""


@dataclass
class ApplyResult:
    received: int = 0
    applied: int = 0  # merged into the data (including waiting changes that could now be applied)
    duplicates: int = 0  # seen before: skipped
    own: int = 0  # this device's own changes coming back (a relayed bundle): skipped
    waiting: int = 0  # still waiting for a row they need
    conflicts: int = 0  # conflict rows written or updated
    kept: int = 0  # set aside: kept in the inbox with a problem, not applied (`applied_change.problem`)
    skipped: int = 0  # not even naming its device and sequence: logged and dropped


def conflict_id(table_name: str, row_id: str, field: str, losing_hlc: str) -> str:
    return str(uuid.uuid5(CONFLICT_NAMESPACE, f"{table_name}\x1f{row_id}\x1f{field}\x1f{losing_hlc}"))


def apply_page(store: Store, changes: list[dict], hub: str | None = None,
               hub_seq_cursor: int | None = None, cursor_check: str | None = None) -> ApplyResult:
    """Apply `changes` (wire format) in one transaction; with `hub` (the hub's id), also move that
    hub's pull cursor to `hub_seq_cursor` (default: the greatest `seq` in the page) in the same
    transaction, keeping `cursor_check` (the hub's history check there) as a checkpoint.
    A change that cannot be applied here is set aside (see the module docstring): the page never
    fails because of what a change holds."""
    result = ApplyResult(received=len(changes))
    with store.engine.begin() as conn:
        merge = Merge(conn, store, result)
        for change in changes:
            merge.receive(change)
        if hub is not None:
            seqs = [c["seq"] for c in changes if isinstance(c, dict) and _is_seq(c.get("seq"))]
            cursor = hub_seq_cursor if hub_seq_cursor is not None else max(seqs, default=None)
            if cursor is not None:
                save_pull_cursor(conn, hub, cursor, cursor_check)
    result.waiting = waiting_count(store)
    return result


def set_aside_count(store: Store) -> int:
    """Remote changes set aside here (partial index ix_applied_change_problem: cheap on any inbox)."""
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM applied_change WHERE problem IS NOT NULL").fetchone()[0]


def waiting_count(store: Store) -> int:
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM applied_change WHERE waiting_for IS NOT NULL").fetchone()[0]


def check_change(change: dict) -> None:
    """Refuse a change that is not in the wire format or that this database would refuse (before
    anything is written): the same model and value rules as the hub's (inspect_app/sync/protocol.py)."""
    try:
        wire = WireChange.model_validate(change)
        # Fixed width: the merge compares stamps as strings (db/clock.py).
        if not is_valid(wire.hlc):
            raise SyncFormatError("hlc is not millis(13 digits).counter(5 digits).device_id")
        if any(seen and not is_valid(seen) for seen in (wire.base or {}).values()):
            raise SyncFormatError("a base is not a stamp")
    except (ValidationError, ValueError) as exc:
        raise SyncFormatError(f"malformed change: {exc}") from exc
    problem = value_problem(wire.table, wire.op, wire.row_id, wire.payload)
    if problem:  # refused here, not by SQLite halfway through the page
        raise SyncFormatError(f"{problem.code}: {problem.message}")


def _is_seq(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63  # SQLite's 64 bits


def change_key(change: object) -> tuple[str, int] | None:
    """(origin device, device_seq) of a change, the inbox key; None when it does not name them."""
    if not isinstance(change, dict):
        return None
    origin, seq = change.get("device_id"), change.get("device_seq")
    if not isinstance(origin, str) or not 0 < len(origin) <= 64 or not _is_seq(seq):
        return None
    return origin, seq


def format_problem(change: dict) -> str | None:
    """None for a change in the wire format, else why not (`check_change`'s reason)."""
    try:
        check_change(change)
    except SyncFormatError as exc:
        return str(exc)
    return None


def problem_of(exc: Exception) -> str | None:
    """`kind: detail` when `exc` refuses this change's values (the change is set aside); None when
    it is the database's own failure (locked, full, damaged: the page fails and is pulled again).

    Kinds (translated in the TUI, `tui.sync.set_aside_<kind>`): unique, not_null, foreign_key,
    check, integrity, value."""
    if isinstance(exc, IntegrityError):
        detail = str(exc.orig)
        for marker, kind in (("UNIQUE", "unique"), ("NOT NULL", "not_null"), ("FOREIGN KEY", "foreign_key"),
                             ("CHECK", "check")):
            if marker in detail:
                return f"{kind}: {detail}"
        return f"integrity: {detail}"
    if isinstance(exc, DBAPIError):
        # Binding a value SQLite cannot store is the change's fault; anything else is the database's.
        return f"value: {exc.orig}" if isinstance(exc, (DataError, InterfaceError, ProgrammingError)) else None
    if isinstance(exc, StatementError):  # a column type refused the value before SQLite saw it
        return f"value: {exc.orig}"
    if isinstance(exc, (ValueError, TypeError, KeyError, OverflowError)):  # decoding (dates, base64)
        return f"value: {exc}"
    return None


# --- values between JSON and the columns --------------------------------------------------------


def _zoned_datetime(value: str) -> datetime:
    """Every device writes date-times with their zone; one without is read differently on each
    device (local or UTC), so it is refused (the change is set aside)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"a date-time without a time zone: {value!r}")
    return parsed


@cache
def _decoders(table: Table, zoned: bool) -> dict:
    decoders = {}
    for column in table.columns:
        kind = getattr(column.type, "impl", column.type)  # a TypeDecorator stores as its `impl`
        if isinstance(kind, DateTime):
            decoders[column.name] = _zoned_datetime if zoned else datetime.fromisoformat
        elif isinstance(kind, Date):
            decoders[column.name] = date.fromisoformat
        elif isinstance(kind, LargeBinary):
            decoders[column.name] = lambda v: base64.b64decode(v["base64"])
    return decoders


def decode(table: Table, payload: dict, *, zoned: bool = False) -> dict:
    """Payload values as the columns take them; `zoned`: a date-time must carry its zone (a remote
    change; a conflict's stored losing value is UTC without one)."""
    decoders = _decoders(table, zoned)
    return {name: (decoders[name](value) if value is not None and name in decoders else value)
            for name, value in payload.items()}


def canonical_json(value: object) -> str:
    """One spelling of a value on every device, whether it came from a payload or a stored row."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return json.dumps(json_value(value), ensure_ascii=False, sort_keys=True)


# --- the merge ----------------------------------------------------------------------------------
# Statements are built once and given their values at execution: building a statement per change
# (`.values(...)`) cost more than running it (a first sync applies tens of thousands of changes).

INBOX = AppliedChange.__table__
INBOX_KEY = (INBOX.c.origin_device == bindparam("origin")) & (INBOX.c.device_seq == bindparam("seq"))
SEEN_BEFORE = select(INBOX.c.hlc, INBOX.c.problem).where(INBOX_KEY)
FORGET = INBOX.delete().where(INBOX_KEY)
WAIT = update(INBOX).where(INBOX_KEY).values(waiting_for=bindparam("missing"))
WAITING_FOR = select(INBOX.c.origin_device, INBOX.c.device_seq, INBOX.c.table_name, INBOX.c.row_id, INBOX.c.op,
                     INBOX.c.hlc, INBOX.c.payload, INBOX.c.base).where(INBOX.c.waiting_for == bindparam("row_id"))


@cache
def _not_null(table: Table) -> frozenset[str]:
    return frozenset(column.name for column in table.columns if not column.nullable)


@cache
def _row_by_id(table: Table):
    return select(table).where(table.c.id == bindparam("row_id"))


@cache
def _exists(table: Table):
    return select(table.c.id).where(table.c.id == bindparam("row_id"))



class Merge:
    def __init__(self, conn, store: Store, result: ApplyResult):
        self.conn = conn
        self.store = store
        self.result = result
        self.conflicts = SYNCED_TABLES["conflict"].__table__
        # A stamp further ahead of this device's (corrected) time than this is set aside, not observed.
        self.ahead_limit_ms = store.clock.wall_ms() + MAX_SKEW_MS

    def receive(self, change: dict) -> None:
        key = change_key(change)
        if key is None:  # nothing to key it by in the inbox: it cannot be kept, only reported
            log.warning("skipped a remote change that names no device and sequence: %.300r", change)
            self.result.skipped += 1
            return
        origin, seq = key
        if origin == self.store.device_id:
            self.result.own += 1
            return
        seen = self.conn.execute(SEEN_BEFORE, {"origin": origin, "seq": seq}).first()
        if seen is not None and not self._replaces_set_aside(seen, change):
            self.result.duplicates += 1
            return
        problem = format_problem(change)
        if problem is not None:
            self._set_aside_malformed(origin, seq, change, problem)
            return
        if self._too_far_ahead(change):
            self._set_aside_ahead(change)
            return
        self.store.clock.observe(change["hlc"])
        self.conn.execute(INBOX.insert(), {
            "origin_device": origin, "device_seq": seq, "hub_seq": change.get("seq"), "table_name": change["table"],
            "row_id": change["row_id"], "op": change["op"], "hlc": change["hlc"], "actor_id": change.get("actor_id"),
            "payload": change["payload"], "base": change.get("base") or {}, "applied_at": utc_now()})
        self.try_apply(origin, seq, change["table"], change["row_id"], change["op"], change["hlc"],
                       change["payload"], change.get("base") or {})

    def try_apply(self, origin: str, seq: int, table_name: str, row_id: str, op: str, stamp: str,
                  payload: dict, base: dict) -> None:
        """`apply` in a SAVEPOINT: when this device's database refuses the change, only the change
        is undone (values, field clocks, conflict rows, changes it released) and it is set aside."""
        counts = (self.result.applied, self.result.conflicts)
        # On the driver's connection, in the page's open transaction (the inbox row was written):
        # SQLAlchemy's begin_nested cost a quarter of a page's merge, this next to nothing.
        raw = self.conn.connection.driver_connection
        raw.execute("SAVEPOINT merge_change")
        try:
            self.apply(origin, seq, table_name, row_id, op, stamp, payload, base)
        except Exception as exc:
            problem = problem_of(exc)
            if problem is None:
                raise  # the database's own failure: the page's whole transaction is undone
            raw.execute("ROLLBACK TO merge_change")
            raw.execute("RELEASE merge_change")
            self.result.applied, self.result.conflicts = counts
            self._keep(origin, seq, problem)
        else:
            raw.execute("RELEASE merge_change")

    def _set_aside_malformed(self, origin: str, seq: int, change: dict, problem: str) -> None:
        """Kept whole (as received, in `payload`) under its key so it is visible, never applied.
        Its clock is not observed and no stamp is stored: a bad stamp must not move this clock."""
        def text(name: str, width: int) -> str:
            value = change.get(name)
            return value[:width] if isinstance(value, str) else ""

        self.conn.execute(INBOX.insert(), {
            "origin_device": origin, "device_seq": seq,
            "hub_seq": change.get("seq") if _is_seq(change.get("seq")) else None,
            "table_name": text("table", 40), "row_id": text("row_id", 36), "op": text("op", 10), "hlc": "",
            "actor_id": None, "payload": json.loads(json.dumps(change, default=repr)), "base": {},
            "applied_at": utc_now()})
        self._keep(origin, seq, f"format: {problem}")

    # --- stamps from the future (docs/SYNC.md, "Clocks") ------------------------------------------
    # Possible only through a bundle (the hub refuses them): observing one would move this device's
    # clock there for good, and the value would win every later edit. The change stays in the inbox
    # with its problem; when its writer re-stamps it (same device and sequence, another stamp), the
    # new version replaces it.

    def _too_far_ahead(self, change: dict) -> bool:
        stamps = [change["hlc"], *(s for s in (change.get("base") or {}).values() if isinstance(s, str))]
        return any(millis_of(stamp) > self.ahead_limit_ms for stamp in stamps)

    def _set_aside_ahead(self, change: dict) -> None:
        self.conn.execute(INBOX.insert(), {
            "origin_device": change["device_id"], "device_seq": int(change["device_seq"]), "hub_seq": change.get("seq"),
            "table_name": change["table"], "row_id": change["row_id"], "op": change["op"], "hlc": change["hlc"],
            "actor_id": change.get("actor_id"), "payload": change["payload"], "base": change.get("base") or {},
            "applied_at": utc_now(), "problem": CLOCK_AHEAD})
        self.result.kept += 1

    def _replaces_set_aside(self, seen, change: dict) -> bool:
        """A change set aside as too far ahead, now coming re-stamped: forget the old version."""
        if seen.problem != CLOCK_AHEAD or seen.hlc == change.get("hlc"):
            return False
        self.conn.execute(FORGET, {"origin": change["device_id"], "seq": int(change["device_seq"])})
        return True

    def apply(self, origin: str, seq: int, table_name: str, row_id: str, op: str, stamp: str,
              payload: dict, base: dict) -> None:
        table = SYNCED_TABLES[table_name].__table__
        empty = _not_null(table) & {name for name, value in payload.items() if value is None}
        if empty:  # refused before the merge, so a device where it would lose sets it aside too
            self._keep(origin, seq, f"not_null: {table_name}.{min(empty)} may not be empty")
            return
        values = decode(table, payload, zoned=True)
        row = self.conn.execute(_row_by_id(table), {"row_id": row_id}).mappings().first()
        if row is None and op != "insert":
            self._wait(origin, seq, row_id)
            return
        missing = self._missing_parent(table, values)
        if missing is not None:
            self._wait(origin, seq, missing)
            return
        if row is None:
            self._insert(origin, seq, table, {**values, "id": row_id})
        elif table_name in APPEND_ONLY_TABLES:
            # Inserted once, never updated: a second insert is the same fact, an update a mistake.
            if op != "insert":
                self._keep(origin, seq, f"append_only: {table_name} is append-only")
                return
        else:
            self._merge_fields(table, row, values, stamp, {} if op == "insert" else base)
        self.result.applied += 1

    def _insert(self, origin: str, seq: int, table: Table, values: dict) -> None:
        # A unique value another row already holds here (the same photo attached on two devices
        # offline), a NOT NULL column left empty …: the IntegrityError sets the change aside (try_apply).
        self.conn.execute(table.insert(), values)
        self._replay_waiting(values["id"])

    def _merge_fields(self, table: Table, row, values: dict, stamp: str, base: dict) -> None:
        table_name, row_id = table.name, row["id"]
        versions = row_versions.load(self.conn, table_name, row_id, row["hlc"])
        changed: dict[str, object] = {}
        for name, value in values.items():
            if name in STAMP_FIELDS or name == "id":
                continue
            current = versions.clock(name)
            if versions.record_write(name, None, base.get(name)):
                row_versions.drop_seen_conflicts(self.conn, table_name, row_id, name, versions.seen[name])
            seen = versions.seen.get(name, "")
            if stamp == current:
                continue  # the same write again
            if stamp > current:
                if current > seen:  # the value it replaces was not seen by any writer: it loses
                    self._conflict(table_name, row_id, name, row[name], current, stamp)
                self.conn.execute(update(self.conflicts).where(
                    (self.conflicts.c.table_name == table_name) & (self.conflicts.c.row_id == row_id)
                    & (self.conflicts.c.field == name) & (self.conflicts.c.winning_hlc < stamp)
                ).values(winning_hlc=stamp))
                versions.clocks[name] = stamp
                changed[name] = value
            elif stamp > seen:  # an older write nobody saw: kept as a losing value
                self._conflict(table_name, row_id, name, value, stamp, current)
        if stamp > row["hlc"]:
            changed |= {"hlc": stamp, "origin_device": parse(stamp)[2], "updated_at": utc_now()}
        if changed:
            self.conn.execute(update(table).where(table.c.id == row_id).values(**changed))
        row_versions.save(self.conn, table_name, row_id, versions)

    def _conflict(self, table_name: str, row_id: str, field: str, losing_value: object, losing_hlc: str,
                  winning_hlc: str) -> None:
        row_id_of_conflict = conflict_id(table_name, row_id, field, losing_hlc)
        created = datetime.fromtimestamp(parse(losing_hlc)[0] / 1000, UTC)
        statement = sqlite_insert(self.conflicts).values(
            id=row_id_of_conflict, hlc=losing_hlc, origin_device=parse(losing_hlc)[2], deleted=False,
            created_at=created, updated_at=created, table_name=table_name, row_id=row_id, field=field,
            losing_value=canonical_json(losing_value), losing_hlc=losing_hlc, winning_hlc=winning_hlc,
            resolved=False)
        # The same conflict found again (or found by another device first): keep the newest winner.
        self.conn.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={"winning_hlc": text("max(winning_hlc, excluded.winning_hlc)")}))
        self.result.conflicts += 1
        self._replay_waiting(row_id_of_conflict)  # a `resolved` edit from elsewhere may wait for it

    def _missing_parent(self, table: Table, values: dict) -> str | None:
        for fk in table.foreign_keys:
            parent_id = values.get(fk.parent.name)
            if parent_id is None:
                continue
            parent = fk.column.table
            if self.conn.execute(_exists(parent), {"row_id": parent_id}).first() is None:
                return parent_id
        return None

    def _wait(self, origin: str, seq: int, missing_id: str) -> None:
        self.conn.execute(WAIT, {"origin": origin, "seq": seq, "missing": missing_id})

    def _keep(self, origin: str, seq: int, problem: str) -> None:
        self.conn.execute(update(INBOX).where(INBOX_KEY).values(problem=bindparam("problem")),
                          {"origin": origin, "seq": seq, "problem": problem})
        self.result.kept += 1

    def _replay_waiting(self, row_id: str) -> None:
        waiting = self.conn.execute(WAITING_FOR, {"row_id": row_id}).all()
        for origin, seq, table_name, change_row_id, op, stamp, payload, base in sorted(waiting, key=lambda w: w.hlc):
            self.conn.execute(WAIT, {"origin": origin, "seq": seq, "missing": None})
            self.try_apply(origin, seq, table_name, change_row_id, op, stamp, payload, base or {})
