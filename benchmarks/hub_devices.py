"""Ten devices against one hub on loopback: each pushes a few hundred changes of its own and pulls
the others'; prints JSON (docs/PERFORMANCE.md, section "Scale").

    python benchmarks/hub_devices.py [--devices 10] [--tenants 200] [--edits 50]

The hub runs in its own process (uvicorn, a SQLite file; benchmarks/sync.py's Hub). Each device is
an empty database of this process with an enrolled token, that writes one park with `--tenants`
tenants and then edits `--edits` of them (each edit also writes its audit event). Then:

round_1   the ten devices call sync_once at the same time (one thread each): every push, and a
          pull of what the others had pushed so far (a never-synced device starts from the hub's
          snapshot)
round_2   the same again: every device pulls what the others pushed in round 1
          (more rounds only if a device is still missing something - reported as `rounds`)

Reported: each round's wall time, every sync_once's time (median, max), the hub's change count,
and per synced table the row count and a hash of every row (all columns but
the local updated_at stamp) on each device: the
devices must be identical ("identical": true).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAX_ROUNDS = 4


def write_device(store, number: int, tenants: int, edits: int) -> None:
    """One park of `tenants` tenants, then `edits` of them renamed (one transaction each)."""
    from db.models import Park, Tenant
    from forms import credit_code

    with store.transaction() as session:
        park = Park(code=f"HD-{number:03d}", name=f"多设备园区{number}", district="平湖市", street="当湖街道",
                    function_type="manufacturing", developer_type="government", land_area_mu=10,
                    floor_area_m2=50000)
        session.add(park)
        session.flush()
        rows = [Tenant(park_id=park.id, name=f"设备{number}企业{n}",
                       credit_code=credit_code.complete(f"91330482{number * 10_000 + n:08d}"),
                       rented_area_m2=100 + n, headcount=5, scale="below", lease_use="production")
                for n in range(tenants)]
        session.add_all(rows)
    rng = random.Random(number)
    for tenant in rng.sample(rows, min(edits, len(rows))):
        with store.transaction() as session:
            session.get(Tenant, tenant.id).contact_name = f"联系人{number}"


def outbox(store) -> int:
    with store.read_connection() as conn:
        return conn.execute("SELECT count(*) FROM change_log").fetchone()[0]


def fingerprint(store) -> dict[str, tuple[int, str]]:
    """Per synced table: (rows, sha256 of every row's columns in id order).

    Without updated_at: each device stamps it with its own clock when it writes or applies a
    change (db/changelog.py STAMP_FIELDS); hlc and origin_device, which order the edits, are in."""
    from db.models import SYNCED_TABLES

    result = {}
    with store.read_connection() as conn:
        for name, model in sorted(SYNCED_TABLES.items()):
            columns = ", ".join(f'"{c.name}"' for c in model.__table__.columns if c.name != "updated_at")
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(f'SELECT {columns} FROM "{name}" ORDER BY id'):
                digest.update(repr(tuple(row)).encode())
                count += 1
            result[name] = (count, digest.hexdigest()[:16])
    return result


def timed_sync(device) -> tuple[float, int, int]:
    """(seconds, changes pushed, changes pulled) of one sync_once."""
    from inspect_app.sync.client import sync_once

    store, base, token = device
    started = time.perf_counter()
    summary = sync_once(store, base, token, timeout=120)
    return time.perf_counter() - started, summary.pushed, summary.pulled


def measure(devices: int, tenants: int, edits: int) -> dict:
    from sqlalchemy import func, select

    from benchmarks.sync import Hub
    from db.store import Store
    from inspect_app.hub.storage import change

    report: dict = {"devices": devices, "tenants_per_device": tenants, "edits_per_device": edits}
    with tempfile.TemporaryDirectory(prefix="parkinspect-hub-devices-") as scratch:
        folder = Path(scratch)
        hub = Hub(folder, "hub.db")
        stores = []
        try:
            hub.start()
            for number in range(1, devices + 1):
                store = Store.open(folder / f"dev-{number}.db")
                write_device(store, number, tenants, edits)
                stores.append((store, hub.base, hub.enrol(f"device-{number}")))
            report["changes_per_device"] = [outbox(s) for s, _, _ in stores]
            rounds, per_sync, moved = [], [], []
            with ThreadPoolExecutor(max_workers=devices) as pool:
                for _ in range(MAX_ROUNDS):
                    started = time.perf_counter()
                    syncs = list(pool.map(timed_sync, stores))
                    rounds.append(round(time.perf_counter() - started, 2))
                    per_sync.append([seconds for seconds, _, _ in syncs])
                    moved.append({"pushed": sum(s[1] for s in syncs), "pulled": sum(s[2] for s in syncs)})
                    prints = [fingerprint(s) for s, _, _ in stores]
                    if len(rounds) >= 2 and all(p == prints[0] for p in prints):
                        break
            report["rounds"] = len(rounds)
            report["round_wall_s"] = rounds
            report["sync_once_s"] = [{"median": round(statistics.median(s), 2), "max": round(max(s), 2)}
                                     for s in per_sync]
            report["round_changes"] = moved  # all devices together (a snapshot's rows count as pulled)
            report["total_s"] = round(sum(rounds), 2)
            with hub.engine.connect() as conn:
                report["hub_changes"] = conn.execute(select(func.count()).select_from(change)).scalar_one()
            report["identical"] = all(p == prints[0] for p in prints)
            report["tables"] = {name: {"rows": rows, "sha256": digest} for name, (rows, digest) in prints[0].items()
                                if rows}
        finally:
            hub.stop()
            for store, _, _ in stores:
                store.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args(argv)
    report = measure(args.devices, args.tenants, args.edits)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
