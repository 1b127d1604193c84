"""Make a 10x dataset from a 1x one by copying its county N times under new keys.

    python benchmarks/replicate.py --source benchmarks/out/scale-1x.db --times 10 \
                                   --out benchmarks/out/scale-10x.db

Why not `generate.py --parks 3000 --inspections 1000000`: that writes every row through the
app's services (ORM objects, change capture, audit trail) at ~170 inspections a second, which is
over two hours for the 10x shape on this machine. The figures of docs/PERFORMANCE.md "Scale" are
about how reads grow with the amount of data, so the same county repeated ten times is the right
input: every park, tenant, building, inspection with its 31 results, quarterly report, hazard,
五落实 item, re-inspection, audit event and change-log entry of the source's demo parks (codes
PH-…) is copied in SQL, nine times for --times 10, with:

- keys: every key of the source starts with "0" (UUIDv7 of this decade), a copy's key is the same
  key with the first character replaced by the copy's number (1-9), so keys stay unique and every
  reference among copied rows points inside its own copy;
- park codes: PH-028 becomes PH1-028 … PH9-028 (park.code is unique);
- change-log payloads and audit before/after: every copied key inside the JSON is rewritten the
  same way, so a payload still describes its own row;
- kept as they are: inspectors (one county team), checklist templates and their `checklist_item`
  rows (a result names the item by its content: the copies name the same rows), clock stamps (`hlc`),
  scratch parks of earlier benchmark runs (not copied). Notices and photos are not copied (the
  1x file has none).

The copy runs without a journal (a benchmark file: a crash means making it again) and ends with
the file in WAL mode like the app's. `<out>.json` records how it was made.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import search_key  # noqa: E402

# Copied tables in reference order, with the columns that hold keys of copied rows.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "park": ("id",),
    "building": ("id", "park_id"),
    "tenant": ("id", "park_id", "building_id"),
    "inspection": ("id", "park_id", "tenant_id"),
    "quarterly_report": ("id", "tenant_id"),
    "check_result": ("id", "inspection_id"),
    "hazard": ("id", "inspection_id", "check_result_id", "park_id", "tenant_id", "supersedes_id"),
    "rectification_item": ("id", "hazard_id", "supersedes_id"),
    "reinspection": ("id", "rectification_item_id"),
}
# Which rows of each table belong to the demo parks (the rows to copy).
SOURCE_ROWS: dict[str, str] = {
    "park": "SELECT id FROM park WHERE code LIKE 'PH-%'",
    "building": "SELECT id FROM building WHERE park_id IN (SELECT id FROM source_park)",
    "tenant": "SELECT id FROM tenant WHERE park_id IN (SELECT id FROM source_park)",
    "inspection": "SELECT id FROM inspection WHERE park_id IN (SELECT id FROM source_park)",
    "quarterly_report": "SELECT id FROM quarterly_report WHERE tenant_id IN (SELECT id FROM source_tenant)",
    "check_result": "SELECT id FROM check_result WHERE inspection_id IN (SELECT id FROM source_inspection)",
    "hazard": "SELECT id FROM hazard WHERE park_id IN (SELECT id FROM source_park)",
    "rectification_item": "SELECT id FROM rectification_item WHERE hazard_id IN (SELECT id FROM source_hazard)",
    "reinspection": (
        "SELECT id FROM reinspection WHERE rectification_item_id IN (SELECT id FROM source_rectification_item)"
    ),
}
KEY_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def copy_key(key: str | None, copy: int) -> str | None:
    return None if key is None else f"{copy}{key[1:]}"


class PayloadRewriter:
    """The SQL function rewrite_keys(json, copy): copied keys inside a JSON text, renamed."""

    def __init__(self, keys: set[str]):
        self.keys = keys

    def __call__(self, text: str | None, copy: int) -> str | None:
        if text is None:
            return None
        return KEY_PATTERN.sub(lambda m: f"{copy}{m[0][1:]}" if m[0] in self.keys else m[0], text)


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def key_sql(column: str, copy: int) -> str:
    return f"CASE WHEN \"{column}\" IS NULL THEN NULL ELSE '{copy}' || substr(\"{column}\", 2) END"


def copy_rows(conn: sqlite3.Connection, table: str, copy: int, *, keys: tuple[str, ...], where: str,
              json_columns: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> int:
    """INSERT … SELECT of the rows `where` picks, as copy number `copy`; returns how many."""
    names = [name for name in columns(conn, table) if name not in skip]

    def value(name: str) -> str:
        if name in keys:
            return key_sql(name, copy)
        if name in json_columns:
            return f'rewrite_keys("{name}", {copy})'
        if table == "park" and name == "code":
            return f"replace(code, 'PH-', 'PH{copy}-')"
        return f'"{name}"'

    quoted = ", ".join(f'"{name}"' for name in names)
    return conn.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {", ".join(map(value, names))} '
                        f'FROM "{table}" WHERE {where}').rowcount


def replicate(source: Path, out: Path, times: int, log=print) -> dict:
    started = time.perf_counter()
    log(f"copying {source} to {out}")
    shutil.copyfile(source, out)
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache: the indexes being extended
    conn.execute("PRAGMA foreign_keys=OFF")  # copies are made parents first; checked at the end
    conn.execute("PRAGMA temp_store=FILE")
    for table, rows in SOURCE_ROWS.items():
        conn.execute(f"CREATE TEMP TABLE source_{table} (id TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute(f"INSERT INTO source_{table} {rows}")
    strays = conn.execute(
        " UNION ALL ".join(f"SELECT count(*) FROM source_{t} WHERE id NOT LIKE '0%'" for t in SOURCE_ROWS)
    ).fetchall()
    if any(count for (count,) in strays):
        raise SystemExit("a key of the source does not start with 0: this copy scheme would collide")
    keys: set[str] = set()
    for table in SOURCE_ROWS:
        keys.update(key for (key,) in conn.execute(f"SELECT id FROM source_{table}"))
    conn.create_function("rewrite_keys", 2, PayloadRewriter(keys), deterministic=True)
    search_key.register(conn)  # the triggers of tenant_search compute each copied tenant's key
    conn.execute("CREATE TEMP TABLE source_key (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("INSERT INTO source_key " + " UNION ALL ".join(f"SELECT id FROM source_{t}" for t in SOURCE_ROWS))
    log(f"{len(keys):,} keys to copy {times - 1} times")

    copied: dict[str, int] = {}

    def add(table: str, rows: int) -> None:
        copied[table] = copied.get(table, 0) + rows

    for copy in range(1, times):
        copy_started = time.perf_counter()
        conn.execute("BEGIN")
        for table, key_columns in KEY_COLUMNS.items():
            add(table, copy_rows(conn, table, copy, keys=key_columns, where=f"id IN (SELECT id FROM source_{table})"))
        add("audit_event", copy_rows(conn, "audit_event", copy, keys=("id", "row_id"), json_columns=("before", "after"),
                                     where="row_id IN (SELECT id FROM source_key)"))
        add("change_log", copy_rows(conn, "change_log", copy, keys=("row_id",), json_columns=("payload",),
                                    skip=("seq",), where="row_id IN (SELECT id FROM source_key) ORDER BY seq"))
        conn.execute("COMMIT")
        log(f"copy {copy} of {times - 1}: {time.perf_counter() - copy_started:.0f} s")

    problems = conn.execute("PRAGMA foreign_key_check").fetchmany(5)
    if problems:
        raise SystemExit(f"foreign key check failed after copying: {problems}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    seconds = time.perf_counter() - started
    meta = {
        "replicated_from": str(source),
        "times": times,
        "copied_rows": copied,
        "replicate_s": round(seconds, 1),
        "size_mb": round(out.stat().st_size / 1e6, 1),
    }
    source_meta = source.with_name(source.name + ".json")
    if source_meta.exists():
        meta["source_meta"] = json.loads(source_meta.read_text(encoding="utf-8"))
        meta["today"] = meta["source_meta"].get("today")
    out.with_name(out.name + ".json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--times", type=int, default=10, help="copies of the county in the result, 2-10")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not 2 <= args.times <= 10:
        parser.error("--times must be 2 to 10 (a copy's number is one character of its keys)")
    if args.out.exists():
        parser.error(f"{args.out} exists: remove it first")
    meta = replicate(args.source, args.out, args.times, log=lambda line: print(line, flush=True))
    print(json.dumps(meta, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
