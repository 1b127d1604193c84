"""The key read benchmarks on one dataset file, as JSON: run it on datasets of different sizes and
compare how each figure grows (docs/PERFORMANCE.md, section "Scale").

    python benchmarks/generate.py --parks 30 --hazards 2000 --inspections 10000 --out benchmarks/out/scale-0.1x.db
    python benchmarks/generate.py --hazards 20000 --inspections 100000 --out benchmarks/out/scale-1x.db
    python benchmarks/scale.py --db benchmarks/out/scale-1x.db [--repeat 5] [--skip startup,tui,...] [--out F.json]
    python benchmarks/scale.py --compare 0.1x.json 1x.json 10x.json   # the growth table (Markdown)

Every figure comes from the existing benchmark code, imported (the metric names are theirs):

startup       run.startup: spawn -> the park list painted, against a bare Textual app; peak RSS
park_list     db.overview.park_summaries alone: the whole park list's statement (park_list_sql_ms) and its
              first screenful's, read before the first paint (park_list_first_page_ms)
tui           run.session: Pilot at 80x24 - the largest park's ledger, one search keystroke at a
              time, an inspection, the hazards view's first page; RSS after the session
services      run.inspections_and_hazards: load_inspection, list_hazards (first page, with count)
overview      overview.py: county_overview, park_overview (largest park), load_flags
notice        notices.measure: render + sign one rectification notice (no database: size-free)
ledger        ledger_import.make_ledger + import_ledger(dry_run=True) of 10,000 rows (--ledger-rows) into an empty
              park of this database (park BM-SCALE, added once; the dry run writes nothing)
sync          one small device and this dataset as a second device of a hub on loopback (hub in
              its own process): 10 changes (5 tenant edits + their audit events) pushed by the
              small device and pulled into the dataset (sync_pull_10_ms, the dataset's sync_once),
              then 10 made in the dataset and pushed from it (sync_push_10_ms)

The ledger and sync steps write into the dataset (the park BM-SCALE; a park SC-<time> with 5
tenants and the sync cursors of a throwaway hub), so they run after the read benchmarks; each run
adds one small park.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STEPS = ("startup", "park_list", "tui", "services", "overview", "notice", "ledger", "sync")
LEDGER_ROWS = 10_000
SCRATCH_PARK = "BM-SCALE"


def summary(samples: list[float]) -> dict:
    return {"median": round(statistics.median(samples), 2), "min": round(min(samples), 2),
            "max": round(max(samples), 2), "n": len(samples)}


def dataset(db: Path) -> dict:
    counts = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for table in ("park", "tenant", "inspection", "check_result", "hazard", "quarterly_report", "change_log"):
            counts[table] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return {"db": str(db), "size_mb": round(db.stat().st_size / 1e6, 1), "rows": counts}


def run_py_metrics(db: Path, today: date, repeat: int, warmup: int, steps: set[str]) -> dict:
    from benchmarks import run

    results = run.Results()
    if "startup" in steps:
        run.startup(results, db, repeat, warmup)
    if "tui" in steps:
        asyncio.run(run.session(results, db, today, repeat))
    if "services" in steps:
        run.inspections_and_hazards(results, db, today, repeat)
    metrics = {name: summary(m.samples) | {"median": round(m.median, 3)} for name, m in results.metrics.items()}
    if results.keystrokes:
        metrics["search_keystroke_ms"]["max_matches"] = max(k.matches for k in results.keystrokes)
        by_key: dict[str, list] = {}
        for k in results.keystrokes:
            by_key.setdefault(k.search, []).append(k)
        # each key of the sequence: wall and CPU medians, the count shown (docs/PERFORMANCE.md "Ledger search")
        metrics["search_keys"] = [
            {"search": search, "matches": int(ks[0].matches), "estimated": getattr(ks[0].matches, "estimated", False),
             "ms": round(statistics.median(k.ms for k in ks), 1), "max_ms": round(max(k.ms for k in ks), 1),
             "cpu_ms": round(statistics.median(k.cpu_ms for k in ks), 1)} for search, ks in by_key.items()]
    return {"metrics": metrics, "notes": results.notes}


def park_list_sql(db: Path, today: date, repeat: int) -> dict:
    """The whole list's statement (read after the first paint) and the first screenful's (before it)."""
    from db.overview import park_summaries
    from inspect_app.screens.park_list import FIRST_ROWS

    metrics = {}
    for name, limit in (("park_list_sql_ms", None), ("park_list_first_page_ms", FIRST_ROWS)):
        samples = []
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            for _ in range(repeat + 1):  # the first, cold one is dropped
                started = time.perf_counter()
                parks = park_summaries(conn, today, limit)
                samples.append((time.perf_counter() - started) * 1000)
        metrics[name] = summary(samples[1:]) | {"parks": len(parks)}
    return metrics


def overview_metrics(db: Path, repeat: int) -> dict:
    from benchmarks import overview

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        overview.main(["--db", str(db), "--repeat", str(repeat), "--json"])
    report = json.loads(out.getvalue())
    return {name: summary(m["samples"]) for name, m in report["metrics"].items()}


def notice_metrics(repeat: int) -> dict:
    from benchmarks import notices

    results = notices.measure(count=repeat, warmup=1, batch=0, processes=1)
    return {name: round(value, 2) for name, value in results.items()}


def ledger_metrics(db: Path, repeat: int, rows: int = LEDGER_ROWS) -> dict:
    from sqlmodel import select

    from benchmarks.ledger_import import make_ledger
    from db.models import Park
    from db.store import Store
    from inspect_app.services.ledger_import import import_ledger

    store = Store.open(db)
    try:
        with store.read() as session:
            have = session.exec(select(Park).where(Park.code == SCRATCH_PARK)).first()
        if have is None:
            with store.transaction() as session:
                session.add(Park(code=SCRATCH_PARK, name="规模测试园区", district="平湖市", street="当湖街道",
                                 function_type="manufacturing", developer_type="government", land_area_mu=100,
                                 floor_area_m2=100000))
        with tempfile.TemporaryDirectory() as scratch:
            ledger = Path(scratch) / "ledger.xlsx"
            make_ledger(ledger, rows, seed=2026)
            samples, created = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                report = import_ledger(store, ledger, park_code=SCRATCH_PARK, dry_run=True)
                samples.append(time.perf_counter() - started)
                created = report.created
    finally:
        store.close()
    return {"ledger_dry_run_s": summary(samples) | {"rows": rows, "created": created}}


def sync_metrics(db: Path, repeat: int) -> dict:
    """See the module doc: the dataset as a device pulling and pushing 10 changes at a time."""
    from benchmarks.sync import Hub
    from db.models import Park, Tenant
    from db.store import Store
    from forms import credit_code
    from inspect_app.sync.changes import mark_pushed
    from inspect_app.sync.client import sync_once

    stamp = time.strftime("%H%M%S")
    first = 50_000_000 + int(time.time()) % 10_000_000 * 5  # credit codes no earlier run used
    with tempfile.TemporaryDirectory(prefix="parkinspect-scale-") as scratch:
        folder = Path(scratch)
        hub = Hub(folder, "hub.db")
        big = Store.open(db)
        small = Store.open(folder / "small.db")
        try:
            hub.start()
            with small.transaction() as session:
                park = Park(code=f"SC-{stamp}", name=f"规模同步园区{stamp}", district="平湖市", street="当湖街道",
                            function_type="manufacturing", developer_type="government", land_area_mu=10,
                            floor_area_m2=5000)
                session.add(park)
                session.flush()
                tenants = [Tenant(park_id=park.id, name=f"同步企业{stamp}-{n}", credit_code=credit_code.complete(f"91330482{first + n:08d}"),
                                  rented_area_m2=100, headcount=5, scale="below", lease_use="production")
                           for n in range(5)]
                session.add_all(tenants)
            tenant_ids = [t.id for t in tenants]
            small_token, big_token = hub.enrol(f"small-{stamp}"), hub.enrol(f"dataset-{stamp}")
            # The dataset's own history is not this hub's business: its push cursor starts at the end.
            with big.read_connection() as conn:
                last = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
            mark_pushed(big, hub.base, last)
            sync_once(small, hub.base, small_token)
            sync_once(big, hub.base, big_token)  # the small park arrives (not timed)
            sync_once(small, hub.base, small_token)

            def edit(store: Store, label: str) -> None:
                with store.transaction() as session:
                    for tenant_id in tenant_ids:
                        session.get(Tenant, tenant_id).contact_name = label

            pulls, pushes = [], []
            for round_ in range(repeat):
                edit(small, f"甲{round_}")
                sync_once(small, hub.base, small_token)
                started = time.perf_counter()
                pulled = sync_once(big, hub.base, big_token)
                pulls.append((time.perf_counter() - started) * 1000)
                edit(big, f"乙{round_}")
                started = time.perf_counter()
                pushed = sync_once(big, hub.base, big_token)
                pushes.append((time.perf_counter() - started) * 1000)
                sync_once(small, hub.base, small_token)
                assert pulled.pulled == 10 and pushed.pushed == 10, (pulled, pushed)
        finally:
            hub.stop()
            big.close()
            small.close()
    return {"sync_pull_10_ms": summary(pulls), "sync_push_10_ms": summary(pushes)}


def measure(db: Path, repeat: int, warmup: int, steps: set[str], ledger_rows: int = LEDGER_ROWS) -> dict:
    from benchmarks.overview import dataset_today

    today = dataset_today(db)
    report: dict = {"dataset": dataset(db), "today": today.isoformat(), "load_before": os.getloadavg()}
    metrics: dict = {}
    timings: dict = {}

    def step(name: str, call) -> None:
        if name in steps:
            started = time.perf_counter()
            metrics.update(call())
            timings[name] = round(time.perf_counter() - started, 1)

    if steps & {"startup", "tui", "services"}:
        started = time.perf_counter()
        from_run = run_py_metrics(db, today, repeat, warmup, steps)
        metrics.update(from_run["metrics"])
        report["notes"] = from_run["notes"]
        timings["run.py"] = round(time.perf_counter() - started, 1)
    step("park_list", lambda: park_list_sql(db, today, repeat))
    step("overview", lambda: overview_metrics(db, repeat))
    step("notice", lambda: notice_metrics(repeat))
    step("ledger", lambda: ledger_metrics(db, max(1, repeat // 2), ledger_rows))
    step("sync", lambda: sync_metrics(db, repeat))
    report["metrics"] = metrics
    report["step_s"] = timings
    report["load_after"] = os.getloadavg()
    return report


def median_of(value) -> float:
    return value["median"] if isinstance(value, dict) else value


def compare(runs: list[dict]) -> str:
    """A Markdown table: each figure of two or more runs (JSON from --out, smallest dataset first),
    and how much it grew from each run to the next."""
    def growth(a: float, b: float) -> str:
        return f"{b / a:.2f}" if a else "nan"

    steps = [f"{i + 2} ÷ {i + 1}" for i in range(len(runs) - 1)]
    lines = ["| figure | " + " | ".join([*(str(i + 1) for i in range(len(runs))), *steps]) + " |",
             "|---|" + "---:|" * (len(runs) + len(steps))]
    for table in ("tenant", "inspection", "hazard"):
        counts = [run["dataset"]["rows"][table] for run in runs]
        ratios = [f"{b / max(1, a):.1f}" for a, b in pairwise(counts)]
        lines.append(f"| rows: {table} | " + " | ".join([*(f"{c:,}" for c in counts), *ratios]) + " |")
    sizes = [run["dataset"]["size_mb"] for run in runs]
    lines.append("| file MB | " + " | ".join([*(f"{m:,}" for m in sizes),
                                               *(f"{b / a:.1f}" for a, b in pairwise(sizes))]) + " |")
    for name, value in runs[0]["metrics"].items():
        if isinstance(value, dict) and all(name in run["metrics"] for run in runs[1:]):  # search_keys: a list
            medians = [median_of(value), *(median_of(run["metrics"][name]) for run in runs[1:])]
            lines.append(f"| {name} | " + " | ".join([*(f"{m:,.3g}" for m in medians),
                                                       *(growth(a, b) for a, b in pairwise(medians))]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--compare"]:  # --compare SMALLEST.json ... LARGEST.json
        if len(argv) < 3:
            print("--compare needs two or more JSON files, smallest dataset first", file=sys.stderr)
            return 2
        print(compare([json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:]]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--skip", default="", help=f"comma-separated steps to leave out, of {','.join(STEPS)}")
    parser.add_argument("--ledger-rows", type=int, default=LEDGER_ROWS)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}: run python benchmarks/generate.py first", file=sys.stderr)
        return 2
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(STEPS):
        parser.error(f"unknown steps: {', '.join(sorted(skip - set(STEPS)))}")
    report = measure(args.db, args.repeat, args.warmup, set(STEPS) - skip, args.ledger_rows)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
