"""What the health check (`parkinspect check`, inspect_app/services/maintenance.py) reads from a file.

Plain sqlite3 on a read-only connection of its own (`open_read_only`), not the store: the file may
be damaged, not a database, or at an older schema, and the check must neither migrate nor write
it. The service decides what counts as a problem and words it; these functions only read.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from db import changelog_prune, search_key
from db.checklist_items import CONTENT_FIELDS as CHECKLIST_ITEM_CONTENT
from db.checklist_items import item_id
from db.hazard_rules import OPEN_HAZARD_STATUSES_SQL
from db.lookback import REPEAT_HAZARDS_SQL
from db.tenant_rules import current_tenant_sql

COUNTED_TABLES = {  # counts key -> SQL; live rows for synced tables, every entry of the outbox
    "parks": "SELECT count(*) FROM park WHERE deleted = 0",
    "tenants": "SELECT count(*) FROM tenant WHERE deleted = 0",
    "hazards": "SELECT count(*) FROM hazard WHERE deleted = 0",
    "notices": "SELECT count(*) FROM notice WHERE deleted = 0",
    "changes": "SELECT count(*) FROM change_log",
}

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

FRESH_PARK_TOTALS = f"""
SELECT park_id, sum(tenants), sum(area), sum(headcount), sum(above), sum(general), sum(major) FROM (
    SELECT park_id, count(*) AS tenants, coalesce(sum(rented_area_m2), 0) AS area,
           coalesce(sum(headcount), 0) AS headcount, sum(scale = 'above') AS above, 0 AS general, 0 AS major
    FROM tenant WHERE {current_tenant_sql("tenant")} GROUP BY park_id
    UNION ALL
    SELECT park_id, 0, 0, 0, 0, sum(severity != 'major'), sum(severity = 'major')
    FROM hazard WHERE deleted = 0 AND status IN {OPEN_HAZARD_STATUSES_SQL} GROUP BY park_id
) GROUP BY park_id
"""
KEPT_PARK_TOTALS = ("SELECT park_id, tenants, rented_area_m2, headcount, above_tenants, unclosed_general, "
                    "unclosed_major FROM park_total")


# What `hazard_key` and `report_fact` (migration 0018) hold, computed afresh: the columns of both
# sides in the same order, so that EXCEPT finds a row missing from one or the other.
FRESH_HAZARD_KEYS = """
SELECT h.id, r.id, h.park_id, h.tenant_id, h.severity, h.status, r.status, r.deadline, r.deadline IS NULL, h.found_on
FROM hazard h
LEFT JOIN rectification_item r ON r.hazard_id = h.id AND r.deleted = 0 AND r.status != 'superseded'
WHERE h.deleted = 0"""
KEPT_HAZARD_KEYS = ("SELECT hazard_id, item_id, park_id, tenant_id, severity, hazard_status, item_status, deadline, "
                    "no_deadline, found_on FROM hazard_key")
FRESH_REPORT_FACTS = """
SELECT r.tenant_id, r.year, r.quarter, r.year * 4 + r.quarter - 1, r.output_value_wan, r.electricity_kwh,
       b.output_value_wan, CASE WHEN b.output_value_wan > 0 THEN r.output_value_wan / b.output_value_wan END
FROM quarterly_report r
LEFT JOIN quarterly_report b ON b.tenant_id = r.tenant_id AND b.year = r.year - 1 AND b.quarter = r.quarter
                            AND b.deleted = 0
WHERE r.deleted = 0"""
KEPT_REPORT_FACTS = ("SELECT tenant_id, year, quarter, quarter_index, output_wan, electricity_kwh, "
                     "output_year_before_wan, output_ratio FROM report_fact")
# `hazard_repeat` (migration 0021): the unclosed hazards that are repeats, as db/lookback.py finds them.
KEPT_HAZARD_REPEATS = "SELECT hazard_id, park_id FROM hazard_repeat"
# `tenant_fact` (migration 0021): each current tenant's park and earliest deadline of an open item
# of an open hazard, from the hazards and items themselves (not from `hazard_key`). `+r.status`:
# the tenant's hazards, then their items (with the plain test SQLite read every open item of the
# county for each tenant).
FRESH_TENANT_FACTS = f"""
SELECT t.id, t.park_id,
       (SELECT min(r.deadline) FROM hazard h JOIN rectification_item r ON r.hazard_id = h.id
        WHERE h.tenant_id = t.id AND h.deleted = 0 AND h.status = 'open' AND r.deleted = 0 AND +r.status = 'open'
          AND r.deadline IS NOT NULL)
FROM tenant t WHERE {current_tenant_sql("t")}"""
KEPT_TENANT_FACTS = "SELECT tenant_id, park_id, overdue_from FROM tenant_fact"
# `ledger_fact` (migration 0021): each tenant's latest finished inspection per template, and whether it failed.
FRESH_LEDGER_FACTS = """
SELECT tenant_id, template_id, id, done, failed FROM (
    SELECT i.tenant_id, i.template_id, i.id, coalesce(i.finished_at, i.started_at) AS done,
           EXISTS (SELECT 1 FROM check_result c WHERE c.inspection_id = i.id AND c.deleted = 0
                                                  AND c.outcome = 'fail' AND c.item_code IS NOT NULL) AS failed,
           row_number() OVER (PARTITION BY i.tenant_id, i.template_id
                              ORDER BY coalesce(i.finished_at, i.started_at) DESC, i.id DESC) AS n
    FROM inspection i WHERE i.deleted = 0 AND i.status = 'finished' AND i.tenant_id IS NOT NULL)
WHERE n = 1"""
KEPT_LEDGER_FACTS = "SELECT tenant_id, template_id, inspection_id, done, failed FROM ledger_fact"
DERIVED_ROWS = {"hazard_key": (FRESH_HAZARD_KEYS, KEPT_HAZARD_KEYS),
                "report_fact": (FRESH_REPORT_FACTS, KEPT_REPORT_FACTS),
                "hazard_repeat": (REPEAT_HAZARDS_SQL, KEPT_HAZARD_REPEATS),
                "tenant_fact": (FRESH_TENANT_FACTS, KEPT_TENANT_FACTS),
                "ledger_fact": (FRESH_LEDGER_FACTS, KEPT_LEDGER_FACTS)}


@dataclass(frozen=True)
class IssuedNotice:
    """A notice as stored, with the hashes taken when it was issued."""
    number: str
    content_json: str | None
    content_sha256: str
    pdf: bytes | None
    pdf_sha256: str | None


def open_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro: nothing the check does can write to the file, even by accident. A WAL file left by a
    # running app is still read, so the check sees what the app has committed. On a closed file
    # SQLite creates empty -wal/-shm companions that a read-only connection cannot remove; they are
    # harmless (the next read-write open uses and removes them), and deleting them ourselves could
    # race an app that opens the file meanwhile.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per kind; 0 for what cannot be counted (a damaged file, a missing table)."""
    found = {}
    for key, sql in COUNTED_TABLES.items():
        try:
            found[key] = conn.execute(sql).fetchone()[0]
        except sqlite3.Error:
            found[key] = 0
    return found


def integrity_messages(conn: sqlite3.Connection) -> list[str]:
    """SQLite's `integrity_check`: ["ok"] for a sound file."""
    return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def schema_revision(conn: sqlite3.Connection) -> str | None:
    """The Alembic revision the file is at (db.migrations.current_revision's question, on this connection)."""
    has_version = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    found = conn.execute("SELECT version_num FROM alembic_version").fetchone() if has_version else None
    return found[0] if found else None


def dangling_references(conn: sqlite3.Connection) -> list[tuple[str, int, str]]:
    """(table, rowid, parent table) of every row whose reference points at nothing."""
    return [(table, rowid, parent) for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")]


def issued_notices(conn: sqlite3.Connection) -> Iterator[IssuedNotice]:
    """Every notice by number, one at a time (each may carry its PDF)."""
    rows = conn.execute("SELECT number, content_json, content_sha256, pdf, pdf_sha256 FROM notice ORDER BY number")
    for row in rows:
        yield IssuedNotice(*row)


def unlogged_tenants(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, credit code) of tenants this device wrote that no change-log entry covers, by name."""
    try:
        pruned = changelog_prune.state(conn).stamp or ""
    except sqlite3.OperationalError:  # a file from before local settings
        pruned = ""
    return conn.execute(
        "SELECT name, credit_code FROM tenant AS t WHERE NOT EXISTS "
        "(SELECT 1 FROM change_log AS c WHERE c.table_name = 'tenant' AND c.row_id = t.id) "
        # or its entries were pruned once every hub acknowledged them (db/changelog_prune.py)
        "AND t.hlc > ? "
        # or merged from another device (docs/SYNC.md): its insert is in the inbox
        "AND NOT EXISTS (SELECT 1 FROM applied_change AS a WHERE a.table_name = 'tenant' AND a.row_id = t.id) "
        # or loaded by a first sync (inspect_app/sync/snapshot.py): last written on another device
        "AND t.origin_device IN ('', (SELECT value FROM local_setting WHERE key = 'device_id')) "
        "ORDER BY name", (pruned,)
    ).fetchall()


def park_codes(conn: sqlite3.Connection) -> dict[str, str]:
    """{park id: code}, deleted parks included (a total may still name one)."""
    return dict(conn.execute("SELECT id, code FROM park"))


def park_totals(conn: sqlite3.Connection) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """({park: figures counted afresh}, {park: figures kept by the triggers}); figures are tenants,
    rented area, headcount, tenants above scale, unclosed general and major hazards."""
    fresh = {row[0]: row[1:] for row in conn.execute(FRESH_PARK_TOTALS)}
    kept = {row[0]: row[1:] for row in conn.execute(KEPT_PARK_TOTALS)}
    return fresh, kept


def park_quarter_totals(conn: sqlite3.Connection) -> tuple[dict[tuple, tuple], dict[tuple, tuple]]:
    """The same for (park, year, quarter): output, electricity, tax, output above scale, reports."""
    fresh = {row[:3]: row[3:] for row in conn.execute(FRESH_PARK_QUARTER_TOTALS)}
    kept = {row[:3]: row[3:] for row in conn.execute(KEPT_PARK_QUARTER_TOTALS)}
    return fresh, kept


def stale_search_keys(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, credit code) of the tenants whose kept search key (tenant_search, migration 0011) is
    missing or is not the one their columns make now (db/search_key.py), or whose copies of the
    name, deleted flag and status beside it (migration 0024) differ from theirs, by name."""
    columns = ", ".join(f"t.{c}" for c in search_key.KEY_COLUMNS)
    rows = conn.execute(f"SELECT t.name, t.credit_code, s.key, "
                        "s.name IS t.name AND s.deleted IS t.deleted AND s.status IS t.status, "
                        f"{columns} FROM tenant AS t LEFT JOIN tenant_search AS s ON s.tenant_id = t.id ORDER BY t.name")
    return [(name, code) for name, code, kept, copied, *values in rows
            if not copied or kept != search_key.tenant_search_key(*values)]


def orphan_search_keys(conn: sqlite3.Connection) -> int:
    """Search keys of tenants that no longer exist."""
    return conn.execute("SELECT count(*) FROM tenant_search WHERE tenant_id NOT IN (SELECT id FROM tenant)").fetchone()[0]


def search_index_drift(conn: sqlite3.Connection) -> tuple[int, int]:
    """(keys the trigram index holds or lacks wrongly, trigrams whose number of keys in the index
    differs from a count made afresh from the keys) of `tenant_fts` (migration 0017).

    The index's own integrity-check writes (an FTS5 command), so a read-only check compares what
    the index says through an fts5vocab table in the connection's temp schema instead: which rows
    it holds, and per trigram how many keys hold it."""
    return _fts_drift(conn, "tenant_fts", lambda key: {key[i:i + 3] for i in range(len(key) - 2)})


def short_index_drift(conn: sqlite3.Connection) -> tuple[int, int]:
    """(keys the index of one- and two-character pieces holds or lacks wrongly, pieces whose number
    of keys in the index differs from a count made afresh from the keys) of `tenant_grams`
    (migration 0020), read through an fts5vocab table as `search_index_drift` does."""
    return _fts_drift(conn, "tenant_grams", lambda key: search_key.tenant_search_grams(key).split())


def _fts_drift(conn: sqlite3.Connection, index: str, pieces_of) -> tuple[int, int]:
    """(keys of `tenant_search` the FTS5 table `index` holds or lacks wrongly, terms whose number of
    keys in the index differs from a count made afresh with `pieces_of(key)`)."""
    rows = conn.execute(f"SELECT (SELECT count(*) FROM (SELECT id FROM {index}_docsize EXCEPT SELECT id FROM tenant_search)) "
                        f"+ (SELECT count(*) FROM (SELECT id FROM tenant_search EXCEPT SELECT id FROM {index}_docsize))"
                        ).fetchone()[0]
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{index}_terms USING fts5vocab(main, {index}, row)")
    indexed = dict(conn.execute(f"SELECT term, doc FROM temp.{index}_terms"))
    fresh: Counter[str] = Counter()
    for (key,) in conn.execute("SELECT key FROM tenant_search"):
        fresh.update(pieces_of(key))
    terms = sum(1 for term in indexed.keys() | fresh.keys() if indexed.get(term, 0) != fresh.get(term, 0))
    return rows, terms


def derived_row_drift(conn: sqlite3.Connection, table: str) -> tuple[int, int]:
    """(rows a fresh computation gives that `table` lacks, rows `table` holds that it should not:
    not given by the fresh computation, or kept twice) for a table of DERIVED_ROWS. Counted in
    SQL, not in Python: 200,000 hazards are not read into the check's process."""
    fresh, kept = DERIVED_ROWS[table]

    def count(sql: str) -> int:
        return conn.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]

    twice = count(kept) - count(f"SELECT DISTINCT * FROM ({kept})")
    return count(f"{fresh} EXCEPT {kept}"), count(f"{kept} EXCEPT {fresh}") + twice


def results_without_item(conn: sqlite3.Connection) -> int:
    """Check results that neither carry their item's copy nor name a checklist item (every result
    does one or the other: db/checklist_items.py); a named item that is missing is a dangling
    reference, found by the foreign-key check."""
    return conn.execute("SELECT count(*) FROM check_result WHERE item_text IS NULL AND checklist_item_id IS NULL"
                        ).fetchone()[0]


def misnamed_items(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(template id, version, item code) of checklist items whose id is not the one their content
    gives: a result naming it would show other words than the ones it was started with."""
    rows = conn.execute(f"SELECT id, {', '.join(CHECKLIST_ITEM_CONTENT)} FROM checklist_item ORDER BY template_id, "
                        "template_version, item_code")
    return [(row[1], row[2], row[3]) for row in rows if item_id(*row[1:-1], bool(row[-1])) != row[0]]
