"""Sync, device side: reading the outbox, a first sync applied page by page, the same pages again
(all duplicates), and a bundle export + import; a table or JSON.

    python benchmarks/sync_apply.py [--parks 30] [--tenants-per-park 100] [--seed 2026] [--json]

Device A gets demo data (`generate_demo`, fixed seed: parks, tenants, inspections, hazards, audit
events); its whole outbox is then applied on a fresh device B in pages of 1000 (the hub's page
size), as a first pull would. Metrics (docs/PERFORMANCE.md, section "Sync"):

changes            how many changes A's outbox holds
outbox_s           outbox_page over the whole outbox
apply_s            apply_page, pages of 1000, onto an empty device (per change: ms_per_change)
duplicates_s       the same pages again: every change is recognised and skipped
bundle_export_s    export_bundle of A
bundle_import_s    import_bundle of that file into another empty device
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.store import Store  # noqa: E402
from inspect_app.services.demo import generate_demo  # noqa: E402
from inspect_app.sync.apply import apply_page  # noqa: E402
from inspect_app.sync.bundle import export_bundle, import_bundle  # noqa: E402
from inspect_app.sync.changes import outbox_page  # noqa: E402

PAGE = 1000


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def measure(folder: Path, parks: int, tenants_per_park: int, seed: int) -> dict:
    a, b, c = (Store.open(folder / f"{name}.db") for name in "abc")
    try:
        generate_demo(a, parks=parks, tenants_per_park=tenants_per_park, seed=seed)
        changes, outbox_s = timed(outbox_page, a, 0, 2**62)
        pages = [changes[i:i + PAGE] for i in range(0, len(changes), PAGE)]
        _, apply_s = timed(lambda: [apply_page(b, page) for page in pages])
        _, duplicates_s = timed(lambda: [apply_page(b, page) for page in pages])
        _, export_s = timed(export_bundle, a, folder / "a.zip")
        _, import_s = timed(import_bundle, c, folder / "a.zip")
    finally:
        for store in (a, b, c):
            store.close()
    return {"changes": len(changes), "outbox_s": round(outbox_s, 3), "apply_s": round(apply_s, 3),
            "ms_per_change": round(apply_s * 1000 / max(len(changes), 1), 3),
            "duplicates_s": round(duplicates_s, 3), "bundle_export_s": round(export_s, 3),
            "bundle_import_s": round(import_s, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", type=int, default=30)
    parser.add_argument("--tenants-per-park", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        report = measure(Path(folder), args.parks, args.tenants_per_park, args.seed)
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name:<18}{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
