"""Sync over HTTP: seeding a hub with the county dataset, a first sync to an empty device, an
incremental sync against a hub of 1,000,000 changes and against an empty hub, and the merge's
speed against plain SQLite inserts; a table or JSON.

    python benchmarks/generate.py          # once: benchmarks/out/bench.db (300 parks x 100 tenants)
    python benchmarks/sync.py [--db benchmarks/out/bench.db] [--limit N] [--work DIR] [--json]

The hub runs in its own process (uvicorn on 127.0.0.1, a SQLite hub file), as in an office; the
devices are this process. Metrics (docs/PERFORMANCE.md, section "Sync"):

changes                the dataset's outbox (its device's change_log, read-only)
seed_push_s            pushing that outbox to the empty hub in batches of 500 (the first
                       device's first sync)
first_sync_s           an empty device's first sync from that hub (snapshot + pull), by sync_once
first_sync_rows        rows it then holds
hub_changes_big        the hub's change count for the next metric (topped up with synthetic rows)
incremental_big_ms     median: one device pushes 10 changes (5 edits + their audit events), another pulls them (both sync_once), hub of 1M
incremental_small_ms   the same against a hub holding only a few hundred changes
apply_per_s            changes merged per second by apply_page (pages of 1000, empty device)
insert_per_s           the same rows by plain executemany INSERTs into an empty device
merge_vs_insert        insert_per_s / apply_per_s
snapshot_per_s         rows loaded per second by the first sync (HTTP and hub included)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db import search_key  # noqa: E402
from db.store import Store  # noqa: E402
from inspect_app.sync.changes import wire_change  # noqa: E402

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.db"
PUSH_BATCH = 500
BIG_HUB = 1_000_000


def read_outbox(db: Path, limit: int | None):
    """The dataset's change_log as wire changes, in pages (read-only: the file is not touched)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        after, taken = 0, 0
        while limit is None or taken < limit:
            size = PUSH_BATCH if limit is None else min(PUSH_BATCH, limit - taken)
            rows = conn.execute("SELECT seq, device_id, table_name, row_id, op, hlc, actor_id, payload, base "
                                "FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?", (after, size)).fetchall()
            if not rows:
                return
            yield [wire_change(*row) for row in rows]
            after, taken = rows[-1][0], taken + len(rows)
    finally:
        conn.close()


# --- the hub in its own process ------------------------------------------------------------------


def serve(url: str, port: int) -> None:
    import uvicorn

    from inspect_app.hub.app import create_app

    app = create_app(url, rate_per_second=1_000_000, burst=1_000_000)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


class Hub:
    def __init__(self, folder: Path, name: str):
        from inspect_app.hub.storage import open_engine

        self.url = f"sqlite:///{folder / name}"
        self.engine = open_engine(self.url)
        _add_snapshot_column(self.engine)
        self.process = None
        self.base = ""

    def enrol(self, name: str) -> str:
        from inspect_app.hub.storage import enrol_device

        return enrol_device(self.engine, name)[1]

    def start(self, port: int | None = None) -> None:
        """Serve the hub; `port`: the one it had before (devices know a hub by its address)."""
        import httpx

        from tests.hub_server import free_port

        port = port or free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", self.url, str(port)])
        for _ in range(600):
            try:
                if httpx.get(f"{self.base}/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the hub did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.engine.dispose()


def _add_snapshot_column(engine) -> None:
    """A hub seeded by an earlier version of this benchmark lacks row_state.snapshot: add and fill it."""
    from sqlalchemy import inspect, text

    from inspect_app.hub.snapshot import fill_snapshots

    if "snapshot" not in {c["name"] for c in inspect(engine).get_columns("row_state")}:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE row_state ADD COLUMN snapshot TEXT"))
        started = time.perf_counter()
        filled = fill_snapshots(engine)
        print(f"(filled row_state.snapshot of {filled} rows in {time.perf_counter() - started:.0f} s)", file=sys.stderr)


# --- measurements ------------------------------------------------------------------------------------


def seed(hub: Hub, db: Path, limit: int | None) -> tuple[int, float]:
    import httpx

    token = hub.enrol("county-dataset")
    count, started = 0, time.perf_counter()
    with httpx.Client(base_url=hub.base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        for batch in read_outbox(db, limit):
            answer = http.post("/api/v1/push", json={"changes": batch})
            answer.raise_for_status()
            rejected = answer.json()["rejected"]
            if rejected:
                raise RuntimeError(f"the hub refused {len(rejected)} changes: {rejected[:3]}")
            count += len(batch)
    return count, time.perf_counter() - started


def start_device(hub: Hub, store: Store, token: str) -> None:
    """A device's first sync: the snapshot when it is empty, then sync_once (push, pull from the
    snapshot's sequence, photos)."""
    import httpx

    from inspect_app.sync import snapshot
    from inspect_app.sync.client import sync_once

    if snapshot.needed(store, hub.base):
        with httpx.Client(base_url=hub.base + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                          timeout=120) as http:
            def request(method, path, **kwargs):
                response = http.request(method, path, **kwargs)
                response.raise_for_status()
                return response
            snapshot.load(store, hub.base, request)
    sync_once(store, hub.base, token)


def first_sync(hub: Hub, folder: Path, name: str) -> tuple[float, int, Store, str]:
    store = Store.open(folder / f"dev-{name}.db")  # migrations are not part of the sync
    token = hub.enrol(name)
    started = time.perf_counter()
    start_device(hub, store, token)
    elapsed = time.perf_counter() - started
    with store.read_connection() as conn:
        rows = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                   for t in ("park", "building", "tenant", "inspector", "inspection", "check_result", "hazard",
                             "rectification_item", "reinspection", "notice", "quarterly_report", "audit_event"))
    return elapsed, rows, store, token


def top_up(hub: Hub, total: int) -> int:
    """Synthetic changes of a device nobody pulls for, inserted in bulk, until the hub holds `total`."""
    from sqlalchemy import func, select

    from inspect_app.hub.storage import change, utc_now

    with hub.engine.begin() as conn:
        have = conn.execute(select(func.count()).select_from(change)).scalar_one()
        start = conn.execute(select(func.max(change.c.device_seq)).where(change.c.device_id == "filler")).scalar() or 0
        now = utc_now()
        for first in range(0, max(0, total - have), 50_000):
            rows = [{"device_id": "filler", "device_seq": start + first + i + 1, "table_name": "tenant",
                     "row_id": f"filler-{start + first + i}", "park_id": f"filler-park-{i % 300}", "op": "update",
                     "hlc": "1700000000000.00000.filler", "actor_id": None, "payload": {"name": "x"},
                     "base": {}, "received_at": now}
                    for i in range(min(50_000, total - have - first))]
            conn.execute(change.insert(), rows)
        return conn.execute(select(func.count()).select_from(change)).scalar_one()


def incremental(hub: Hub, writer: tuple[Store, str], reader: tuple[Store, str], repeat: int) -> float:
    """Median ms of: the writer edits 10 tenants and syncs, then the reader syncs (both in sync)."""
    from sqlmodel import select

    from db.models import Tenant
    from inspect_app.sync.client import sync_once

    (writer, writer_token), (reader, reader_token) = writer, reader
    sync_once(writer, hub.base, writer_token)
    sync_once(reader, hub.base, reader_token)
    with writer.read() as session:
        # 5 edits of audited rows = 10 changes (each edit + its audit event)
        tenants = [t.id for t in session.exec(select(Tenant).limit(5))]
    times = []
    for round_ in range(repeat):
        with writer.transaction() as session:
            for tenant_id in tenants:
                session.get(Tenant, tenant_id).contact_name = f"联系人{round_}"
        started = time.perf_counter()
        pushed = sync_once(writer, hub.base, writer_token)
        pulled = sync_once(reader, hub.base, reader_token)
        times.append((time.perf_counter() - started) * 1000)
        assert pushed.pushed == pulled.pulled == 10, (pushed, pulled)
    return statistics.median(times)


def merge_vs_insert(db: Path, folder: Path, count: int) -> tuple[float, float]:
    """Changes merged per second by apply_page vs plain executemany INSERTs of the same rows."""
    from inspect_app.sync.apply import apply_page
    from inspect_app.sync.snapshot import _convert_column, _converters

    changes = [c for batch in read_outbox(db, count) for c in batch if c["op"] == "insert"]
    target = Store.open(folder / "dev-apply.db")
    started = time.perf_counter()
    for start in range(0, len(changes), 1000):
        apply_page(target, changes[start:start + 1000])
    apply_s = time.perf_counter() - started
    target.close()

    plain = Store.open(folder / "dev-plain.db")
    from db.models import SYNCED_TABLES

    engine = plain.engine
    by_table: dict[str, list[list]] = {}
    started = time.perf_counter()
    conn = sqlite3.connect(plain.path)
    search_key.register(conn)  # the triggers of tenant_search call it on every tenant inserted
    for change in changes:
        table = SYNCED_TABLES[change["table"]].__table__
        values = {**change["payload"], "id": change["row_id"]}
        by_table.setdefault(change["table"], []).append([values.get(c.name) for c in table.columns])
    with conn:
        for name, rows in by_table.items():
            table = SYNCED_TABLES[name].__table__
            converters = _converters(table, engine.dialect)
            for index, column in enumerate(table.columns):
                if column.name in converters:
                    _convert_column(rows, index, *converters[column.name])
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            conn.executemany(f'INSERT INTO "{name}" ({columns}) VALUES ({", ".join("?" * len(table.columns))})', rows)
    insert_s = time.perf_counter() - started
    conn.close()
    plain.close()
    return len(changes) / apply_s, len(changes) / insert_s


def measure(db: Path, folder: Path, limit: int | None, repeat: int, seed_only: bool = False) -> dict:
    report: dict = {}
    run = time.strftime("%H%M%S")  # enrolment names of this run's devices
    for old in folder.glob("dev-*.db*"):
        old.unlink()
    hub = Hub(folder, "hub.db")
    small = None
    try:
        hub.start()
        seeded = folder / "seeded.json"  # with --work, a seeded hub is kept for the next run
        if not seeded.exists():
            count, seconds = seed(hub, db, limit)
            seeded.write_text(json.dumps({"changes": count, "seed_push_s": round(seconds, 1)}))
        report.update(json.loads(seeded.read_text()))
        if seed_only:
            return report
        elapsed, rows, fresh, fresh_token = first_sync(hub, folder, f"fresh-{run}")
        report["first_sync_s"], report["first_sync_rows"] = round(elapsed, 2), rows
        report["snapshot_per_s"] = round(rows / elapsed)
        hub.stop()
        report["hub_changes_big"] = top_up(hub, BIG_HUB if limit is None else 10 * limit)
        port = int(hub.base.rsplit(":", 1)[1])
        hub = Hub(folder, "hub.db")
        hub.start(port)  # the same address: the devices' cursors are kept per hub address
        _, _, other, other_token = first_sync(hub, folder, f"other-{run}")
        report["incremental_big_ms"] = round(incremental(hub, (fresh, fresh_token), (other, other_token), repeat), 1)
        fresh.close()
        other.close()

        for old in folder.glob("small-hub.db*"):
            old.unlink()
        small = Hub(folder, "small-hub.db")
        small.start()
        writer = Store.open(folder / f"dev-small-writer-{run}.db")
        from tests.test_hub import add_park

        for n in range(1, 21):
            add_park(writer, f"PH-{n:03d}", n=n)
        writer_token = small.enrol(f"small-writer-{run}")
        start_device(small, writer, writer_token)
        _, _, reader, reader_token = first_sync(small, folder, f"small-reader-{run}")
        report["hub_changes_small"] = top_up(small, 0)
        report["incremental_small_ms"] = round(
            incremental(small, (writer, writer_token), (reader, reader_token), repeat), 1)
        writer.close()
        reader.close()
    finally:
        hub.stop()
        if small is not None:
            small.stop()
    apply_per_s, insert_per_s = merge_vs_insert(db, folder, 50_000 if limit is None else limit)
    report["apply_per_s"], report["insert_per_s"] = round(apply_per_s), round(insert_per_s)
    report["merge_vs_insert"] = round(insert_per_s / apply_per_s, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve(argv[1], int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the dataset (benchmarks/generate.py)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N changes of its outbox")
    parser.add_argument("--repeat", type=int, default=5, help="incremental syncs to take the median of")
    parser.add_argument("--work", type=Path, default=None, help="folder for the hubs and devices (default: a temp dir)")
    parser.add_argument("--seed-only", action="store_true", help="with --work: only seed the hub (kept for later runs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"{args.db} is missing: run python benchmarks/generate.py first", file=sys.stderr)
        return 2
    folder = Path(args.work or tempfile.mkdtemp(prefix="parkinspect-sync-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        report = measure(args.db, folder, args.limit, args.repeat, args.seed_only)
    finally:
        if args.work is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name:<22}{value}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    sys.exit(main())
