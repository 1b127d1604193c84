"""The benchmark scripts keep working (on tiny datasets). No timing is asserted here: the figures
on the 30,000-tenant dataset are in docs/PERFORMANCE.md, made with `python benchmarks/run.py`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "benchmarks" / "generate.py"
RUN = ROOT / "benchmarks" / "run.py"
NOTICES = ROOT / "benchmarks" / "notices.py"
NOTICE_METRICS = ("baseline_page_ms", "notice_ms", "notice_render_ms", "notice_sign_ms", "notice_ratio", "notice25_ms",
                  "batch_wall_s", "batch_notices_per_s", "batch_notice_ms", "batch_processes")
METRICS = (
    "startup_bare_s",
    "startup_app_s",
    "startup_ratio",
    "startup_paint_ratio",
    "ledger_open_ms",
    "ledger_open_paint_ms",
    "search_keystroke_ms",
    "peak_rss_app_mb",
    "peak_rss_session_mb",
    "inspection_load_ms",
    "hazards_view_ms",
    "hazards_count_ms",
)
# Timed on a screen, so only when the screen is in the checkout.
SCREEN_METRICS = {
    "inspection_open_ms": "inspection.py",
    "inspection_open_paint_ms": "inspection.py",
    "hazards_open_ms": "hazards.py",
    "hazards_open_paint_ms": "hazards.py",
    "hazards_open_count_ms": "hazards.py",
}
SCREENS = ROOT / "inspect_app" / "screens"
METRICS += tuple(name for name, screen in SCREEN_METRICS.items() if (SCREENS / screen).exists())


def script(path: Path | str, *args: str) -> str:
    """A benchmark script (a path, or one relative to the checkout's root) run with this Python; its output."""
    done = subprocess.run(
        [sys.executable, str(path), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    """One tiny dataset made by generate.py for the scripts that read one (a copy each: run.py
    writes to it): generating costs a subprocess and seconds of CPU each time."""
    db = tmp_path_factory.mktemp("tiny") / "tiny.db"
    script(GENERATE, "--parks", "2", "--tenants-per-park", "5", "--hazards", "25", "--out", str(db))
    return db


@pytest.fixture
def tiny_db(tiny_dataset, tmp_path) -> Path:
    db = tmp_path / "tiny.db"
    shutil.copyfile(tiny_dataset, db)
    sidecar = tiny_dataset.name + ".json"  # how it was made: the scripts read its "today"
    shutil.copyfile(tiny_dataset.with_name(sidecar), db.with_name(sidecar))
    return db


def test_run_prints_every_metric_on_a_tiny_dataset(tiny_db):
    out = script(RUN, "--db", str(tiny_db), "--repeat", "1", "--warmup", "0")
    for name in METRICS:
        assert f"\n{name} " in out, name
    # --hazards 25: at least 25, the last inspection may bring a few more
    assert re.search(r"2 parks, 10 tenants \(10 in park\), (2[5-9]|3\d) hazards", out)
    assert "精密机械" in out  # the keystroke table
    assert "status overdue" in out  # the hazards view by filter


@pytest.mark.slow
def test_generate_skips_a_database_of_the_right_size_and_run_reports_json(tmp_path):
    db = tmp_path / "small.db"
    made = script(GENERATE, "--parks", "3", "--tenants-per-park", "10", "--seed", "7", "--out", str(db))
    assert "generated in" in made
    meta = json.loads(db.with_name(db.name + ".json").read_text(encoding="utf-8"))
    assert meta["counts"]["parks"] == 3 and meta["counts"]["tenants"] == 30 and meta["seed"] == 7

    assert "already 3 parks x 10 tenants" in script(
        GENERATE, "--parks", "3", "--tenants-per-park", "10", "--seed", "7", "--out", str(db)
    )
    remade = script(
        GENERATE, "--parks", "3", "--tenants-per-park", "10", "--seed", "7", "--out", str(db), "--force"
    )
    assert "generated in" in remade
    assert "generated in" in script(GENERATE, "--parks", "3", "--tenants-per-park", "11", "--out", str(db))

    report = json.loads(script(RUN, "--db", str(db), "--repeat", "2", "--warmup", "1", "--json"))
    assert report["dataset"]["parks"] == 3 and report["dataset"]["tenants"] == 33
    assert set(report["metrics"]) == set(METRICS)
    for name in ("startup_bare_s", "startup_app_s", "ledger_open_ms", "peak_rss_app_mb"):
        assert len(report["metrics"][name]["samples"]) == 2
        assert report["metrics"][name]["median"] > 0
    assert report["metrics"]["startup_bare_s"]["passed"] is None  # no target: the baseline
    assert report["metrics"]["ledger_open_ms"]["target"] == "<= 150"
    keys = report["keystrokes"]
    # two passes of 精密机械, escape, six code characters, escape, jm, escape, 有限公司, escape
    assert len(keys) == 2 * (4 + 1 + 6 + 1 + 2 + 1 + 4 + 1)
    assert all(k["ms"] > 0 for k in keys)
    assert [k["search"] for k in keys[:5]] == ["精", "精密", "精密机", "精密机械", ""]


def test_overview_benchmark_runs_on_a_tiny_dataset(tiny_db):
    out = json.loads(script(ROOT / "benchmarks" / "overview.py", "--db", str(tiny_db), "--repeat", "2", "--json"))
    assert out["dataset"]["parks"] == 2 and out["dataset"]["today"] == "2026-11-26"
    assert out["dataset"]["quarter"] == "2026Q3"
    assert set(out["metrics"]) == {"county_overview_ms", "county_overview_cpu_ms", "park_overview_ms", "risk_flags_ms",
                                   "flag_objects_ms"}
    assert all(len(metric["samples"]) == 2 for metric in out["metrics"].values())


def test_quarterly_report_benchmark_runs_on_a_tiny_dataset(tiny_db):
    out = json.loads(script(ROOT / "benchmarks" / "quarterly_report.py", "--db", str(tiny_db), "--repeat", "1",
                            "--json"))
    assert out["dataset"]["parks"] == 2 and out["dataset"]["quarter"] == "2026Q3"
    assert out["files"]["county_pdf_pages"] >= 2 and out["files"]["park_pdf_pages"] >= 2
    assert set(out["metrics"]) == {"county_report_data_ms", "county_xlsx_ms", "county_pdf_ms", "park_report_ms"}


def test_notices_benchmark_prints_every_metric_on_a_tiny_batch():
    out = script(NOTICES, "--count", "1", "--warmup", "0", "--batch", "2")
    for name in NOTICE_METRICS:
        assert f"\n{name} " in out, name
    report = json.loads(script(NOTICES, "--count", "1", "--warmup", "0", "--batch", "2", "--json"))
    assert set(report) == set(NOTICE_METRICS) and report["batch_processes"] == 2


def test_ledger_import_benchmark_runs_on_a_small_file():
    report = json.loads(script(ROOT / "benchmarks" / "ledger_import.py", "--rows", "30", "--repeat", "1", "--json"))
    assert report["rows"] == 30
    assert set(report["samples"]) == {"read_s", "dry_run_s", "import_s", "reimport_dry_s"}
    assert all(len(values) == 1 and values[0] > 0 for values in report["samples"].values())


def test_hub_storage_benchmark_reports_bytes_per_change_on_a_tiny_demo():
    figures = json.loads(script(ROOT / "benchmarks" / "hub_storage.py", "--parks", "1", "--tenants", "3", "--json"))
    assert figures["changes"] > 20 and figures["snapshot_rows"] > 0 and figures["snapshot_rows_per_s"] > 0
    assert figures["bytes_per_change"] == round(figures["file_bytes"] / figures["changes"], 1)
    assert {"change", "row_state", "unique_key"} <= set(figures["per_change"])


def test_dossier_benchmark_reports_every_metric_on_a_small_tenant():
    report = json.loads(script(ROOT / "benchmarks" / "dossier.py", "--inspections", "2", "--count", "1",
                               "--warmup", "0", "--json"))
    assert set(report) == {"dossier_ms", "dossier_read_ms", "pages"} and report["pages"] >= 1


def test_province_hub_benchmark_runs_a_tiny_day_on_postgresql(postgres_url, capsys):
    # In this process (the hub served by a thread, --workers 0): the script's own start-up is not
    # what is checked, and a subprocess would cost the suite ten seconds more.
    from benchmarks import hub_province

    code = hub_province.main(["--url", postgres_url, "--devices", "3", "--changes", "200", "--parks", "3",
                              "--template-parks", "1", "--template-tenants", "2", "--edits", "2", "--workers", "0"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["complete"] and report["errors"] == 0 and report["seed_changes"] == 200
    assert report["push"]["count"] == 6 and report["pull"]["count"] >= 9
    assert {"change", "row_state", "ix_row_state_park"} <= set(report["storage"]["per_change"])
    assert {"pull_day_per_park", "snapshot_check_result_per_park", "push_dedupe"} <= set(report["plans"])
