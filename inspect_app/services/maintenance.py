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
- every tenant's search key is the one its columns make (db/search_key.py), the name, deleted
  flag and status kept beside it are the tenant's, and the trigram
  index over the keys (`tenant_fts`) and the index of their one- and two-character pieces
  (`tenant_grams`) hold exactly the keys: a drifted key or index hides a tenant from the
  ledger's search.

The file is opened read-only and read by db/maintenance_queries.py; Alembic is not touched.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from db import maintenance_queries as queries
from db.maintenance_queries import COUNTED_TABLES
from db.migrations import HEAD_REVISION
from forms.i18n import t

MAX_LISTED = 20  # per kind of problem; past that one line says how many more


def check_database(path: Path) -> dict:
    """{"ok": bool, "problems": [message, ...], "counts": {parks, tenants, hazards, notices, changes}}."""
    path = Path(path)
    if not path.is_file():
        return _report([t("maintenance.missing", db=path)], dict.fromkeys(COUNTED_TABLES, 0))
    try:
        conn = queries.open_read_only(path)
    except sqlite3.Error as exc:
        return _report([t("maintenance.cannot_open", db=path, detail=exc)], dict.fromkeys(COUNTED_TABLES, 0))
    try:
        try:
            problems = _problems(conn)
        except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
            problems = [t("maintenance.cannot_read", db=path, detail=exc)]
        return _report(problems, queries.counts(conn))
    finally:
        conn.close()


def _report(problems: list[str], counts: dict[str, int]) -> dict:
    return {"ok": not problems, "problems": problems, "counts": counts}


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
    problems += _search_index(conn)
    problems += _derived_rows(conn)
    problems += _checklist_items(conn)
    return problems


def _limited(messages: list[str]) -> list[str]:
    if len(messages) <= MAX_LISTED:
        return messages
    return [*messages[:MAX_LISTED], t("maintenance.more", count=len(messages) - MAX_LISTED)]


def _integrity(conn: sqlite3.Connection) -> list[str]:
    rows = queries.integrity_messages(conn)
    if rows == ["ok"]:
        return []
    return _limited([t("maintenance.integrity", detail=row) for row in rows])


def _schema(conn: sqlite3.Connection) -> list[str]:
    revision = queries.schema_revision(conn)
    if revision == HEAD_REVISION:
        return []
    return [t("maintenance.schema_not_head", found=revision or t("common.none"), head=HEAD_REVISION)]


def _foreign_keys(conn: sqlite3.Connection) -> list[str]:
    return _limited([t("maintenance.foreign_key", table=table, rowid=rowid, parent=parent)
                     for table, rowid, parent in queries.dangling_references(conn)])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _notice_hashes(conn: sqlite3.Connection) -> list[str]:
    problems = []
    for notice in queries.issued_notices(conn):
        if _sha256((notice.content_json or "").encode("utf-8")) != notice.content_sha256:
            problems.append(t("maintenance.notice_content_hash", number=notice.number))
        if notice.pdf is not None and _sha256(notice.pdf) != notice.pdf_sha256:
            problems.append(t("maintenance.notice_pdf_hash", number=notice.number))
    return _limited(problems)


def _unlogged_tenants(conn: sqlite3.Connection) -> list[str]:
    rows = queries.unlogged_tenants(conn)
    return _limited([t("maintenance.tenant_unlogged", name=name, credit_code=code) for name, code in rows])


def _park_totals(conn: sqlite3.Connection) -> list[str]:
    """A park with nothing to count may have a row of zeros (its last tenant left) or none."""
    fresh, kept = queries.park_totals(conn)
    codes = queries.park_codes(conn)
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
    fresh, kept = queries.park_quarter_totals(conn)
    codes = queries.park_codes(conn)
    problems = []
    for key in sorted(fresh.keys() | kept.keys()):
        want, got = fresh.get(key, (0.0,) * 5 + (0,)), kept.get(key, (0.0,) * 5 + (0,))
        if not _same_figures(want, got):
            park, year, quarter = key
            problems.append(t("maintenance.park_quarter_totals", park=codes.get(park, park), year=year, quarter=quarter,
                              kept=f"{got[0]:g}", actual=f"{want[0]:g}", kept_reports=got[-1], reports=want[-1]))
    return _limited(problems)


def _search_index(conn: sqlite3.Connection) -> list[str]:
    problems = [t("maintenance.search_key", name=name, credit_code=code) for name, code in queries.stale_search_keys(conn)]
    orphans = queries.orphan_search_keys(conn)
    if orphans:
        problems.append(t("maintenance.search_key_orphans", count=orphans))
    rows, terms = queries.search_index_drift(conn)
    if rows or terms:
        problems.append(t("maintenance.search_index", rows=rows, terms=terms))
    rows, terms = queries.short_index_drift(conn)
    if rows or terms:
        problems.append(t("maintenance.search_short_index", rows=rows, terms=terms))
    return _limited(problems)


def _derived_rows(conn: sqlite3.Connection) -> list[str]:
    """The tables the triggers keep row for row (hazard_key, report_fact, hazard_repeat,
    tenant_fact): one line per table that differs from a fresh computation, with how many rows
    are missing and how many wrong."""
    problems = []
    for table in queries.DERIVED_ROWS:
        missing, wrong = queries.derived_row_drift(conn, table)
        if missing or wrong:
            problems.append(t("maintenance.derived_rows", table=table, missing=missing, wrong=wrong))
    return problems


def _checklist_items(conn: sqlite3.Connection) -> list[str]:
    """Every check result shows the item it was started with: it carries its copy or names an item,
    and each item holds the content its id was made from (db/checklist_items.py)."""
    problems = [t("maintenance.checklist_item_misnamed", template=template, version=version, code=code)
                for template, version, code in queries.misnamed_items(conn)]
    missing = queries.results_without_item(conn)
    if missing:
        problems.append(t("maintenance.results_without_item", count=missing))
    return _limited(problems)
