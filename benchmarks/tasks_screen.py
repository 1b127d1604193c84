"""The task screen (今日任务) with 2,000 tasks: the time from opening it to its first rows shown.

    python benchmarks/tasks_screen.py [--tasks 2000] [--repeat 5] [--json]

Builds a device of 20 parks with 100 tenants each and 50 inspectors in a temporary folder, draws a
plan of `--tasks` tenants (services/plans.py, the real draw) and opens the screen headless with
Textual's Pilot; the figure is the median time from `push_screen` to the table's first rows
(the read runs in a thread worker: a screenful is read and added first, then every task, added
below it in chunks), and
`all_rows_ms` until every row is in the table. Target: first rows ≤ 100 ms.
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
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TODAY = date(2027, 2, 1)
PARKS, TENANTS_PER_PARK, INSPECTORS = 20, 100, 50


def build(folder: Path, tasks: int):
    from db.models import Inspector, Park, Tenant
    from db.store import Store
    from forms.inspector import InspectorInput
    from inspect_app.services.office_role import set_role
    from inspect_app.services.plans import PlanInput, create_plan, draw_plan
    from inspect_app.services.profile import save_profile
    from tests.test_hub import make_credit_code

    store = Store.open(folder / "tasks.db")
    with store.transaction() as session:
        serial = 0
        for p in range(PARKS):
            park = Park(code=f"PH-{p:03d}", name=f"园区{p:03d}", district="平湖市", street="当湖街道",
                        function_type="manufacturing", developer_type="government", land_area_mu=10,
                        floor_area_m2=5000)
            session.add(park)
            session.flush()
            for n in range(TENANTS_PER_PARK):
                serial += 1
                session.add(Tenant(park_id=park.id, name=f"企业{p:03d}-{n:03d}", credit_code=make_credit_code(serial),
                                   rented_area_m2=100, headcount=5, scale="below", lease_use="production",
                                   building=f"{n % 5 + 1}号楼", unit_no=f"{n % 6 + 1}{n % 20:02d}"))
        for n in range(INSPECTORS):
            session.add(Inspector(name=f"检查员{n:02d}", id_number="330482199001011234", agency="平湖市消防救援大队"))
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市消防救援大队"))
    set_role(store, "office")  # the draw is the office's; the screen shows every task on this device
    create_plan(store, PlanInput(name="2027年一季度", period="2027Q1", park_codes=[f"PH-{p:03d}" for p in range(PARKS)],
                                 count=tasks))
    draw_plan(store, "2027年一季度", "benchmark", today=TODAY)
    return store


async def first_rows_ms(store, repeat: int, tasks: int) -> tuple[list[float], list[float], int]:
    from inspect_app.app import make_app
    from inspect_app.screens.tasks import TasksScreen

    app = make_app(store, today=TODAY)
    samples, all_rows, shown = [], [], 0
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for _ in range(repeat):
            screen = TasksScreen()
            started = time.perf_counter()
            app.push_screen(screen)
            while not screen.is_mounted or not screen.query_one("#tasks").row_count:
                await asyncio.sleep(0.001)
            samples.append((time.perf_counter() - started) * 1000)
            while screen.query_one("#tasks").row_count < tasks:
                await asyncio.sleep(0.001)
            all_rows.append((time.perf_counter() - started) * 1000)
            shown = screen.query_one("#tasks").row_count
            app.pop_screen()
            await pilot.pause()
    return samples, all_rows, shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder), args.tasks)
        try:
            samples, all_rows, shown = asyncio.run(first_rows_ms(store, args.repeat, args.tasks))
        finally:
            store.close()
    summary = {"tasks": shown, "tasks_screen_first_rows_ms": round(statistics.median(samples), 1),
               "min_ms": round(min(samples), 1), "max_ms": round(max(samples), 1),
               "all_rows_ms": round(statistics.median(all_rows), 1)}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            print(f"{key:30} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
