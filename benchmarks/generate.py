"""Make the benchmark database: 300 parks x 100 tenants (30,000 tenants) of demo data.

    python benchmarks/generate.py [--parks 300] [--tenants-per-park 100] [--seed 2026]
                                  [--today 2026-11-26] [--hazards N] [--inspections N]
                                  [--out benchmarks/out/bench.db] [--force]

The data comes from `inspect_app.services.demo.generate_demo` (the same code as `parkinspect demo`),
with a fixed seed and a fixed "today", so every run holds the same names, codes and hazard
statuses (only the UUID keys and clock stamps differ). An inspector profile is saved too, so the
app opens on the park list without the first-run dialog.

`--hazards N` (the benchmark dataset uses 20000) inspects in-park tenants again, with the demo's
own inspection and hazard code (`add_tenant_inspections`), until the database holds about N
hazards: the demo alone gives ~9,500 at 30,000 tenants, the hazards view is measured at ~20,000.

`--inspections N` (the issue's 1x shape: 100000) then adds finished tenant inspections in which
every item passed, until the database holds N inspections: most real inspections find nothing,
so 100,000 inspections come with ~20,000 hazards, not 100,000. Scale runs multiply all four:
`--parks 3000 --hazards 200000 --inspections 1000000 --out benchmarks/out/bench-10x.db` is 10x.

Next to the database, `<out>.json` records how it was made; `run.py` reads "today" from it. When
the file already holds the requested parks and tenants the script does nothing (use --force to
make it again).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "benchmarks" / "out" / "bench.db"
DEFAULT_TODAY = "2026-11-26"
INSPECTOR = {"name": "李明", "id_number": "33048220190012", "agency": "平湖市经济和信息化局"}


def meta_path(db: Path) -> Path:
    return db.with_name(db.name + ".json")


def read_meta(db: Path) -> dict:
    try:
        return json.loads(meta_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def existing_size(db: Path) -> tuple[int, int] | None:
    """(parks, live tenants) in an existing database, or None when it cannot be read."""
    if not db.exists():
        return None
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            parks = conn.execute("SELECT count(*) FROM park WHERE deleted = 0").fetchone()[0]
            tenants = conn.execute("SELECT count(*) FROM tenant WHERE deleted = 0").fetchone()[0]
    except sqlite3.Error:
        return None
    return parks, tenants


def remove_db(db: Path) -> None:
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), meta_path(db)):
        path.unlink(missing_ok=True)
    for backup in db.parent.glob(db.name + ".before-*.bak"):
        backup.unlink()


CLEAN_INSPECTIONS_PER_TRANSACTION = 500


def add_clean_inspections(store, *, inspections: int, seed: int, today: date) -> int:
    """Finished tenant inspections with no failed item, until the database holds `inspections`.

    Same rows as the demo's inspections (checklist, check results, the park's team), built by its
    DemoBuilder; in-park tenants in turn, in a seeded order. Returns how many were added.
    """
    import random

    from sqlmodel import func, select

    from db.models import Inspection
    from inspect_app.services.demo import CHECKLIST_ITEM_CODES, DemoBuilder, ParkRows, inspection_candidates

    builder = DemoBuilder(random.Random(seed), today)
    with store.read() as session:
        have = session.exec(select(func.count()).select_from(Inspection).where(Inspection.deleted == False)).one()  # noqa: E712
        parks, tenants, teams = inspection_candidates(session)
    builder.rng.shuffle(tenants)
    wanted = max(0, inspections - have)
    if not tenants:
        return 0
    added = 0
    rows = ParkRows()
    for number in range(wanted):
        tenant = tenants[number % len(tenants)]
        found_on = today - timedelta(days=builder.rng.randint(1, 720))
        inspection = builder.inspection(parks[tenant.park_id], tenant, teams[tenant.park_id], found_on)
        outcomes = {code: "pass" for code in CHECKLIST_ITEM_CODES}
        builder.inspection_rows(rows, inspection, outcomes, [], tenant=tenant, buildings=())
        if len(rows.inspections) >= CLEAN_INSPECTIONS_PER_TRANSACTION or number == wanted - 1:
            with store.transaction() as session:
                rows.write(session)
            added += len(rows.inspections)
            rows = ParkRows()
    return added


def generate(
    db: Path,
    *,
    parks: int,
    tenants_per_park: int,
    seed: int,
    today: date,
    hazards: int | None = None,
    inspections: int | None = None,
    force: bool = False,
) -> dict:
    """Make the database unless it already has the requested size; return what was done."""
    wanted = (parks, parks * tenants_per_park)
    meta = read_meta(db)
    if (
        not force
        and existing_size(db) == wanted
        and meta.get("seed") == seed
        and meta.get("today") == str(today)
        and meta.get("hazards_asked") == hazards
        and meta.get("inspections_asked") == inspections
    ):
        return {**meta, "skipped": True}

    from db.store import Store
    from forms.inspector import InspectorInput
    from inspect_app.services.demo import add_tenant_inspections, generate_demo
    from inspect_app.services.profile import save_profile

    remove_db(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = Store.open(db)
    try:
        counts = generate_demo(store, parks=parks, tenants_per_park=tenants_per_park, seed=seed, today=today)
        demo_seconds = time.perf_counter() - started
        added = None
        if hazards is not None:
            # Its own random stream (seed + 1), so the demo part stays the same with or without it.
            added = add_tenant_inspections(store, hazards=hazards, seed=seed + 1, today=today)
            counts["inspections"] += added["inspections"]
            counts["hazards"] += added["hazards"]
        clean = None
        if inspections is not None:
            clean = add_clean_inspections(store, inspections=inspections, seed=seed + 2, today=today)
            counts["inspections"] += clean
        save_profile(store, InspectorInput(**INSPECTOR))
        with store.engine.connect() as conn:  # fold the WAL into the file so its size is the real one
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    seconds = time.perf_counter() - started
    meta = {
        "parks": parks,
        "tenants_per_park": tenants_per_park,
        "seed": seed,
        "today": str(today),
        "hazards_asked": hazards,
        "added_for_hazards": added,  # inspections and hazards add_tenant_inspections wrote
        "inspections_asked": inspections,
        "added_clean_inspections": clean,  # all-pass inspections add_clean_inspections wrote
        "generate_s": round(seconds, 1),
        "demo_s": round(demo_seconds, 1),  # generate_demo alone, without --hazards and the profile
        "size_mb": round(db.stat().st_size / 1e6, 1),
        "counts": counts,
    }
    meta_path(db).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return {**meta, "skipped": False}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parks", type=int, default=300)
    parser.add_argument("--tenants-per-park", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date.fromisoformat(DEFAULT_TODAY),
        help="the date the demo data is built around (default %(default)s)",
    )
    parser.add_argument(
        "--hazards",
        type=int,
        default=None,
        help="inspect tenants again until the database holds about this many hazards (benchmark: 20000)",
    )
    parser.add_argument(
        "--inspections",
        type=int,
        default=None,
        help="then add all-pass tenant inspections until the database holds this many (1x: 100000)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--force", action="store_true", help="make the database again even if it has the size"
    )
    args = parser.parse_args(argv)
    if args.parks < 1 or args.tenants_per_park < 1:
        parser.error("--parks and --tenants-per-park must be at least 1")

    result = generate(
        args.out,
        parks=args.parks,
        tenants_per_park=args.tenants_per_park,
        seed=args.seed,
        today=args.today,
        hazards=args.hazards,
        inspections=args.inspections,
        force=args.force,
    )
    size = f"{args.out.stat().st_size / 1e6:.1f} MB"
    if result["skipped"]:
        print(
            f"{args.out}: already {args.parks} parks x {args.tenants_per_park} tenants (seed {args.seed}), "
            f"{size}; made in {result.get('generate_s', '?')} s. --force to make it again."
        )
    else:
        counts = ", ".join(f"{k} {v:,}" for k, v in result["counts"].items())
        print(
            f"{args.out}: {args.parks} parks x {args.tenants_per_park} tenants (seed {args.seed}, today {args.today})"
        )
        print(f"  generated in {result['generate_s']:.1f} s, {size}")
        print(f"  rows: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
