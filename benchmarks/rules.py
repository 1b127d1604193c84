"""County rules timings: the rules over every tenant of the county, and one park's compliance matrix.

    python benchmarks/generate.py --out benchmarks/out/bench.db          # once: 300 parks × 100 tenants
    python benchmarks/rules.py [--db benchmarks/out/bench.db] [--repeat 5] [--json]

or, when the full generation is too slow (it writes every row through the app's services), the same
30,000 tenants in about three minutes: 30 parks generated, then copied nine more times in SQL:

    python benchmarks/generate.py --parks 30 --out benchmarks/out/rules-1x.db
    python benchmarks/replicate.py --source benchmarks/out/rules-1x.db --times 10 --out benchmarks/out/rules-10x.db
    python benchmarks/rules.py --db benchmarks/out/rules-10x.db --repeat 7

The generated ledger has no buildings: the first run adds one per building name of each park (its
design class, and a manager for every other building), in the benchmark's file only.

Metrics (medians):

rules_all_ms      services.rules.apply_rules over every in-park tenant (read + evaluate)   budget 2000
matrix_park_ms    services.rules.export_matrix for the park with the most tenants (.xlsx)  budget 300
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.overview import timed  # noqa: E402

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.db"
BUDGETS_MS = {"rules_all_ms": 2000, "matrix_park_ms": 300}


def add_buildings(store) -> int:
    """One building per (park, ledger building name), unless the file has buildings already."""
    from db.models import Building

    with store.connect() as conn:
        if conn.execute("SELECT count(*) FROM building WHERE deleted = 0").fetchone()[0]:
            return 0
        names = conn.execute("SELECT DISTINCT park_id, building FROM tenant WHERE building IS NOT NULL "
                             "ORDER BY park_id, building").fetchall()
    with store.transaction() as session:
        for n, (park_id, name) in enumerate(names):
            session.add(Building(park_id=park_id, name=name, design_hazard_class="CDE"[n % 3],
                                 manager_name="王建国" if n % 2 else None))
    return len(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}: run python benchmarks/generate.py first", file=sys.stderr)
        return 2
    from db.store import Store
    from forms.rules import builtin_rules
    from inspect_app.services.rules import apply_rules, export_matrix

    store = Store.open(args.db)
    try:
        added = add_buildings(store)
        rules = builtin_rules()
        with store.connect() as conn:
            tenants = conn.execute("SELECT count(*) FROM tenant WHERE deleted = 0 AND status = 'in_park'").fetchone()[0]
            park_id = conn.execute("SELECT park_id FROM tenant WHERE deleted = 0 GROUP BY park_id "
                                   "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        results = len(apply_rules(store, None, rules).results)
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "matrix.xlsx"
            figures = {
                "rules_all_ms": statistics.median(timed(lambda: apply_rules(store, None, rules), args.repeat)),
                "matrix_park_ms": statistics.median(
                    timed(lambda: export_matrix(store, park_id, target, rules), args.repeat)),
            }
    finally:
        store.close()
    report = {"tenants": tenants, "results": results, "buildings_added": added,
              **{name: round(value, 1) for name, value in figures.items()}}
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            budget = BUDGETS_MS.get(name)
            print(f"{name:18} {value}" + (f"   (budget {budget})" if budget else ""))
    return 0 if all(figures[name] <= budget for name, budget in BUDGETS_MS.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
