"""What the conflicts screens read (inspect_app/services/conflicts.py): conflicts kept from concurrent
edits, changes the hub refused, received changes set aside, and a name for the record each concerns.

Plain SQL on a `Store.read_connection()` connection; rows come back as stored (JSON as text). The
service decodes them and puts them in words.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from db.models import SYNCED_TABLES


@dataclass(frozen=True)
class ConflictRow:
    id: str
    table_name: str
    row_id: str
    field: str
    losing_value: str | None  # JSON
    losing_hlc: str


@dataclass(frozen=True)
class RejectedRow:
    device_seq: int
    code: str
    message: str
    change: str | None  # the change as pushed (JSON)
    rejected_at: str | None


@dataclass(frozen=True)
class SetAsideRow:
    origin_device: str
    device_seq: int
    table_name: str | None
    row_id: str | None
    op: str | None
    payload: str | None  # JSON; a malformed change is kept whole
    problem: str
    received_at: str | None


def unresolved_conflicts(conn: sqlite3.Connection) -> list[ConflictRow]:
    """Conflicts not yet restored or dismissed, the newest losing write first."""
    return [ConflictRow(*row) for row in conn.execute(
        "SELECT id, table_name, row_id, field, losing_value, losing_hlc FROM conflict "
        "WHERE resolved = 0 AND deleted = 0 ORDER BY losing_hlc DESC")]


def rejected_changes(conn: sqlite3.Connection) -> list[RejectedRow]:
    """Changes of this device the hub refused, the latest first."""
    return [RejectedRow(*row) for row in conn.execute(
        "SELECT device_seq, code, message, change, rejected_at FROM rejected_change ORDER BY device_seq DESC")]


def set_aside_changes(conn: sqlite3.Connection) -> list[SetAsideRow]:
    """Received changes this device could not apply (docs/SYNC.md, "Set aside"), newest first."""
    return [SetAsideRow(*row) for row in conn.execute(
        "SELECT origin_device, device_seq, table_name, row_id, op, payload, problem, applied_at "
        "FROM applied_change WHERE problem IS NOT NULL ORDER BY applied_at DESC, origin_device, device_seq")]


# Per table: the SQL giving a name for the record, parents' names included where the row has none.
NAMES = {
    "park": "SELECT name FROM park WHERE id = ?",
    "building": "SELECT b.name || '（' || p.name || '）' FROM building b JOIN park p ON p.id = b.park_id WHERE b.id = ?",
    "tenant": "SELECT name FROM tenant WHERE id = ?",
    "inspector": "SELECT name FROM inspector WHERE id = ?",
    "inspection": "SELECT coalesce(tn.name, p.name) || ' ' || substr(i.started_at, 1, 10) FROM inspection i "
                  "JOIN park p ON p.id = i.park_id LEFT JOIN tenant tn ON tn.id = i.tenant_id WHERE i.id = ?",
    "check_result": "SELECT coalesce(tn.name, p.name) || ' ' || c.item_code FROM check_result c "
                    "JOIN inspection i ON i.id = c.inspection_id JOIN park p ON p.id = i.park_id "
                    "LEFT JOIN tenant tn ON tn.id = i.tenant_id WHERE c.id = ?",
    "hazard": "SELECT location || ' ' || description FROM hazard WHERE id = ?",
    "rectification_item": "SELECT h.location || ' ' || h.description FROM rectification_item r "
                          "JOIN hazard h ON h.id = r.hazard_id WHERE r.id = ?",
    "reinspection": "SELECT h.location || ' ' || h.description FROM reinspection x "
                    "JOIN rectification_item r ON r.id = x.rectification_item_id JOIN hazard h ON h.id = r.hazard_id "
                    "WHERE x.id = ?",
    "notice": "SELECT number FROM notice WHERE id = ?",
    "quarterly_report": "SELECT tn.name || ' ' || q.year || 'Q' || q.quarter FROM quarterly_report q "
                        "JOIN tenant tn ON tn.id = q.tenant_id WHERE q.id = ?",
    "attachment": "SELECT coalesce(original_name, substr(sha256, 1, 12)) FROM attachment WHERE id = ?",
    "attachment_link": "SELECT coalesce(caption, substr(attachment_sha256, 1, 12)) FROM attachment_link WHERE id = ?",
}


def record_name(conn: sqlite3.Connection, table_name: str, row_id: str) -> str | None:
    """The record's name ("绿源科技", "3号楼（平湖园）"), or None for a table without one or a row not here."""
    if table_name not in NAMES:
        return None
    row = conn.execute(NAMES[table_name], (row_id,)).fetchone()
    return row[0] if row else None


def stored_value(conn: sqlite3.Connection, table_name: str, row_id: str, field: str) -> tuple[bool, object]:
    """(found, the field's value as stored) of a synced row. The table and field are checked against
    the synced tables' columns before they go into the SQL (they come from a received change)."""
    model = SYNCED_TABLES.get(table_name)
    if model is None or field not in model.__table__.columns:
        return False, None
    row = conn.execute(f'SELECT "{field}" FROM "{table_name}" WHERE id = ?', (row_id,)).fetchone()
    return (True, row[0]) if row is not None else (False, None)


def writer_name(conn: sqlite3.Connection, stamp: str) -> str | None:
    """The name of the inspector whose change carried the stamp (received or this device's own), if known."""
    row = conn.execute("SELECT actor_id FROM applied_change WHERE hlc = ? UNION ALL "
                       "SELECT actor_id FROM change_log WHERE hlc = ? LIMIT 1", (stamp, stamp)).fetchone()
    if not row or not row[0]:
        return None
    name = conn.execute("SELECT name FROM inspector WHERE id = ?", (row[0],)).fetchone()
    return name[0] if name else None
