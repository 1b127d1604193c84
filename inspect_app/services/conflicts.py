"""Conflicts and refused changes for review (docs/SYNC.md).

A conflict row keeps a value that lost a concurrent edit. Restoring it is an ordinary edit of
the record (an ORM write: change log, field clocks, audit event): its `base` covers the losing
write, so the flush hook settles (removes) the conflict here, and every device removes its copy
when the edit arrives. Dismissing marks the conflict resolved (also an ordinary, synced update).
The rows are read by db/conflict_queries.py; this module puts them in words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from db import conflict_queries as queries
from db.clock import parse
from db.errors import UserError
from db.models import SYNCED_TABLES, Conflict
from db.store import Store
from forms import china_time
from forms.i18n import catalogue, current_language, t
from inspect_app.services.field_labels import field_label
from inspect_app.sync.apply import decode

TEXT_WIDTH = 40


@dataclass(frozen=True)
class ConflictView:
    id: str
    table_name: str
    row_id: str
    field: str
    record: str  # the record in words: "企业 绿源科技"
    field_label: str
    losing: str  # the value that lost, as shown
    current: str  # the value the record has now, as shown
    source: str  # who wrote the losing value (inspector or device)
    written_at: datetime | None  # when (local time)


@dataclass(frozen=True)
class RejectedView:
    device_seq: int
    rejected_at: datetime | None
    record: str
    what: str  # the kind of change: added / changed / deleted
    reason: str


@dataclass(frozen=True)
class SetAsideView:
    origin_device: str
    device_seq: int
    received_at: datetime | None
    record: str
    what: str  # the kind of change: added / changed / deleted
    reason: str  # in words where the kind of refusal is known, with the database's detail


def unresolved_conflicts(store: Store) -> list[ConflictView]:
    with store.read_connection() as conn:
        views = []
        for c in queries.unresolved_conflicts(conn):
            current = _current_value(conn, c.table_name, c.row_id, c.field)
            views.append(ConflictView(
                c.id, c.table_name, c.row_id, c.field, describe(conn, c.table_name, c.row_id),
                field_label(c.table_name, c.field), show_value(c.field, _json(c.losing_value)),
                show_value(c.field, current), _writer(conn, c.losing_hlc), _stamp_time(c.losing_hlc)))
    return views


def restore_losing_value(store: Store, conflict_id: str) -> None:
    """Write the losing value back into its record (an ordinary edit; settles the conflict)."""
    with store.transaction() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None or conflict.resolved or conflict.deleted:
            raise UserError("tui.sync.conflict_gone")
        model = SYNCED_TABLES.get(conflict.table_name)
        row = session.get(model, conflict.row_id) if model is not None else None
        if row is None or conflict.field not in model.__table__.columns:
            raise UserError("tui.sync.conflict_gone")
        value = decode(model.__table__, {conflict.field: _json(conflict.losing_value)})[conflict.field]
        if getattr(row, conflict.field) == value:
            conflict.resolved = True  # nothing to write: the record already has that value
        else:
            # The flush hook settles the conflict: this edit's base covers the losing stamp. (Not
            # marked resolved as well: the hook removes unresolved rows only, here and elsewhere.)
            if isinstance(value, datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)  # kept in UTC without its zone; a change must carry one
            setattr(row, conflict.field, value)


def dismiss_conflict(store: Store, conflict_id: str) -> None:
    """Keep the current value: the conflict is marked resolved."""
    with store.transaction() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None or conflict.resolved or conflict.deleted:
            raise UserError("tui.sync.conflict_gone")
        conflict.resolved = True


def rejected_changes(store: Store) -> list[RejectedView]:
    with store.read_connection() as conn:
        views = []
        for rejected in queries.rejected_changes(conn):
            change = _json(rejected.change) or {}
            table_name, row_id = change.get("table", ""), change.get("row_id", "")
            payload = change.get("payload") or {}
            record = describe(conn, table_name, row_id, payload) if table_name else "-"
            what = t(f"tui.sync.op_{change.get('op')}") if change.get("op") in ("insert", "update", "delete") else "-"
            reason_key = f"tui.sync.reason_{rejected.code}"
            reason = (t(reason_key, detail=rejected.message) if reason_key in catalogue(current_language())
                      else f"{rejected.code}: {rejected.message}")
            views.append(RejectedView(rejected.device_seq, _utc_text_to_local(rejected.rejected_at), record, what, reason))
    return views


def set_aside_changes(store: Store) -> list[SetAsideView]:
    """Received changes this device could not apply (docs/SYNC.md, "Set aside"), newest first."""
    with store.read_connection() as conn:
        views = []
        for row in queries.set_aside_changes(conn):
            table_name, row_id, op = row.table_name, row.row_id, row.op
            payload = _json(row.payload) or {}
            if isinstance(payload.get("payload"), dict):  # a malformed change is kept whole
                payload = payload["payload"]
            record = describe(conn, table_name, row_id, payload) if table_name else "-"
            what = t(f"tui.sync.op_{op}") if op in ("insert", "update", "delete") else "-"
            views.append(SetAsideView(row.origin_device, row.device_seq, _utc_text_to_local(row.received_at), record,
                                      what, set_aside_reason(row.problem)))
    return views


def set_aside_reason(problem: str) -> str:
    """"unique: UNIQUE constraint failed: …" in words: the most specific known kind (a format
    refusal may name one after "format: "), then the detail as the database gave it."""
    parts = [part.strip() for part in problem.split(":")]
    words = catalogue(current_language())
    for kind in reversed(parts[:2]):
        key = f"tui.sync.set_aside_{kind}"
        if key in words:
            rest = problem.split(":", parts.index(kind) + 1)
            detail = rest[-1].strip() if len(rest) > parts.index(kind) + 1 else ""
            return t("tui.sync.set_aside_reason", reason=t(key), detail=detail) if detail else t(key)
    return problem


# --- words for records, fields and values ---------------------------------------------------------

PAYLOAD_NAMES = ("name", "number", "description", "location", "item_code", "original_name")


def describe(conn, table_name: str, row_id: str, payload: dict | None = None) -> str:
    """"企业 绿源科技": the kind of record and its name (from the row, else from the change's payload)."""
    kind = t(f"tui.sync.table_{table_name}") if f"tui.sync.table_{table_name}" in catalogue(current_language()) \
        else table_name
    name = queries.record_name(conn, table_name, row_id)
    if not name and payload:
        name = next((str(payload[k]) for k in PAYLOAD_NAMES if payload.get(k)), None)
    return f"{kind} {_short(name or row_id[:8])}"


def show_value(field: str, value: object) -> str:
    if value is None or value == "" or value == []:
        return t("tui.sync.empty_value")
    if isinstance(value, bool):
        return t("tui.sync.yes") if value else t("tui.sync.no")
    if isinstance(value, list):
        return _short("、".join(_choice(field, item) for item in value))
    return _short(_choice(field, value))


def _choice(field: str, value: object) -> str:
    messages = catalogue(current_language())
    key = f"choices.{field}.{value}"
    if field == "risk_points":
        key = f"choices.risk_point.{value}"
    return messages.get(key, str(value))


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= TEXT_WIDTH else text[:TEXT_WIDTH - 1] + "…"


# --- helpers --------------------------------------------------------------------------------------


def _json(value):
    if value is None:
        return None
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _current_value(conn, table_name: str, row_id: str, field: str):

    found, value = queries.stored_value(conn, table_name, row_id, field)
    if not found:
        return None
    kind = SYNCED_TABLES[table_name].__table__.columns[field].type
    if value is not None and kind.__class__.__name__ in ("JSON",):
        value = _json(value)
    if value is not None and kind.__class__.__name__ == "Boolean":
        value = bool(value)
    return value


def _writer(conn, stamp: str) -> str:
    """Who wrote a value: the inspector of the change that carried it, else the device."""
    name = queries.writer_name(conn, stamp)
    if name:
        return name
    try:
        device = parse(stamp)[2]
    except ValueError:
        return "-"
    return t("tui.sync.device", device=device[:8])


def _stamp_time(stamp: str) -> datetime | None:
    try:
        return china_time.local(datetime.fromtimestamp(parse(stamp)[0] / 1000, tz=UTC))
    except (ValueError, OverflowError, OSError):
        return None


def _utc_text_to_local(stored) -> datetime | None:
    try:
        return china_time.local(datetime.fromisoformat(str(stored))) if stored else None
    except ValueError:
        return None
