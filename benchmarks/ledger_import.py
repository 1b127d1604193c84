"""Ledger import of a large park ledger (.xlsx): a dry run, a real import into a fresh database, and
a re-import of the same file onto itself; a table or JSON.

    python benchmarks/ledger_import.py [--rows 10000] [--repeat 3] [--seed 2026] [--json]

The file is made deterministically (seed) the way parks write theirs: a merged title row above the
header, header variants (企业名称, 租赁面积(㎡), 楼栋/房号 in one cell), units in cells (1200㎡, 35人),
a blank row and a subtotal row every 500 rows, a combined use (生产+仓储) now and then. Every row is
valid, so all of them are written. Each repeat uses a fresh database (Store.open + one park).

Metrics (docs/PERFORMANCE.md, section "Ledger import"):

read_s            load_sheet alone: openpyxl reads the sheet, the header is found
dry_run_s         import_ledger(dry_run=True) into the empty park: read + validate every row
import_s          import_ledger into the empty park: read + validate + one transaction writing every tenant
                  (with its change-log entry), target ≤ 10 s
reimport_dry_s    the same file again as a dry run onto the imported tenants: every row unchanged
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.models import Park  # noqa: E402
from db.store import Store  # noqa: E402
from forms import credit_code  # noqa: E402
from inspect_app.services.ledger_import import import_ledger, load_sheet  # noqa: E402

TARGET_IMPORT_S = 10.0
HEADER = ["序号", "企业名称", "统一社会信用代码", "负责人", "联系电话", "楼栋/房号", "租赁面积(㎡)", "员工人数",
          "企业规模", "承租用途", "主要风险点", "租期起", "租期止"]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
WORDS = ("精密", "机械", "电子", "箱包", "服装", "五金", "模具", "塑业", "纺织", "光电", "新材料", "汽配")
USES = ("生产", "仓储", "办公", "研发", "生产+仓储")
RISKS = ("动火作业", "粉尘", "易燃易爆品", "电气线路老化", "锂电池", "")


def make_ledger(path: Path, rows: int, seed: int) -> None:
    """A park's own ledger with `rows` tenants (see the module doc)."""
    import openpyxl

    rng = random.Random(seed)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["平湖市某某小微企业园园中园专项台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    for n in range(1, rows + 1):
        code = credit_code.complete(f"91330482{n:08d}")
        start_year = rng.randint(2019, 2025)
        risks = "、".join(sorted({rng.choice(RISKS) for _ in range(2)} - {""}))
        sheet.append([
            n, f"平湖市{rng.choice(WORDS)}{rng.choice(WORDS)}有限公司{n}", code,
            rng.choice(SURNAMES) + rng.choice(SURNAMES), f"13{rng.randint(100000000, 999999999)}",
            f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}{rng.randint(1, 20):02d}",
            f"{rng.randint(50, 5000)}㎡" if n % 3 else rng.randint(50, 5000), f"{rng.randint(1, 300)}人",
            "规上" if rng.random() < 0.13 else "规下", rng.choice(USES), risks,
            f"{start_year}-{rng.randint(1, 12):02d}-01", f"{start_year + rng.randint(2, 6)}-12-31",
        ])  # fmt: skip
        if n % 500 == 0:
            sheet.append([])
            sheet.append(["小计", None, None, None, None, None, None, None])
    workbook.save(path)


def fresh_store(folder: Path, name: str) -> Store:
    store = Store.open(folder / name)
    with store.transaction() as session:
        session.add(Park(code="BM-001", name="基准测试园区", district="平湖市", street="当湖街道",
                         function_type="manufacturing", developer_type="government", land_area_mu=100,
                         floor_area_m2=100000))  # fmt: skip
    return store


def timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def run(rows: int, repeat: int, seed: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"read_s": [], "dry_run_s": [], "import_s": [], "reimport_dry_s": []}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        ledger = folder / "ledger.xlsx"
        make_ledger(ledger, rows, seed)
        for attempt in range(repeat):
            store = fresh_store(folder, f"bench-{attempt}.db")
            try:
                seconds, _ = timed(lambda: load_sheet(ledger))
                samples["read_s"].append(seconds)
                seconds, report = timed(lambda s=store: import_ledger(s, ledger, dry_run=True))
                assert report.created == rows and not report.problems, report.problems[:3]
                samples["dry_run_s"].append(seconds)
                seconds, report = timed(lambda s=store: import_ledger(s, ledger))
                assert report.written and report.created == rows
                samples["import_s"].append(seconds)
                seconds, report = timed(lambda s=store: import_ledger(s, ledger, dry_run=True))
                assert report.unchanged == rows, (report.created, report.updated, report.unchanged)
                samples["reimport_dry_s"].append(seconds)
            finally:
                store.close()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    samples = run(args.rows, args.repeat, args.seed)
    if args.json:
        print(json.dumps({"rows": args.rows, "samples": samples}))
        return 0
    print(f"ledger import, {args.rows:,} rows, {args.repeat} runs")
    print(f"{'metric':<16}{'median':>9}{'min':>9}{'max':>9}  target")
    for name, values in samples.items():
        target = f"≤ {TARGET_IMPORT_S:g} s" if name == "import_s" else ""
        print(f"{name:<16}{statistics.median(values):>9.2f}{min(values):>9.2f}{max(values):>9.2f}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
