"""What the hub's validation of every change costs: push throughput with and without it, in one run.

    python benchmarks/hub_push.py [--parks 10] [--tenants 50] [--rounds 3] [--json]

A demo device database (the same code as `parkinspect demo`) is made in a temporary folder; its
outbox (every insert of a county's first sync, plus the profile) is pushed in batches of 500 into
a fresh SQLite hub, in process, by `PushApplier.run` inside one transaction per batch, as
`POST /push` does — without HTTP and JSON, so the figure is the hub's own work and the share the
validation takes of it is not diluted by the network. Two appliers alternate over `--rounds`:

with_validation      the hub as built: the rules of inspect_app/sync/protocol.py (types, zones, NOT
                     NULL, unique keys against `unique_key`, parents in the row's park, ownership)
without_validation   the checks the hub made before those rules: table, hlc, value types, the row's
                     park (what scoping needs) — no unique keys, references or NOT NULL

Reported: changes/s of each (median of the rounds) and `validation_cost` = 1 − with / without.
Figures in docs/PERFORMANCE.md ("Hub push validation").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 500


def make_outbox(folder: Path, parks: int, tenants: int) -> list[list]:
    """The demo device's outbox as WireChange batches (parsed once, as FastAPI would)."""
    from db.store import Store
    from inspect_app.services.demo import generate_demo
    from inspect_app.sync.changes import outbox_page
    from inspect_app.sync.protocol import WireChange

    store = Store.open(folder / "device.db")
    try:
        generate_demo(store, parks=parks, tenants_per_park=tenants, seed=7)
        batches, after = [], 0
        while page := outbox_page(store, after, BATCH):
            batches.append([WireChange.model_validate(change) for change in page])
            after = page[-1]["device_seq"]
    finally:
        store.close()
    return batches


def appliers():
    from db.clock import is_valid
    from db.models import SYNCED_TABLES
    from db.wire_values import payload_problem
    from inspect_app.hub import push
    from inspect_app.sync.protocol import RULES

    class WithoutValidation(push.PushApplier):
        """The hub's checks before the rules table: enough to place a row in its park."""

        def __init__(self, conn, hub_device):
            super().__init__(conn, hub_device)
            self.keys.load = lambda keys: None  # no unique keys read or kept

        def check(self, item):
            if item.table not in RULES:
                raise push.Refused("unknown_table", item.table)
            if not is_valid(item.hlc, item.device_id):
                raise push.Refused("bad_hlc", item.hlc)
            problem = payload_problem(SYNCED_TABLES[item.table].__table__, item.payload)
            if problem:
                raise push.Refused("bad_value", problem)
            state = self.cache.get(item.table, item.row_id)
            values = {**(state.values if state is not None else {}), **item.payload}
            park, _placed = self.park_of(RULES[item.table], item, state, values)
            return push.Checked(state=state, park=park, keys_before={}, keys_after={})

    return {"with_validation": push.PushApplier, "without_validation": WithoutValidation}


def push_all(folder: Path, name: str, applier, batches: list[list]) -> float:
    """Seconds to push every batch into a new hub file."""
    from sqlalchemy import select

    from inspect_app.hub.storage import _device, device, enrol_device, open_engine

    engine = open_engine(f"sqlite:///{folder / f'{name}.db'}")
    try:
        enrolled, _token = enrol_device(engine, "bench")
        with engine.begin() as conn:
            hub_device = _device(conn.execute(select(device).where(device.c.id == enrolled.id)).one())
        started = time.perf_counter()
        for batch in batches:
            with engine.begin() as conn:
                result = applier(conn, hub_device).run(batch)
                assert not result.rejected, result.rejected[:3]
        return time.perf_counter() - started
    finally:
        engine.dispose()


def run(parks: int, tenants: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        batches = make_outbox(folder, parks, tenants)
        changes = sum(len(batch) for batch in batches)
        kinds = appliers()
        seconds: dict[str, list[float]] = {name: [] for name in kinds}
        for number in range(rounds):
            for name, applier in kinds.items():  # alternated, so drift hits both alike
                seconds[name].append(push_all(folder, f"{name}-{number}", applier, batches))
    per_s = {name: changes / statistics.median(values) for name, values in seconds.items()}
    return {"changes": changes, "rounds": rounds,
            "with_validation_per_s": round(per_s["with_validation"]),
            "without_validation_per_s": round(per_s["without_validation"]),
            "validation_cost": round(1 - per_s["with_validation"] / per_s["without_validation"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", type=int, default=10)
    parser.add_argument("--tenants", type=int, default=50, help="tenants per park")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.parks, args.tenants, args.rounds)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:26} {value}")


if __name__ == "__main__":
    main()
