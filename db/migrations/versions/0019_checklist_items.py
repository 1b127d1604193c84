"""checklist_items: a check result names its item (checklist_item) instead of carrying a copy of it

Every check result, and the change that carried its insert, held a copy of its template item (code,
category, text, severity, whether it may be major): 31 copies per inspection, most of the change
log and of the hub's. `checklist_item` holds each distinct item once, named by its content
(db/checklist_items.py: a uuid5 of template, version, code and every copied value), and
`check_result.checklist_item_id` names it.

Here: the table is made; each existing result's copy becomes (or finds) its item, the result names
it and its copy is emptied (the columns stay, nullable: a device not yet migrated still sends
results with a copy, and every reader takes the copy when a row has one). The items made here are
queued in the outbox as this device's inserts (stamped now), so the hub holds every item a result
of this device may name later; the hub takes an item it holds already as the same fact. Results
keep their own field clocks: emptying the copy is not a change of the record (the hub and other
devices keep theirs, which reads the same).

Revision ID: 0019_checklist_items
Revises: 0018_tenant_flags
Create Date: 2026-12-20
"""

import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from db.checklist_items import item_id

revision: str = "0019_checklist_items"
down_revision: str | None = "0018_tenant_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("category", "item_text", "default_severity", "major_possible")
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def upgrade() -> None:
    op.create_table(
        "checklist_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("template_id", sa.String(length=60), nullable=False),
        sa.Column("template_version", sa.String(length=20), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("item_text", sa.String(length=500), nullable=False),
        sa.Column("default_severity", sa.String(length=10), nullable=False),
        sa.Column("major_possible", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_checklist_item_hlc", "checklist_item", ["hlc"])
    conn = op.get_bind()
    _copies_nullable(conn)
    # ADD COLUMN keeps the rows as they are (alembic would copy the table to add the reference).
    conn.exec_driver_sql("ALTER TABLE check_result ADD COLUMN checklist_item_id VARCHAR(36) "
                         "REFERENCES checklist_item (id)")
    made = _items(conn)
    if made:
        _queue(conn, made)
    # One pass over the results: each names its item (found by its content) and drops its copy.
    conn.exec_driver_sql(
        "CREATE TEMP TABLE checklist_item_key (template_id, template_version, item_code, category, item_text, "
        "default_severity, major_possible, id, PRIMARY KEY (template_id, template_version, item_code, category, "
        "item_text, default_severity, major_possible)) WITHOUT ROWID")
    conn.exec_driver_sql(
        "INSERT INTO checklist_item_key SELECT template_id, template_version, item_code, category, item_text, "
        "default_severity, major_possible, id FROM checklist_item")
    conn.exec_driver_sql(
        "UPDATE check_result SET checklist_item_id = k.id, category = NULL, item_text = NULL, "
        "default_severity = NULL, major_possible = NULL "
        "FROM inspection AS i, checklist_item_key AS k "
        "WHERE i.id = check_result.inspection_id AND check_result.item_text IS NOT NULL "
        "AND k.template_id = i.template_id AND k.template_version = i.template_version "
        "AND k.item_code = check_result.item_code AND k.category = check_result.category "
        "AND k.item_text = check_result.item_text AND k.default_severity = check_result.default_severity "
        "AND k.major_possible = check_result.major_possible")
    conn.exec_driver_sql("DROP TABLE checklist_item_key")


def _copies_nullable(conn) -> None:
    """Drop NOT NULL from the copied columns in place (SQLite's documented procedure for removing a
    NOT NULL constraint: the stored rows need no change). Copying the table instead cannot work
    inside one transaction: dropping the old table trips the hazards' foreign keys to it, and
    `PRAGMA foreign_keys` cannot be turned off in a transaction (db/migrations/env.py)."""
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'check_result'").scalar()
    for name in COPIED:
        sql, count = re.subn(rf"(\n\s*{name} [A-Z]+(?:\(\d+\))?) NOT NULL,", r"\1,", sql)
        if count != 1:
            raise RuntimeError(f"check_result.{name}: not the column 0001 made")
    _set_schema(conn, sql)


def _set_schema(conn, sql: str) -> None:
    """check_result's CREATE TABLE replaced by `sql` (a change of constraints only)."""
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'check_result'", (sql,))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def _items(conn) -> list[dict]:
    """Insert an item for each distinct copy the results hold; return the rows inserted."""
    copies = conn.exec_driver_sql(
        "SELECT DISTINCT i.template_id, i.template_version, c.item_code, c.category, c.item_text, "
        "c.default_severity, c.major_possible FROM check_result AS c JOIN inspection AS i ON i.id = c.inspection_id "
        "WHERE c.item_text IS NOT NULL").all()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")  # as the ORM writes a DateTime
    rows = {}
    for template_id, version, code, category, text, severity, major in copies:
        key = item_id(template_id, version, code, category, text, severity, bool(major))
        rows[key] = {"id": key, "hlc": "", "origin_device": "", "deleted": False, "created_at": now,
                     "updated_at": now, "template_id": template_id, "template_version": version, "item_code": code,
                     "category": category, "item_text": text, "default_severity": severity,
                     "major_possible": bool(major)}
    if rows:
        table = sa.table("checklist_item", *(sa.column(name) for name in next(iter(rows.values()))))
        conn.execute(table.insert(), list(rows.values()))
    return list(rows.values())


def _queue(conn, rows: list[dict]) -> None:
    """Each item as this device's insert in the outbox, stamped after every stamp this file holds."""
    device = conn.exec_driver_sql("SELECT value FROM local_setting WHERE key = 'device_id'").scalar()
    if device is None:  # no identity yet: nothing was ever synced from here; Store.open makes one
        return
    newest = 0
    for query in ("SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1",
                  "SELECT max(CAST(substr(hlc, 1, 13) AS INTEGER)) FROM applied_change"):
        value = conn.exec_driver_sql(query).scalar()
        if isinstance(value, str) and value[:13].isdigit():
            newest = max(newest, int(value[:13]))
        elif isinstance(value, int):
            newest = max(newest, value)
    millis = max(int(time.time() * 1000), newest + 1)
    entries = []
    for number, row in enumerate(rows):
        stamp = f"{millis + number // 100_000:013d}.{number % 100_000:05d}.{device}"
        created = row["created_at"].replace(" ", "T") + "+00:00"
        payload = {**row, "hlc": stamp, "origin_device": device, "created_at": created, "updated_at": created}
        entries.append({"table_name": "checklist_item", "row_id": row["id"], "op": "insert", "hlc": stamp,
                        "device_id": device, "payload": json.dumps(payload, ensure_ascii=False),
                        "created_at": row["created_at"]})
        conn.exec_driver_sql("UPDATE checklist_item SET hlc = ?, origin_device = ? WHERE id = ?",
                             (stamp, device, row["id"]))
    table = sa.table("change_log", *(sa.column(name) for name in entries[0]))
    conn.execute(table.insert(), entries)


def downgrade() -> None:
    # Every result gets its copy back, then the columns their NOT NULL and the reference goes.
    conn = op.get_bind()
    conn.exec_driver_sql(
        "UPDATE check_result SET category = ci.category, item_text = ci.item_text, "
        "default_severity = ci.default_severity, major_possible = ci.major_possible "
        "FROM checklist_item AS ci WHERE ci.id = check_result.checklist_item_id AND check_result.item_text IS NULL")
    conn.exec_driver_sql(  # a result naming no item (none is written so, but NOT NULL must hold)
        "UPDATE check_result SET category = coalesce(category, ''), item_text = coalesce(item_text, ''), "
        "default_severity = coalesce(default_severity, 'general'), major_possible = coalesce(major_possible, 0) "
        "WHERE item_text IS NULL OR category IS NULL OR default_severity IS NULL OR major_possible IS NULL")
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'check_result'").scalar()
    for name in COPIED:
        sql, count = re.subn(rf"(\n\s*{name} [A-Z]+(?:\(\d+\))?),", r"\1 NOT NULL,", sql)
        if count != 1:
            raise RuntimeError(f"check_result.{name}: not the column 0019 left")
    sql = sql.replace(" REFERENCES checklist_item (id)", "")  # DROP COLUMN refuses a column with a reference
    _set_schema(conn, sql)
    conn.exec_driver_sql("ALTER TABLE check_result DROP COLUMN checklist_item_id")
    conn.exec_driver_sql("DELETE FROM change_log WHERE table_name = 'checklist_item'")
    op.drop_index("ix_checklist_item_hlc", table_name="checklist_item")
    op.drop_table("checklist_item")
