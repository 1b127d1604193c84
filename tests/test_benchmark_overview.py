"""benchmarks/overview.py keeps working (on a tiny dataset). No timing is asserted: the figure on the
30,000-tenant dataset is in docs/PERFORMANCE.md, made with `python benchmarks/overview.py`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def script(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_overview_benchmark_runs_on_a_tiny_dataset(tmp_path):
    db = tmp_path / "tiny.db"
    script("benchmarks/generate.py", "--parks", "2", "--tenants-per-park", "5", "--out", str(db))
    out = json.loads(script("benchmarks/overview.py", "--db", str(db), "--repeat", "2", "--json"))
    assert out["dataset"]["parks"] == 2 and out["dataset"]["today"] == "2026-11-26"
    assert out["dataset"]["quarter"] == "2026Q3"
    assert set(out["metrics"]) == {"county_overview_ms", "park_overview_ms", "risk_flags_ms", "flag_objects_ms"}
    assert all(len(metric["samples"]) == 2 for metric in out["metrics"].values())
