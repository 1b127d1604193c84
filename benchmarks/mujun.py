"""亩均效益 classes for a county: every in-park tenant of the 30,000-tenant database scored by the
built-in method, threshold classing and percentile classing; prints a table (or JSON).

    python benchmarks/generate.py   # once: benchmarks/out/bench.db, 300 parks x 100 tenants
    python benchmarks/mujun.py [--db benchmarks/out/bench.db] [--repeat 7] [--json] [--strict]

county_thresholds_ms   services.mujun.mujun_classes for the whole county, the built-in method
                       (one query over the year's reports, then the calculator)
county_percentiles_ms  the same with percentile classing (ranking within 规上 and 规下)
park_ms                one park (the largest) by thresholds: what the park overview adds
county_thresholds_cpu_ms  county_thresholds_ms in this process's CPU time
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.db"
TARGETS = {"county_thresholds_ms": 1000.0, "county_percentiles_ms": 1000.0}


def timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def cpu_timed(call, repeat: int) -> list[float]:
    """This process's CPU time: on a machine shared with other work the wall clock says more about the
    neighbours than about the code (the load average is printed with the figures)."""
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        call()
        samples.append((time.process_time() - started) * 1000)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a median misses its target")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}: run python benchmarks/generate.py first", file=sys.stderr)
        return 2

    from db.store import Store
    from forms.mujun_method import builtin_method
    from inspect_app.services.mujun import default_year, mujun_classes

    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as conn:
        largest = conn.execute("SELECT park_id, count(*) FROM tenant WHERE deleted = 0 AND status = 'in_park' "
                               "GROUP BY park_id ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
    thresholds = builtin_method()
    percentiles = dataclasses.replace(thresholds, classing="percentiles")
    store = Store.open(args.db, migrate=False)
    try:
        year = default_year(store)
        result = mujun_classes(store, year, method=percentiles)
        metrics = {
            "county_thresholds_ms": timed(lambda: mujun_classes(store, year, method=thresholds), args.repeat),
            "county_percentiles_ms": timed(lambda: mujun_classes(store, year, method=percentiles), args.repeat),
            "park_ms": timed(lambda: mujun_classes(store, year, park_id=largest[0], method=thresholds), args.repeat),
            "county_thresholds_cpu_ms": cpu_timed(lambda: mujun_classes(store, year, method=thresholds), args.repeat),
        }
    finally:
        store.close()
    summary = {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "dataset": {"db": str(args.db), "year": year, "tenants": len(result.rows),
                    "classes": {str(k): v for k, v in result.counts().items()}},
        "metrics": {name: {"median": statistics.median(s), "min": min(s), "max": max(s), "samples": s,
                           "target": TARGETS.get(name)} for name, s in metrics.items()},
    }
    missed = [name for name, m in summary["metrics"].items() if m["target"] and m["median"] > m["target"]]
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        d = summary["dataset"]
        print(f"{d['tenants']:,} tenants, year {d['year']}, classes (percentiles) {d['classes']}; "
              f"load average {summary['load_average']}")
        print(f"{'metric':<24}{'median':>10}{'min':>10}{'max':>10}{'target':>10}")
        for name, m in summary["metrics"].items():
            target = f"{m['target']:.0f}" if m["target"] else "-"
            print(f"{name:<24}{m['median']:>10.1f}{m['min']:>10.1f}{m['max']:>10.1f}{target:>10}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
