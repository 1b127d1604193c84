"""benchmarks/scale.py and benchmarks/hub_devices.py keep working (on tiny datasets). No timing is
asserted: the figures at 0.1x and 1x are in docs/PERFORMANCE.md, section "Scale"."""

from __future__ import annotations

import json

import pytest

from tests.test_benchmarks import script  # a benchmark script run from the checkout's root


def test_generate_reaches_an_inspection_count_and_scale_reports_each_figure(tmp_path):
    db = tmp_path / "tiny.db"
    script("benchmarks/generate.py", "--parks", "2", "--tenants-per-park", "5", "--hazards", "10",
           "--inspections", "40", "--out", str(db))
    meta = json.loads(db.with_name(db.name + ".json").read_text(encoding="utf-8"))
    assert meta["counts"]["inspections"] == 40 and meta["inspections_asked"] == 40
    assert meta["added_clean_inspections"] > 0

    report = tmp_path / "tiny.json"
    out = json.loads(script("benchmarks/scale.py", "--db", str(db), "--repeat", "1", "--warmup", "0",
                            "--skip", "startup,tui,notice", "--ledger-rows", "20", "--out", str(report)))
    assert out["dataset"]["rows"]["inspection"] == 40
    metrics = out["metrics"]
    assert metrics["park_list_sql_ms"]["parks"] == 2
    assert metrics["ledger_dry_run_s"]["created"] == 20
    for name in ("inspection_load_ms", "hazards_view_ms", "county_overview_ms", "park_overview_ms",
                 "sync_pull_10_ms", "sync_push_10_ms"):
        assert metrics[name]["n"] >= 1, name
    table = script("benchmarks/scale.py", "--compare", str(report), str(report), str(report))
    assert "| rows: inspection | 40 | 40 | 40 | 1.0 | 1.0 |" in table and "| sync_pull_10_ms |" in table
    # the ledger step's park and the sync step's park are now in the dataset; nothing else changed
    assert json.loads(script("benchmarks/scale.py", "--db", str(db), "--repeat", "1", "--skip",
                             "startup,tui,services,overview,notice,ledger,sync"))["dataset"]["rows"]["park"] == 4


@pytest.mark.slow  # a hub process and three devices: seconds the default suite can spare elsewhere
def test_hub_devices_end_identical():
    out = json.loads(script("benchmarks/hub_devices.py", "--devices", "3", "--tenants", "4", "--edits", "2"))
    assert out["identical"] is True
    assert out["changes_per_device"] == [9, 9, 9]  # park, 4 tenants, 2 edits with their audit events
    assert out["hub_changes"] == 27
    assert out["tables"]["tenant"]["rows"] == 12 and out["tables"]["park"]["rows"] == 3
