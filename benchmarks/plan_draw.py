"""The 双随机 draw over a county: 30,000 tenants, 50 inspectors, pairs of two.

    python benchmarks/plan_draw.py [--tenants 30000] [--inspectors 50] [--ratio 0.1] [--count 5] [--json]

Metrics (docs/PERFORMANCE.md, section "Inspection plans: the draw", has the figures):

draw_ms       `run_draw` from the canonical register bytes: parse, a sha256 key per tenant, the
              weighted selection, the pairing with recusals (one declared conflict per inspector,
              inspectors kept from their home street) — median over --count runs
register_ms   `canonical_register` + its sha256: the bytes the 公示 list's hash is of, median
verify_ms     a second `run_draw` and the comparison `plan verify` makes, median
register_kb   size of the register, and zlib-compressed as the draw row keeps it
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"draw_ms": "<= 1000"}


def county(tenants: int, inspectors: int):
    from db.ids import new_id
    from inspect_app.services.plan_draw import FACTORS, Candidate, Pairing

    streets = [f"街道{n}" for n in range(12)]
    candidates = []
    for n in range(tenants):
        # A spread of risk: every 7th class A, every 5th class B, every 11th with people living on site …
        factors = {"class_a": n % 7 == 0, "class_b": n % 5 == 0, "people_living": n % 11 == 0,
                   "open_hazards": n % 4, "overdue_hazards": n % 13 == 0, "repeat_findings": n % 17 == 0,
                   "never_inspected": n % 3 == 0, "zombie": n % 29 == 0, "declining": n % 19 == 0}
        candidates.append(Candidate(new_id(), f"park-{n % 60:03d}", streets[n % 12],
                                    tuple(int(factors[f]) for f in FACTORS)))
    people = [(new_id(), streets[k % 12]) for k in range(inspectors)]
    recused = frozenset((people[k][0], candidates[k * 97 % tenants].tenant_id) for k in range(inspectors))
    return candidates, Pairing(inspectors=tuple(sorted(people)), recused=recused)


def main(argv: list[str] | None = None) -> int:
    from inspect_app.services import plan_draw
    from inspect_app.services.plan_draw import DEFAULT_WEIGHTS, Parameters

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=30_000)
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--ratio", type=float, default=0.1)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    candidates, pairing = county(args.tenants, args.inspectors)
    parameters = Parameters(weights=dict(DEFAULT_WEIGHTS), count=None, ratio=args.ratio, per_task=2,
                            recuse_own_street=True)
    register_times, draw_times, verify_times = [], [], []
    register = b""
    drawn = []
    for run in range(args.count):
        started = time.perf_counter()
        register = plan_draw.canonical_register(candidates)
        plan_draw.sha256_hex(register)
        register_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        drawn = plan_draw.run_draw(register, parameters, pairing, f"2027Q1-{run}")
        draw_times.append((time.perf_counter() - started) * 1000)
        kept = plan_draw.result_json(drawn)
        started = time.perf_counter()
        assert plan_draw.result_json(plan_draw.run_draw(register, parameters, pairing, f"2027Q1-{run}")) == kept
        verify_times.append((time.perf_counter() - started) * 1000)
    results = {"tenants": args.tenants, "inspectors": args.inspectors, "drawn": len(drawn),
               "draw_ms": round(statistics.median(draw_times), 1),
               "register_ms": round(statistics.median(register_times), 1),
               "verify_ms": round(statistics.median(verify_times), 1),
               "register_kb": round(len(register) / 1024), "register_zlib_kb": round(len(zlib.compress(register, 9)) / 1024)}
    if args.json:
        print(json.dumps(results))
    else:
        for name, value in results.items():
            print(f"{name:18} {value}{'  (target ' + TARGETS[name] + ')' if name in TARGETS else ''}")
    return 0 if results["draw_ms"] <= 1000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
