"""The quarterly grid of one large park: reading a quarter, opening the screen, switching quarter,
saving a row; and a quarterly export -> import round trip of the park; a table or JSON.

    python benchmarks/quarterly_grid.py [--tenants 300] [--repeat 5] [--seed 2026] [--json]

The park comes from the demo generator (one park, `--tenants` tenants, eight quarters of figures).
The screen is driven headless with Textual's Pilot at 80x24, today 2026-11-26 (so the grid opens on
2026 Q3, the last complete quarter).

Metrics (docs/PERFORMANCE.md, section "Quarterly grid"):

load_grid_ms      services.quarterly.load_grid: every tenant with its quarter, previous quarter and
                  the same quarter last year
open_ms           q pressed on the park list -> the grid filled (workers done, screen refreshed)
switch_ms         ] pressed -> the next quarter's grid filled
save_row_ms       Enter in a row's last cell -> the row checked, saved (one transaction) and marked ✓
export_s          quarterly export of the park (8 quarters) to .xlsx
import_dry_s      that file imported again as a dry run (every row matched, checked, unchanged)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.store import Store  # noqa: E402
from inspect_app.services.demo import generate_demo  # noqa: E402
from inspect_app.services.quarterly import load_grid  # noqa: E402
from inspect_app.services.quarterly_export import export_quarterly  # noqa: E402
from inspect_app.services.quarterly_import import import_quarterly  # noqa: E402

TODAY = date(2026, 11, 26)


async def _settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def drive_screen(store: Store, repeat: int) -> dict[str, list[float]]:
    from inspect_app.app import make_app
    from inspect_app.screens.quarterly import QuarterlyScreen

    times: dict[str, list[float]] = {"open_ms": [], "switch_ms": [], "save_row_ms": []}
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        if not isinstance(app.screen, QuarterlyScreen) and app.screen.__class__.__name__ == "ProfileScreen":
            await pilot.press("escape")
            await _settle(app, pilot)
        for n in range(repeat):
            started = time.perf_counter()
            await pilot.press("q")
            await _settle(app, pilot)
            times["open_ms"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await pilot.press("right_square_bracket")
            await _settle(app, pilot)
            times["switch_ms"].append((time.perf_counter() - started) * 1000)
            await pilot.press("left_square_bracket")
            await _settle(app, pilot)
            for text in (str(100 + n), "50000", "300", "4.5"):
                await pilot.press(*text, "enter")
            started = time.perf_counter()
            await pilot.press("enter")  # from the last cell to the next row: the row is checked and saved
            await _settle(app, pilot)
            times["save_row_ms"].append((time.perf_counter() - started) * 1000)
            await pilot.press("escape")
            await _settle(app, pilot)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.db")
        generate_demo(store, parks=1, tenants_per_park=args.tenants, seed=args.seed, today=TODAY)
        with store.read_connection() as conn:
            park_id, park_code = conn.execute("SELECT id, code FROM park").fetchone()
            reports = conn.execute("SELECT count(*) FROM quarterly_report").fetchone()[0]
        times: dict[str, list[float]] = {"load_grid_ms": [], "export_s": [], "import_dry_s": []}
        for _ in range(args.repeat):
            started = time.perf_counter()
            grid = load_grid(store, park_id, (2026, 3))
            times["load_grid_ms"].append((time.perf_counter() - started) * 1000)
        times.update(asyncio.run(drive_screen(store, args.repeat)))
        target = Path(folder) / "quarterly.xlsx"
        for _ in range(args.repeat):
            started = time.perf_counter()
            rows = export_quarterly(store, target, park_code=park_code)
            times["export_s"].append(time.perf_counter() - started)
            started = time.perf_counter()
            report = import_quarterly(store, target, dry_run=True)
            times["import_dry_s"].append(time.perf_counter() - started)
            assert report.problems == [] and report.unchanged == rows, report.problems[:3]
        store.close()

    summary = {
        "tenants_in_grid": len(grid.rows), "quarterly_reports": reports, "rows_exported": rows,
        **{name: {"median": round(statistics.median(v), 3), "min": round(min(v), 3), "max": round(max(v), 3)}
           for name, v in times.items()},
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    print(f"{len(grid.rows)} tenants in the grid, {reports} quarterly reports, {rows} rows exported")
    print(f"{'metric':<14} {'median':>9} {'min':>9} {'max':>9}")
    for name, value in summary.items():
        if isinstance(value, dict):
            print(f"{name:<14} {value['median']:>9} {value['min']:>9} {value['max']:>9}")


if __name__ == "__main__":
    main()
