"""The change log (outbox) and audit trail, written by flush hooks so no code path can skip them.

Every session a `Store` hands out carries a `WriteContext` in `session.info`. Before each flush,
`record_changes` stamps every new or changed synced row with the next hybrid-clock value and this
device's id, and queues, for the same transaction:
- a `change_log` entry: table, row, op, the changed fields with their new values (all fields for
  an insert), the clock stamp, the device and the acting inspector — what sync pushes, and the
  record of who created what; for updates and tombstones also `base`, the clock of each changed
  field as this writer saw it, and the row's new field clocks (`row_version`, db/row_versions.py);
- for updates and tombstones of audited tables (and inserts of the inspection records), an
  `AuditEvent` with before/after values (itself a synced row, so it gets its own change-log entry).
After the flush, `write_change_log` inserts the queued entries with one executemany: at demo and
import scale, building an ORM object per log row cost more than the rows themselves.

Synced rows are never hard-deleted (set `deleted = True`); append-only rows are never updated.
Both are bugs, so they raise.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import event, inspect
from sqlmodel import Session

from db import row_versions
from db.clock import HybridClock
from db.models import (
    APPEND_ONLY_TABLES,
    AUDITED_INSERT_TABLES,
    AUDITED_TABLES,
    AuditEvent,
    ChangeLog,
    SyncColumns,
    utc_now,
)

STAMP_FIELDS = frozenset({"hlc", "origin_device", "updated_at", "created_at"})
PENDING = "pending_change_log"
PENDING_VERSIONS = "pending_row_versions"


class StoreWriteError(RuntimeError):
    """A programming error: a write that would break the sync contract."""


@dataclass
class WriteContext:
    clock: HybridClock
    actor_id: str | None = None

    @property
    def device_id(self) -> str:
        return self.clock.device_id


def json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


@cache
def _columns(cls: type) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(cls).column_attrs)


def row_values(obj: SyncColumns) -> dict[str, object]:
    return {name: json_value(getattr(obj, name)) for name in _columns(type(obj))}


def _changes(obj: SyncColumns) -> tuple[dict, dict]:
    """(before, after) of the columns this flush changes, stamps excluded."""
    state = inspect(obj)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for name in _columns(type(obj)):
        if name in STAMP_FIELDS:
            continue
        history = state.attrs[name].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                before[name], after[name] = json_value(old), json_value(new)
    return before, after


def _stamp(obj: SyncColumns, ctx: WriteContext) -> str:
    stamp = ctx.clock.tick()
    obj.hlc = stamp
    obj.origin_device = ctx.device_id
    obj.updated_at = utc_now()
    return stamp


def _queue(session: Session, ctx: WriteContext, obj: SyncColumns, op: str, payload: dict, stamp: str,
           base: dict | None = None) -> None:
    session.info.setdefault(PENDING, []).append({
        "table_name": obj.__tablename__, "row_id": obj.id, "op": op, "hlc": stamp,
        "device_id": ctx.device_id, "actor_id": ctx.actor_id, "payload": payload, "created_at": utc_now(),
        "base": base,
    })


def _field_clocks(session: Session, obj: SyncColumns, fields: dict) -> tuple[dict, row_versions.FieldClocks]:
    """The clock of each changed field as this writer saw it (the merge's `base`), and the row's clocks.

    One small read per updated row; `obj.hlc` is still the previous stamp here, which is the
    insert stamp when the row has no `row_version` entry (nothing updated it since its insert).
    """
    versions = row_versions.load(session.connection(), obj.__tablename__, obj.id, obj.hlc)
    return {name: versions.clock(name) for name in fields}, versions


def _advance_clocks(session: Session, obj: SyncColumns, versions: row_versions.FieldClocks,
                    base: dict, stamp: str) -> None:
    """Queue the row's new field clocks; a field's conflicts this writer saw are settled."""
    settled = [(name, seen) for name, seen in base.items() if versions.record_write(name, stamp, seen)]
    if not versions.stored:
        settled = []  # no entry yet: nothing was merged into this row, so it has no conflicts
    session.info.setdefault(PENDING_VERSIONS, []).append((obj.__tablename__, obj.id, versions, settled))


def _audit(session: Session, ctx: WriteContext, obj: SyncColumns, action: str,
           before: dict | None, after: dict) -> None:
    audit = AuditEvent(table_name=obj.__tablename__, row_id=obj.id, action=action, actor_id=ctx.actor_id,
                       before=before, after=after)
    stamp = _stamp(audit, ctx)
    _queue(session, ctx, audit, "insert", row_values(audit), stamp)
    session.add(audit)


@event.listens_for(Session, "before_flush")
def record_changes(session: Session, _flush_context, _instances) -> None:
    ctx: WriteContext | None = session.info.get("write_context")
    synced_new = [o for o in session.new if isinstance(o, SyncColumns)]
    synced_dirty = [o for o in session.dirty if isinstance(o, SyncColumns) and session.is_modified(o)]
    if any(isinstance(o, SyncColumns) for o in session.deleted):
        raise StoreWriteError("synced rows are soft-deleted (deleted = True), never hard-deleted")
    if not (synced_new or synced_dirty):
        return
    if ctx is None:
        raise StoreWriteError("writes to synced tables go through Store.transaction()")
    for obj in synced_new:
        stamp = _stamp(obj, ctx)
        values = row_values(obj)
        _queue(session, ctx, obj, "insert", values, stamp)
        if obj.__tablename__ in AUDITED_INSERT_TABLES:
            _audit(session, ctx, obj, "insert", None, {k: v for k, v in values.items() if k not in STAMP_FIELDS})
    for obj in synced_dirty:
        before, after = _changes(obj)
        if not after:
            continue
        if obj.__tablename__ in APPEND_ONLY_TABLES:
            raise StoreWriteError(f"{obj.__tablename__} rows are append-only")
        op = "delete" if after.get("deleted") is True else "update"
        base, versions = _field_clocks(session, obj, after)
        stamp = _stamp(obj, ctx)
        _queue(session, ctx, obj, op, {**after, "hlc": stamp, "origin_device": ctx.device_id}, stamp, base)
        _advance_clocks(session, obj, versions, base, stamp)
        if obj.__tablename__ in AUDITED_TABLES:
            _audit(session, ctx, obj, op, before, after)


@event.listens_for(Session, "after_flush")
def write_change_log(session: Session, _flush_context) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        session.connection().execute(ChangeLog.__table__.insert(), pending)
    pending_versions = session.info.pop(PENDING_VERSIONS, None)
    if pending_versions:
        connection = session.connection()
        row_versions.save_many(connection, [(table_name, row_id, versions)
                                            for table_name, row_id, versions, _ in pending_versions])
        for table_name, row_id, _, settled in pending_versions:
            for name, seen in settled:
                row_versions.drop_seen_conflicts(connection, table_name, row_id, name, seen)


@event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(PENDING_VERSIONS, None)
