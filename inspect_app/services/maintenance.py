"""Health check of a database file (`parkinspect check`), reading it without changing it.

What it checks, and why:
- SQLite's own `integrity_check` and `foreign_key_check`: a damaged file or a dangling reference.
- every issued notice still hashes to the sha256 stored when it was issued (content JSON and PDF):
  a notice is a legal document, so a changed byte must show.
- the schema is at the newest migration: an old file would be migrated on the next start.
- every tenant has a change-log entry: every write is logged in its transaction, so a tenant
  without one was written around the store and would never reach the hub.
- the per-park totals kept by triggers (tenants and unclosed hazards, read by the park list and
  the overview; quarterly figures, read by the overview) equal a fresh count and sum: a
  difference would put wrong figures in front of a bureau.

The file is opened read-only through a `file:...?mode=ro` URI, and Alembic is not touched.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from db.migrations import HEAD_REVISION
from forms.i18n import t

COUNTED_TABLES = {  # counts key -> SQL; live rows for synced tables, every entry of the outbox
    "parks": "SELECT count(*) FROM park WHERE deleted = 0",
    "tenants": "SELECT count(*) FROM tenant WHERE deleted = 0",
    "hazards": "SELECT count(*) FROM hazard WHERE deleted = 0",
    "notices": "SELECT count(*) FROM notice WHERE deleted = 0",
    "changes": "SELECT count(*) FROM change_log",
}
MAX_LISTED = 20  # per kind of problem; past that one line says how many more


def check_database(path: Path) -> dict:
    """{"ok": bool, "problems": [message, ...], "counts": {parks, tenants, hazards, notices, changes}}."""
    path = Path(path)
    if not path.is_file():
        return _report([t("maintenance.missing", db=path)], dict.fromkeys(COUNTED_TABLES, 0))
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as exc:
        return _report([t("maintenance.cannot_open", db=path, detail=exc)], dict.fromkeys(COUNTED_TABLES, 0))
    try:
        try:
            problems = _problems(conn)
        except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
            problems = [t("maintenance.cannot_read", db=path, detail=exc)]
        return _report(problems, _counts(conn))
    finally:
        conn.close()


def _report(problems: list[str], counts: dict[str, int]) -> dict:
    return {"ok": not problems, "problems": problems, "counts": counts}


def _open_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro: nothing this check does can write to the file, even by accident. A WAL file left by a
    # running app is still read, so the check sees what the app has committed. On a closed file
    # SQLite creates empty -wal/-shm companions that a read-only connection cannot remove; they are
    # harmless (the next read-write open uses and removes them), and deleting them ourselves could
    # race an app that opens the file meanwhile.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per kind; 0 for what cannot be counted (a damaged file, a missing table)."""
    counts = {}
    for key, sql in COUNTED_TABLES.items():
        try:
            counts[key] = conn.execute(sql).fetchone()[0]
        except sqlite3.Error:
            counts[key] = 0
    return counts


def _problems(conn: sqlite3.Connection) -> list[str]:
    problems = _integrity(conn)
    if problems:
        return problems  # a damaged file gives nonsense answers to the checks below
    problems += _schema(conn)
    if problems:
        return problems  # tables may be missing or different: the other checks would fail
    problems += _foreign_keys(conn)
    problems += _notice_hashes(conn)
    problems += _unlogged_tenants(conn)
    problems += _park_totals(conn)
    problems += _park_quarter_totals(conn)
    return problems


def _limited(messages: list[str]) -> list[str]:
    if len(messages) <= MAX_LISTED:
        return messages
    return [*messages[:MAX_LISTED], t("maintenance.more", count=len(messages) - MAX_LISTED)]


def _integrity(conn: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if rows == ["ok"]:
        return []
    return _limited([t("maintenance.integrity", detail=row) for row in rows])


def _schema(conn: sqlite3.Connection) -> list[str]:
    # The same question as db.migrations.current_revision, asked on this read-only connection.
    has_version = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    found = conn.execute("SELECT version_num FROM alembic_version").fetchone() if has_version else None
    revision = found[0] if found else None
    if revision == HEAD_REVISION:
        return []
    return [t("maintenance.schema_not_head", found=revision or t("common.none"), head=HEAD_REVISION)]


def _foreign_keys(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    return _limited(
        [
            t("maintenance.foreign_key", table=table, rowid=rowid, parent=parent)
            for table, rowid, parent, _ in rows
        ]
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _notice_hashes(conn: sqlite3.Connection) -> list[str]:
    problems = []
    rows = conn.execute(
        "SELECT number, content_json, content_sha256, pdf, pdf_sha256 FROM notice ORDER BY number"
    )
    for number, content_json, content_sha256, pdf, pdf_sha256 in rows:
        if _sha256((content_json or "").encode("utf-8")) != content_sha256:
            problems.append(t("maintenance.notice_content_hash", number=number))
        if pdf is not None and _sha256(pdf) != pdf_sha256:
            problems.append(t("maintenance.notice_pdf_hash", number=number))
    return _limited(problems)


def _unlogged_tenants(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name, credit_code FROM tenant AS t WHERE NOT EXISTS "
        "(SELECT 1 FROM change_log AS c WHERE c.table_name = 'tenant' AND c.row_id = t.id) "
        # or merged from another device (docs/SYNC.md): its insert is in the inbox
        "AND NOT EXISTS (SELECT 1 FROM applied_change AS a WHERE a.table_name = 'tenant' AND a.row_id = t.id) "
        # or loaded by a first sync (inspect_app/sync/snapshot.py): last written on another device
        "AND t.origin_device IN ('', (SELECT value FROM local_setting WHERE key = 'device_id')) "
        "ORDER BY name"
    ).fetchall()
    return _limited([t("maintenance.tenant_unlogged", name=name, credit_code=code) for name, code in rows])


FRESH_PARK_QUARTER_TOTALS = """
SELECT t.park_id, r.year, r.quarter, coalesce(sum(r.output_value_wan), 0), coalesce(sum(r.electricity_kwh), 0),
       coalesce(sum(r.tax_wan), 0), coalesce(sum(CASE WHEN t.scale = 'above' THEN r.output_value_wan END), 0),
       count(*)
FROM quarterly_report r JOIN tenant t ON t.id = r.tenant_id
WHERE r.deleted = 0 AND t.deleted = 0
GROUP BY t.park_id, r.year, r.quarter
"""
KEPT_PARK_QUARTER_TOTALS = ("SELECT park_id, year, quarter, output_wan, electricity_kwh, tax_wan, "
                            "above_output_wan, reports FROM park_quarter_total")


FRESH_PARK_TOTALS = """
SELECT park_id, sum(tenants), sum(area), sum(headcount), sum(above), sum(general), sum(major) FROM (
    SELECT park_id, count(*) AS tenants, coalesce(sum(rented_area_m2), 0) AS area,
           coalesce(sum(headcount), 0) AS headcount, sum(scale = 'above') AS above, 0 AS general, 0 AS major
    FROM tenant WHERE deleted = 0 AND status = 'in_park' GROUP BY park_id
    UNION ALL
    SELECT park_id, 0, 0, 0, 0, sum(severity != 'major'), sum(severity = 'major')
    FROM hazard WHERE deleted = 0 AND status IN ('open', 'pending_review', 'escalated') GROUP BY park_id
) GROUP BY park_id
"""
KEPT_PARK_TOTALS = ("SELECT park_id, tenants, rented_area_m2, headcount, above_tenants, unclosed_general, "
                    "unclosed_major FROM park_total")


def _park_totals(conn: sqlite3.Connection) -> list[str]:
    """A park with nothing to count may have a row of zeros (its last tenant left) or none."""
    fresh = {row[0]: row[1:] for row in conn.execute(FRESH_PARK_TOTALS)}
    kept = {row[0]: row[1:] for row in conn.execute(KEPT_PARK_TOTALS)}
    codes = dict(conn.execute("SELECT id, code FROM park"))
    problems = []
    for park in sorted(fresh.keys() | kept.keys()):
        want, got = fresh.get(park, (0,) * 6), kept.get(park, (0,) * 6)
        if not _same_figures(want, got):
            problems.append(t("maintenance.park_totals", park=codes.get(park, park),
                              kept=" / ".join(f"{v:g}" for v in got), actual=" / ".join(f"{v:g}" for v in want)))
    return _limited(problems)


def _same_figures(a: tuple, b: tuple) -> bool:
    """Counts (integers on both sides) exactly; sums (REAL columns) up to floating-point noise:
    the totals are kept by adding and taking away."""
    return all(x == y if isinstance(x, int) and isinstance(y, int)
               else abs(x - y) <= 1e-6 + 1e-9 * max(abs(x), abs(y)) for x, y in zip(a, b, strict=True))


def _park_quarter_totals(conn: sqlite3.Connection) -> list[str]:
    fresh = {row[:3]: row[3:] for row in conn.execute(FRESH_PARK_QUARTER_TOTALS)}
    kept = {row[:3]: row[3:] for row in conn.execute(KEPT_PARK_QUARTER_TOTALS)}
    codes = dict(conn.execute("SELECT id, code FROM park"))
    problems = []
    for key in sorted(fresh.keys() | kept.keys()):
        want, got = fresh.get(key, (0.0,) * 5 + (0,)), kept.get(key, (0.0,) * 5 + (0,))
        if not _same_figures(want, got):
            park, year, quarter = key
            problems.append(t("maintenance.park_quarter_totals", park=codes.get(park, park), year=year, quarter=quarter,
                              kept=f"{got[0]:g}", actual=f"{want[0]:g}", kept_reports=got[-1], reports=want[-1]))
    return _limited(problems)
