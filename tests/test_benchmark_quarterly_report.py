"""benchmarks/quarterly_report.py keeps working (on a tiny dataset). No timing is asserted: the
figures on the 30,000-tenant dataset are in docs/PERFORMANCE.md."""

from __future__ import annotations

import json

from tests.test_benchmark_overview import script


def test_quarterly_report_benchmark_runs_on_a_tiny_dataset(tmp_path):
    db = tmp_path / "tiny.db"
    script("benchmarks/generate.py", "--parks", "2", "--tenants-per-park", "5", "--out", str(db))
    out = json.loads(script("benchmarks/quarterly_report.py", "--db", str(db), "--repeat", "1", "--json"))
    assert out["dataset"]["parks"] == 2 and out["dataset"]["quarter"] == "2026Q3"
    assert out["files"]["county_pdf_pages"] >= 2 and out["files"]["park_pdf_pages"] >= 2
    assert set(out["metrics"]) == {"county_report_data_ms", "county_xlsx_ms", "county_pdf_ms", "park_report_ms"}
