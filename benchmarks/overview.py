"""County and park overview timings on the 30,000-tenant database; prints a table (or JSON).

    python benchmarks/generate.py --hazards 20000   # once: benchmarks/out/bench.db, 300 parks x 100 tenants
    python benchmarks/overview.py [--db benchmarks/out/bench.db] [--repeat 7] [--json] [--strict]

Metrics (medians judged against the targets; the first, cold call is one of the samples):

county_overview_ms   services.park_overview.county_overview: every park's figures, the county's,
                     8 quarters of trend and every tenant's risk flags, for the default quarter
county_overview_cpu_ms  the same calls' CPU time (time.process_time, every thread of the process): what the call
                     costs whatever else the machine runs
park_overview_ms     services.park_overview.park_overview on the park with the most tenants
                     (its figures and its tenants' table with flags)
risk_flags_ms        the county overview's flags alone, every park: services.risk_flags.county_flagged
                     (which tenants carry which flag; part of county_overview_ms), or load_flags in a
                     checkout without it
flag_objects_ms      services.risk_flags.load_flags of every park: each flag made with its facts, as a
                     park's table shows them (what the county overview read before county_flagged)

"Today" is the one generate.py recorded next to the database (2026-11-26), so the quarter and the
overdue hazards are those of the dataset, whatever the date of the run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.db"
TARGETS = {"county_overview_ms": 500.0}


def timed(call: Callable[[], object], repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall ms of each call; with `cpu`, the process's CPU ms of each (every thread's) appended to it."""
    samples = []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    return samples


def dataset_today(db: Path) -> date:
    from forms import china_time  # after ROOT is on sys.path

    try:
        made = json.loads(db.with_name(db.name + ".json").read_text(encoding="utf-8"))
        return date.fromisoformat(made["today"])
    except (OSError, ValueError, KeyError):
        return china_time.today()  # the day in China, whatever the machine's zone


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
    from inspect_app.config import RiskFlagThresholds
    from inspect_app.services import risk_flags
    from inspect_app.services.park_overview import county_overview, latest_quarter, park_overview
    from inspect_app.services.risk_flags import load_flags

    today = dataset_today(args.db)
    load_before = os.getloadavg()
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as conn:
        largest = conn.execute("SELECT park_id, count(*) FROM tenant WHERE deleted = 0 AND status = 'in_park' "
                               "GROUP BY park_id ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
        sizes = conn.execute("SELECT (SELECT count(*) FROM park WHERE deleted = 0), "
                             "(SELECT count(*) FROM tenant WHERE deleted = 0), "
                             "(SELECT count(*) FROM quarterly_report WHERE deleted = 0)").fetchone()
    store = Store.open(args.db, migrate=False)
    thresholds = RiskFlagThresholds()  # the defaults, whatever this machine's config says
    try:
        quarter = latest_quarter(store, today)
        overview = county_overview(store, today=today, thresholds=thresholds)
        # As in the app (inspect_app/app.py: after start-up and after its warm-up): what is loaded
        # by now lives as long as the process and is frozen, so the collections the calls' garbage
        # sets off do not walk every imported module again (55–140 ms of a county overview at 10×).
        gc.collect()
        gc.freeze()
        county_cpu: list[float] = []  # the process's CPU: what the call costs whatever else the machine runs
        metrics = {
            "county_overview_ms": timed(lambda: county_overview(store, today=today, thresholds=thresholds),
                                        args.repeat, county_cpu),
            "county_overview_cpu_ms": county_cpu,
            "park_overview_ms": timed(lambda: park_overview(store, largest[0], today=today, thresholds=thresholds),
                                      args.repeat),
        }

        def flags_only() -> None:
            with store.read_connection() as conn:
                if hasattr(risk_flags, "county_flagged"):
                    risk_flags.county_flagged(conn, quarter=quarter, today=today, thresholds=thresholds)
                else:
                    load_flags(conn, quarter=quarter, today=today, thresholds=thresholds)

        def flag_objects() -> None:
            with store.read_connection() as conn:
                load_flags(conn, quarter=quarter, today=today, thresholds=thresholds)

        metrics["risk_flags_ms"] = timed(flags_only, args.repeat)
        metrics["flag_objects_ms"] = timed(flag_objects, args.repeat)
    finally:
        store.close()

    county = overview.county
    summary = {
        "dataset": {"db": str(args.db), "parks": sizes[0], "tenants": sizes[1], "quarterly_reports": sizes[2],
                    "today": today.isoformat(), "quarter": str(quarter), "largest_park_tenants": largest[1]},
        "load_average": [round(x, 2) for x in os.getloadavg()],  # other work on the machine skews the figures
        "county": {"flagged_tenants": county.flags.flagged_tenants, "declining": county.flags.declining,
                   "zombie": county.flags.zombie, "overdue_hazards": county.flags.overdue_hazards,
                   "above_tenant_share": county.above_tenant_share, "above_output_share": county.above_output_share},
        "metrics": {name: {"median": statistics.median(s), "min": min(s), "max": max(s), "samples": s,
                           "target": TARGETS.get(name)} for name, s in metrics.items()},
    }
    missed = [name for name, m in summary["metrics"].items() if m["target"] and m["median"] > m["target"]]
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        d = summary["dataset"]
        print(f"{d['parks']} parks, {d['tenants']:,} tenants, {d['quarterly_reports']:,} quarterly reports; "
              f"today {d['today']}, quarter {d['quarter']}")
        print("load average before/after: {:.2f} {:.2f} {:.2f} / {:.2f} {:.2f} {:.2f}".format(
            *load_before, *os.getloadavg()))
        c = summary["county"]
        print(f"county: {c['flagged_tenants']:,} flagged tenants ({c['declining']:,} declining, {c['zombie']:,} "
              f"zombie, {c['overdue_hazards']:,} overdue hazards)")
        print(f"{'metric':<22}{'median':>10}{'min':>10}{'max':>10}{'target':>10}")
        for name, m in summary["metrics"].items():
            target = f"{m['target']:.0f}" if m["target"] else "-"
            print(f"{name:<22}{m['median']:>10.1f}{m['min']:>10.1f}{m['max']:>10.1f}{target:>10}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
