"""Device file size: a dataset as a device that has synced, compacted (`parkinspect compact`'s
service), with bytes per table before and after (dbstat); a Markdown table or JSON.

    python benchmarks/generate.py --hazards 20000 --out /tmp/1x.db      # or a copy of a shared dataset
    python benchmarks/compact.py --db /tmp/1x.db [--json]

The dataset is COPIED first (`--work DIR`, default beside it; the copy is deleted afterwards unless
`--keep`): its outbox is marked acknowledged by a hub the way a finished sync leaves it (a
`sync_state` row whose push cursor is the newest entry), then `inspect_app.services.compact.compact`
runs on it. Figures (docs/PERFORMANCE.md, "Device file size"): the file, the change log and its
share, its entries, every table with its indexes before and after, the seconds the compaction took
and the load average of the machine before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspect_app.services.compact import compact  # noqa: E402

HUB_ID = "benchmark-hub"


def copy_dataset(source: Path, work: Path) -> Path:
    target = work / f"{source.stem}-compact.db"
    conn, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:  # the WAL included: one consistent copy
        conn.backup(copy)
    finally:
        copy.close()
        conn.close()
    return target


def mark_synced(path: Path) -> int:
    """A hub acknowledged every entry (as benchmarks/sync.py seeds a hub with the whole outbox)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            last = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
            conn.execute("INSERT INTO sync_state (hub_id, hub_url, pushed_seq, pulled_seq) VALUES (?, ?, ?, 0) "
                         "ON CONFLICT (hub_id) DO UPDATE SET pushed_seq = excluded.pushed_seq",
                         (HUB_ID, "http://127.0.0.1:8765", last))
    finally:
        conn.close()
    return last


def measure(db: Path, work: Path, keep: bool) -> dict:
    load_before = os.getloadavg()
    copy = copy_dataset(db, work)
    try:
        entries = mark_synced(copy)
        started = time.perf_counter()
        result = compact(copy)
        seconds = time.perf_counter() - started
    finally:
        if not keep:
            for suffix in ("", "-wal", "-shm", ".compact-partial"):
                Path(str(copy) + suffix).unlink(missing_ok=True)
    before, after = result.before, result.after
    return {
        "dataset": str(db), "entries_acknowledged": entries, "pruned": result.pruned,
        "file_mb": [mb(before.file_bytes), mb(after.file_bytes)],
        "change_log_mb": [mb(before.log_bytes), mb(after.log_bytes)],
        "change_log_share": [share(before.log_bytes, before.file_bytes), share(after.log_bytes, after.file_bytes)],
        "change_log_rows": [before.log_rows, after.log_rows],
        "tables_mb": {table: [mb(size), mb(after.tables.get(table, 0))] for table, size in before.tables.items()},
        "compact_s": round(seconds, 1), "needed_mb": mb(result.needed_bytes),
        "load_average": [[round(x, 2) for x in load_before], [round(x, 2) for x in os.getloadavg()]],
    }


def mb(size: int) -> float:
    return round(size / 1_000_000, 1)


def share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def markdown(report: dict) -> str:
    lines = [f"dataset {report['dataset']}: {report['pruned']:,} entries pruned in {report['compact_s']} s "
             f"(load average {report['load_average']})", "",
             "| | before | after |", "|---|---:|---:|",
             f"| file (MB) | {report['file_mb'][0]:,} | {report['file_mb'][1]:,} |",
             f"| change log (MB, share) | {report['change_log_mb'][0]:,} ({report['change_log_share'][0]} %) | "
             f"{report['change_log_mb'][1]:,} ({report['change_log_share'][1]} %) |",
             f"| change-log entries | {report['change_log_rows'][0]:,} | {report['change_log_rows'][1]:,} |"]
    for table, (before, after) in report["tables_mb"].items():
        if before >= 0.5:
            lines.append(f"| `{table}` (MB, with its indexes) | {before:,} | {after:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--work", type=Path, help="folder for the copy (default: beside the dataset)")
    parser.add_argument("--keep", action="store_true", help="keep the compacted copy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.work or args.db.parent
    work.mkdir(parents=True, exist_ok=True)
    report = measure(args.db, work, args.keep)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else markdown(report))


if __name__ == "__main__":
    main()
