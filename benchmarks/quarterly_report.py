"""Quarterly report timings on the 30,000-tenant database: the county's and the largest park's.

    python benchmarks/generate.py --hazards 20000   # once: benchmarks/out/bench.db, 300 parks x 100 tenants
    python benchmarks/quarterly_report.py [--db benchmarks/out/bench.db] [--repeat 3] [--json]

Metrics (medians; the files go to a temporary folder and are removed):

county_report_data_ms   services.quarterly_report.county_report: the county overview plus every
                        flagged tenant's flags in words (plain data, no file)
county_xlsx_ms          exports.quarterly_report_xlsx: the county workbook from that data
county_pdf_ms           exports.quarterly_report_pdf: the county PDF from that data
park_report_ms          the largest park's report, data and both files

"Today" is the one generate.py recorded next to the database (2026-11-26).
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.overview import DEFAULT_DB, dataset_today, timed  # noqa: E402

PAGE_OBJECT = re.compile(rb"/Type /Page\b(?!s)")


def pdf_pages(path: Path) -> int:
    return len(PAGE_OBJECT.findall(path.read_bytes()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}: run python benchmarks/generate.py first", file=sys.stderr)
        return 2

    from db.store import Store
    from exports.quarterly_report_pdf import write_report_pdf
    from exports.quarterly_report_xlsx import write_report_xlsx
    from inspect_app.config import RiskFlagThresholds
    from inspect_app.services.quarterly_report import county_report, park_report, write_report

    today = dataset_today(args.db)
    thresholds = RiskFlagThresholds()  # the defaults, whatever this machine's config says
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as conn:
        largest = conn.execute("SELECT park_id, count(*) FROM tenant WHERE deleted = 0 AND status = 'in_park' "
                               "GROUP BY park_id ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
    store = Store.open(args.db, migrate=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            report = county_report(store, today=today, lang="zh_CN", thresholds=thresholds)
            metrics = {
                "county_report_data_ms": timed(lambda: county_report(store, today=today, lang="zh_CN",
                                                                     thresholds=thresholds), args.repeat),
                "county_xlsx_ms": timed(lambda: write_report_xlsx(report, out / "county.xlsx"), args.repeat),
                "county_pdf_ms": timed(lambda: write_report_pdf(report, out / "county.pdf"), args.repeat),
            }

            def park_files() -> None:
                park = park_report(store, largest[0], today=today, lang="zh_CN", thresholds=thresholds)
                write_report(park, out / "park.xlsx")
                write_report(park, out / "park.pdf")

            metrics["park_report_ms"] = timed(park_files, args.repeat)
            files = {"county_pdf_pages": pdf_pages(out / "county.pdf"), "park_pdf_pages": pdf_pages(out / "park.pdf"),
                     "county_xlsx_kb": round((out / "county.xlsx").stat().st_size / 1024),
                     "county_pdf_kb": round((out / "county.pdf").stat().st_size / 1024)}
    finally:
        store.close()

    summary = {
        "dataset": {"db": str(args.db), "today": today.isoformat(), "quarter": report.quarter,
                    "parks": len(report.parks), "flag_lines": len(report.flagged), "largest_park_tenants": largest[1]},
        "files": files,
        "metrics": {name: {"median": statistics.median(s), "min": min(s), "max": max(s), "samples": s}
                    for name, s in metrics.items()},
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        d, f = summary["dataset"], summary["files"]
        print(f"{d['parks']} parks, quarter {d['quarter']}, {d['flag_lines']:,} flags in words; "
              f"largest park {d['largest_park_tenants']} tenants")
        print(f"county PDF {f['county_pdf_pages']} pages ({f['county_pdf_kb']:,} KB), workbook {f['county_xlsx_kb']:,} KB;"
              f" park PDF {f['park_pdf_pages']} pages")
        print(f"{'metric':<24}{'median':>10}{'min':>10}{'max':>10}")
        for name, m in summary["metrics"].items():
            print(f"{name:<24}{m['median']:>10.1f}{m['min']:>10.1f}{m['max']:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
