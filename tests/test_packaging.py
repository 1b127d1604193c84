"""The wheel holds every package and data file (translations, migrations, styles).

The design card asks for generic top-level names (db, forms, exports); this test builds the
wheel, installs it into a scratch directory and runs it from there, so a package or data file
missing from the wheel, or a name clash, shows at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(work / "dist"), str(ROOT)], check=True)
    wheel = next((work / "dist").glob("parkinspect-*.whl"))
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    return target


def run_from(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target), "PARKINSPECT_LANG": "en"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_each_top_level_package_imports_from_the_wheel(installed, tmp_path):
    code = "import inspect_app, db, forms, exports; print('\\n'.join(m.__file__ for m in (inspect_app, db, forms, exports)))"
    result = run_from(installed, "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert all(line.startswith(str(installed)) for line in result.stdout.split())


def test_the_installed_wheel_migrates_and_fills_a_database(installed, tmp_path):
    db = tmp_path / "w.db"
    result = run_from(installed, "-m", "inspect_app", "--db", str(db), "demo", "--parks", "1",
                      "--tenants-per-park", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 parks, 3 tenants" in result.stdout
    check = run_from(installed, "-m", "inspect_app", "--db", str(db), "check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_wheel_carries_styles_and_both_languages(installed):
    assert (installed / "inspect_app" / "app.tcss").is_file()
    for lang in ("zh_CN", "en"):
        assert list((installed / "forms" / "locales" / lang).glob("*.toml"))
    assert (installed / "db" / "migrations" / "versions" / "0001_initial.py").is_file()
    templates = {path.name for path in (installed / "forms" / "templates").glob("*.toml")}
    assert {"fire_safety.toml", "ledger_verification.toml"} <= templates
    assert not (installed / "tests").exists()
