"""Every park's ledger search at the service level: `ledger_page` (the first page of 100 rows in
name order and the count) per search word, on one dataset file (docs/PERFORMANCE.md, "Ledger search").

    python benchmarks/search.py --db FILE [--repeat 7] [--json]

The words: no word (the whole ledger), rare and common Chinese words of one to four characters,
pinyin whole and initials, credit-code digits, a room and a building. Each is read `--repeat`
times after one unmeasured read; the table gives the median, min and max in ms, the count shown
("约" when estimated), the median of the process's CPU time (what the read costs whatever else
the machine runs) and how it was found: `listed` (the words' index finds at most EXACT_COUNT_LIMIT
keys: their tenants read once and sorted), `walked, set` (at most WALK_SET_LIMIT: the county walked
in name order, each tenant looked up in the set of matching tenants) or `walked` (more: the county
walked in name order, each tenant's key read).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = ("", "精", "精密", "精密机", "精密机械", "有", "有限", "有限公司", "jm", "jiamei", "5", "56", "567", "5674",
         "1177", "117765", "3f301", "2号楼", "平湖 jm")


def measure(db: Path, repeat: int) -> list[dict]:
    from sqlmodel import Session

    from db import queries
    from db.queries import LedgerQuery
    from db.store import Store

    store = Store.open(db)
    results = []
    try:
        with Session(store.engine) as session:
            for word in WORDS:
                samples, cpu = [], []
                for n in range(repeat + 1):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    rows, total = queries.ledger_page(session, LedgerQuery(search=word, limit=100))
                    if n:  # the first read warms the statements and the page cache
                        samples.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - started_cpu) * 1000)
                sized = queries._sized(session, LedgerQuery(search=word))
                path = "listed" if sized.few_matches else "walked, set" if sized.walk_set else "walked"
                results.append({"search": word, "matches": int(total), "estimated": total.estimated,
                                "path": path, "rows": len(rows),
                                "median": statistics.median(samples), "min": min(samples), "max": max(samples),
                                "cpu_median": statistics.median(cpu)})
    finally:
        store.close()
    return results


def table(results: list[dict]) -> str:
    lines = ["| search | matches | path | median | min | max | CPU median |", "|---|---:|---|---:|---:|---:|---:|"]
    for r in results:
        matches = f"约 {r['matches']:,}" if r["estimated"] else f"{r['matches']:,}"
        lines.append(f"| {r['search'] or '(none)'} | {matches} | {r['path']} | {r['median']:.1f} | {r['min']:.1f} "
                     f"| {r['max']:.1f} | {r['cpu_median']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = measure(args.db, args.repeat)
    print(json.dumps(results, ensure_ascii=False, indent=1) if args.json else table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
