"""What the service (送达) of issued documents reads (inspect_app/services/notice_service.py): the
live documents with their latest service, and one document's services.

Plain SQL on a `Store.read_connection()` connection (or any sqlite3 connection to the store: the
overview passes its own), rows as tuples in the order the service builds its `NoticeRow` from.
"""

from __future__ import annotations

import json
import sqlite3

# Live documents not superseded by a newer revision, each with its latest live service (by clock).
_NOTICES_SQL = """
SELECT n.id, n.number, n.kind, n.park_id, p.code, coalesce(t.name, p.name), n.issued_at,
       s.id, s.method, s.recipient, s.served_on, s.refused, s.witness, s.note
FROM notice n
JOIN park p ON p.id = n.park_id
LEFT JOIN tenant t ON t.id = n.tenant_id
LEFT JOIN notice_service s ON s.id = (SELECT x.id FROM notice_service x WHERE x.notice_id = n.id AND x.deleted = 0
                                      ORDER BY x.hlc DESC, x.id DESC LIMIT 1)
WHERE n.deleted = 0 AND NOT EXISTS (SELECT 1 FROM notice m WHERE m.supersedes_id = n.id AND m.deleted = 0)
"""

def notices_with_service(conn: sqlite3.Connection, *, park_id: str | None = None, inspection_id: str | None = None,
                         numbers: list[str] | None = None) -> list[tuple]:
    """Live, not superseded documents (of one park, one inspection, these numbers: each given
    filter applies), newest first, each with its latest service: (notice id, number, kind, park id,
    park code, addressee, issued_at, service id, method, recipient, served_on, refused, witness,
    note), the service's values None for a document never served."""
    where, params = "", []
    if park_id:
        where, params = f"{where} AND n.park_id = ?", [*params, park_id]
    if inspection_id:
        where, params = f"{where} AND n.inspection_id = ?", [*params, inspection_id]
    if numbers is not None:
        where, params = f"{where} AND n.number IN (SELECT value FROM json_each(?))", [*params, json.dumps(numbers)]
    return conn.execute(f"{_NOTICES_SQL} {where} ORDER BY n.issued_at DESC, n.number", params).fetchall()


def services_of(conn: sqlite3.Connection, notice_id: str) -> list[tuple]:
    """(id, method, recipient, served_on, refused, witness, note) of every live service recorded for
    a document, the latest (by clock) first."""
    return conn.execute("SELECT id, method, recipient, served_on, refused, witness, note FROM notice_service "
                        "WHERE notice_id = ? AND deleted = 0 ORDER BY hlc DESC, id DESC", (notice_id,)).fetchall()
