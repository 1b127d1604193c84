"""回头看 and due-list timings: the ledger page's last-inspected column, the due list of the
largest park and of every park, a hazards page with its repeat marks, and the overview's repeat count.

    python benchmarks/generate.py --parks 100 --hazards 10000 --out benchmarks/out/lookback.db   # once
    python benchmarks/lookback.py [--db benchmarks/out/lookback.db] [--repeat 7] [--json]

Metrics (medians; "today" is the one generate.py recorded next to the database):

ledger_visits_ms      db.lookback.visits for a ledger page of 100 tenants (added to every ledger page)
due_park_ms           services.lookback.due_list for the park with the most tenants
due_all_ms            services.lookback.due_list over every park
hazard_repeats_ms     db.lookback.repeat_numbers for a hazards page of 100 hazards
repeat_counts_ms      db.lookback.repeat_counts over every park (part of the county overview)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.overview import dataset_today, timed  # noqa: E402

DEFAULT_DB = ROOT / "benchmarks" / "out" / "lookback.db"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}: run python benchmarks/generate.py first", file=sys.stderr)
        return 2

    from db import lookback
    from db.store import Store
    from forms.inspection_due import DueRules
    from inspect_app.services.lookback import due_list

    today = dataset_today(args.db)
    store = Store.open(args.db, migrate=False)
    rules = DueRules()  # the defaults, whatever this machine's config says
    try:
        with store.read_connection() as conn:
            park, tenants = conn.execute(
                "SELECT park_id, count(*) FROM tenant WHERE deleted = 0 AND status = 'in_park' "
                "GROUP BY park_id ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
            total = conn.execute("SELECT count(*) FROM tenant WHERE deleted = 0").fetchone()[0]
            page = [r[0] for r in conn.execute("SELECT id FROM tenant WHERE park_id = ? ORDER BY name LIMIT 100",
                                               (park,))]
            hazard_page = [r[0] for r in conn.execute(
                "SELECT hazard_id FROM rectification_item WHERE deleted = 0 ORDER BY deadline LIMIT 100")]
            hazards = conn.execute("SELECT count(*) FROM hazard").fetchone()[0]

        def with_conn(call):
            def run():
                with store.read_connection() as conn:
                    call(conn)
            return run

        metrics = {
            "ledger_visits_ms": timed(with_conn(lambda c: lookback.visits(c, page)), args.repeat),
            "due_park_ms": timed(lambda: due_list(store, park, today=today, rules=rules), args.repeat),
            "due_all_ms": timed(lambda: due_list(store, None, today=today, rules=rules), args.repeat),
            "hazard_repeats_ms": timed(with_conn(lambda c: lookback.repeat_numbers(c, hazard_page)), args.repeat),
            "repeat_counts_ms": timed(with_conn(lambda c: lookback.repeat_counts(c)), args.repeat),
        }
        due_count = len(due_list(store, None, today=today, rules=rules))
    finally:
        store.close()
    summary = {"dataset": {"db": str(args.db), "tenants": total, "largest_park_tenants": tenants, "hazards": hazards,
                           "due": due_count, "today": today.isoformat()},
               "metrics": {name: {"median": statistics.median(s), "min": min(s), "max": max(s)}
                           for name, s in metrics.items()}}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        d = summary["dataset"]
        print(f"{d['tenants']:,} tenants ({d['largest_park_tenants']} in the largest park), {d['hazards']:,} hazards, "
              f"{d['due']:,} due on {d['today']}")
        print(f"{'metric':<22}{'median':>10}{'min':>10}{'max':>10}")
        for name, m in summary["metrics"].items():
            print(f"{name:<22}{m['median']:>10.2f}{m['min']:>10.2f}{m['max']:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
