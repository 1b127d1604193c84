"""What the review of possible duplicate tenants reads (inspect_app/services/duplicates.py): pairs
of live tenants of one park with the same credit code not both marked distinct, and what a person
compares of each.

Plain SQL on a `Store.read_connection()` connection; rows as tuples.
"""

from __future__ import annotations

import sqlite3

_PAIRS = """
SELECT a.park_id, p.name, a.credit_code, a.id, b.id
FROM tenant a
JOIN tenant b ON b.park_id = a.park_id AND b.credit_code = a.credit_code AND b.deleted = 0 AND b.id > a.id
JOIN park p ON p.id = a.park_id
WHERE a.deleted = 0
  AND NOT (coalesce(a.distinct_code, '') = a.credit_code AND coalesce(b.distinct_code, '') = b.credit_code)
"""


def duplicate_pairs(conn: sqlite3.Connection, park_id: str | None = None) -> list[tuple[str, str, str, str, str]]:
    """(park id, park name, credit code, tenant id, other tenant id) of each pair, by park name and code."""
    sql, values = _PAIRS, ()
    if park_id is not None:
        sql, values = _PAIRS + " AND a.park_id = ?", (park_id,)
    return conn.execute(sql + " ORDER BY p.name, a.credit_code, a.id, b.id", values).fetchall()


def tenant_facts(conn: sqlite3.Connection, tenant_id: str) -> tuple[str, str | None, str | None, str | None, int]:
    """(name, contact name, contact phone, created_at, live inspections) of one tenant."""
    name, contact_name, phone, created = conn.execute(
        "SELECT name, contact_name, contact_phone, created_at FROM tenant WHERE id = ?", (tenant_id,)).fetchone()
    inspections = conn.execute("SELECT count(*) FROM inspection WHERE tenant_id = ? AND deleted = 0",
                               (tenant_id,)).fetchone()[0]
    return name, contact_name, phone, created, inspections
