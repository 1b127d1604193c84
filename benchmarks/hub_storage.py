"""What the hub stores per accepted change: bytes per change overall and per table and index.

    python benchmarks/hub_storage.py [--parks 6] [--tenants 40] [--seed 2026] [--json]
    python benchmarks/hub_storage.py --db benchmarks/out/bench.db [--limit N]   # generate.py's dataset

The dataset is a demo device database (the same code as `parkinspect demo`, its defaults) made in a
temporary folder, or with `--db` an existing device database (read-only) such as the one
benchmarks/generate.py writes. Its outbox is pushed in batches of 500 into a fresh SQLite hub, in
process, by `PushApplier.run` inside one transaction per batch, as `POST /push` does. The hub file
is then VACUUMed and measured with SQLite's `dbstat` (pages in use, per table and per index).

Reported: `bytes_per_change` (the whole file ÷ accepted changes), the same per table and index
(`per_change`), and `snapshot_rows_per_s`: how fast the hub serves a first sync's pages
(`snapshot_page` of every table for a device of every park, best of 3), so that a smaller hub is
not bought with a slower first sync. Figures in docs/PERFORMANCE.md ("Hub storage").
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 500
SNAPSHOT_PAGE = 5000  # the device's page size (sync/snapshot.py)


def demo_outbox(folder: Path, parks: int, tenants: int, seed: int):
    """The outbox of a new demo device database, in batches of wire changes."""
    from db.store import Store
    from inspect_app.services.demo import generate_demo
    from inspect_app.sync.changes import outbox_page
    from inspect_app.sync.protocol import WireChange

    store = Store.open(folder / "device.db")
    try:
        generate_demo(store, parks=parks, tenants_per_park=tenants, seed=seed)
        after = 0
        while page := outbox_page(store, after, BATCH):
            yield [WireChange.model_validate(change) for change in page]
            after = page[-1]["device_seq"]
    finally:
        store.close()


def file_outbox(db: Path, limit: int | None):
    """An existing device database's change log (read-only), in batches of wire changes."""
    from benchmarks.sync import read_outbox
    from inspect_app.sync.protocol import WireChange

    for page in read_outbox(db, limit):
        yield [WireChange.model_validate(change) for change in page]


def push(hub_file: Path, batches) -> tuple[int, object]:
    """Push every batch into a new hub; how many changes it accepted, and the hub device."""
    from sqlalchemy import select

    from inspect_app.hub.push import PushApplier
    from inspect_app.hub.storage import _device, device, enrol_device, open_engine

    engine = open_engine(f"sqlite:///{hub_file}")
    try:
        enrolled, _token = enrol_device(engine, "bench")
        with engine.begin() as conn:
            hub_device = _device(conn.execute(select(device).where(device.c.id == enrolled.id)).one())
        accepted = 0
        for batch in batches:
            with engine.begin() as conn:
                result = PushApplier(conn, hub_device, max_clock_skew_ms=10 ** 15).run(batch)
            if result.rejected:
                raise SystemExit(f"the hub refused changes of the dataset: {result.rejected[:3]}")
            accepted += result.accepted
        return accepted, hub_device
    finally:
        engine.dispose()


def measure(hub_file: Path, changes: int) -> dict:
    """VACUUM the hub file, then its bytes per change: overall, per table and per index."""
    conn = sqlite3.connect(hub_file)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("VACUUM")
        per_name = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
        rows = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    size = hub_file.stat().st_size
    return {
        "changes": changes,
        "rows": {name: count for name, count in rows.items() if count},
        "file_bytes": size,
        "bytes_per_change": round(size / changes, 1),
        "per_change": {
            (name if owners.get(name, name) == name else f"{owners[name]}.{name}"): round(used / changes, 1)
            for name, used in per_name
        },
    }


def snapshot_rate(hub: Path | str, hub_device, repeat: int = 3) -> dict:
    """Rows per second the hub serves a first sync at (every table, pages of 5000), best of `repeat`;
    `hub` a SQLite file or a database URL (benchmarks/hub_province.py: PostgreSQL)."""
    from inspect_app.hub.snapshot import snapshot_page, snapshot_tables
    from inspect_app.hub.storage import open_engine

    engine = open_engine(hub if "://" in str(hub) else f"sqlite:///{hub}")
    best, rows, size = None, 0, 0
    try:
        for _ in range(repeat):
            rows, size, took = 0, 0, 0.0
            with engine.connect() as conn:
                for table in snapshot_tables():
                    after, more = "", True
                    while more:
                        started = time.perf_counter()  # the hub's work only, not the parse below
                        page = snapshot_page(conn, hub_device, table, after, SNAPSHOT_PAGE)
                        took += time.perf_counter() - started
                        head = json.loads(page)
                        rows, size = rows + len(head["rows"]), size + len(page)
                        after, more = head["next_row"], head["has_more"]
            best = took if best is None else min(best, took)
    finally:
        engine.dispose()
    return {"snapshot_rows": rows, "snapshot_bytes": size, "snapshot_rows_per_s": round(rows / best)}


def run(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.db:
            batches = file_outbox(Path(args.db), args.limit)
        else:
            batches = demo_outbox(folder, args.parks, args.tenants, args.seed)
        hub_file = folder / "hub.db"
        changes, hub_device = push(hub_file, batches)
        figures = measure(hub_file, changes)
        figures.update(snapshot_rate(hub_file, hub_device))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", type=int, default=6)
    parser.add_argument("--tenants", type=int, default=40, help="tenants per park")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", help="a device database to push instead of a new demo (read-only)")
    parser.add_argument("--limit", type=int, help="with --db: only the first N changes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"changes            {figures['changes']:,}")
    print(f"file_bytes         {figures['file_bytes']:,}")
    print(f"bytes_per_change   {figures['bytes_per_change']:,}")
    print(f"snapshot_rows_per_s {figures['snapshot_rows_per_s']:,} ({figures['snapshot_rows']:,} rows, "
          f"{figures['snapshot_bytes']:,} bytes)")
    print("per change, by table and index:")
    for name, used in figures["per_change"].items():
        print(f"  {name:40} {used:8,.1f}")


if __name__ == "__main__":
    main()
