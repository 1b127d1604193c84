"""The wheel holds every package and data file, and runs on its own: app, sync, hub.

The sdist is built from this checkout and the wheel from the sdist; both must hold the source
tree's files and nothing else (no tests, no module left behind in an old build folder). The wheel
is installed into a scratch virtualenv (its own site-packages, no editable
path of this checkout; the dependencies come from this interpreter's site-packages through a .pth
line, added after the install so pip never sees this checkout's own install). Then the installed
code imports every module of every package, opens the TUI with Pilot, and a hub started with the
installed `parkinspect hub serve` takes a sync from the installed `parkinspect sync`. A package or
data file missing from the wheel fails here, as `inspect_app.sync` once did.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

import inspect_app
from tests.hub_server import free_port

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("device_probe.py")
pytestmark = pytest.mark.packaging
PACKAGES = ("inspect_app", "db", "forms", "exports")
# Run, not imported: Alembic's env.py runs migrations, inspect_app.__main__ starts the app.
NOT_IMPORTABLE = {"db.migrations.env", "inspect_app.__main__"}


class Installed:
    def __init__(self, wheel: Path, venv: Path):
        self.wheel, self.venv = wheel, venv
        bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
        self.python, self.parkinspect = bin_dir / "python", bin_dir / "parkinspect"
        self.site = Path(subprocess.run([str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        capture_output=True, text=True, check=True).stdout.strip())

    def run(self, *args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)


def _env() -> dict:
    env = {**os.environ, "PARKINSPECT_LANG": "en"}
    env.pop("PYTHONPATH", None)  # only what is installed in the scratch venv
    # The scratch venv is a new folder each run: its bytecode is not kept in the suite's cache
    # (tests/conftest.py), where each run's copy would stay, nor written next to shared sources.
    env.pop("PYTHONPYCACHEPREFIX", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# What a release checkout holds for the build: the packages and the files pyproject.toml names.
BUILD_FILES = ("pyproject.toml", "README.md", "MANIFEST.in")


def build_sdist(folder: Path) -> Path:
    """The sdist, as a release builds it from a clean checkout (setuptools' PEP 517 hook), built in a
    copy of this checkout's packages and build files: setuptools writes an egg-info folder where it
    builds, and an editable install's one (or another test worker's, building at the same moment)
    in this checkout would change what goes in."""
    checkout = folder / "checkout"
    for top in PACKAGES:
        shutil.copytree(ROOT / top, checkout / top, ignore=shutil.ignore_patterns("__pycache__"))
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, checkout / name)
    program = f"from setuptools import build_meta; print(build_meta.build_sdist({str(folder)!r}))"
    name = subprocess.run([sys.executable, "-c", program], cwd=checkout, capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()[-1]
    return folder / name


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    return build_sdist(tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory, sdist) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    # The wheel is built from the sdist, in pip's own folder: never from this checkout's build/lib,
    # where a module since moved or deleted would linger and be packed again. The build backend is
    # the test environment's own (the test extra requires one [build-system] accepts): an isolated
    # build environment would install setuptools afresh on every run.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(work / "dist"), str(sdist)], check=True)
    wheel = next((work / "dist").glob("parkinspect-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = Installed(wheel, venv)
    # Without PYTHONPATH: pip would otherwise take this checkout (on the path) for the installed package.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(target.python), "install", "--no-deps", "-q",
                    str(wheel)], check=True, env=_env())
    (target.site / "_parkinspect_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return target


def test_every_module_of_every_package_imports_from_the_wheel(installed, tmp_path):
    program = (
        "import importlib, json, pkgutil\n"
        f"names, outside = [], []\n"
        f"for top in {PACKAGES!r}:\n"
        "    package = importlib.import_module(top)\n"
        "    names.append(top)\n"
        "    names += [m.name for m in pkgutil.walk_packages(package.__path__, top + '.')]\n"
        "for name in names:\n"
        f"    if name not in {sorted(NOT_IMPORTABLE)!r}:\n"
        "        module = importlib.import_module(name)\n"
        f"        if not module.__file__.startswith({str(installed.site)!r}):\n"
        "            outside.append(module.__file__)\n"
        "print(json.dumps({'names': names, 'outside': outside}))\n"
    )
    result = installed.run(str(installed.python), "-c", program, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["outside"] == []
    # Every package of the source tree is in the wheel (a hand list once left inspect_app.sync out).
    source = {".".join(p.parent.relative_to(ROOT).parts) for top in PACKAGES for p in (ROOT / top).rglob("__init__.py")}
    assert source <= set(found["names"])
    assert {"inspect_app.sync.client", "inspect_app.hub.app", "db.migrations"} <= set(found["names"])


def test_the_version_is_pyprojects_in_the_wheel_and_in_this_checkout(installed, tmp_path):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert inspect_app.__version__ == declared
    assert installed.wheel.name.startswith(f"parkinspect-{declared}-")
    shown = installed.run(str(installed.python), "-c", "import inspect_app; print(inspect_app.__version__)", cwd=tmp_path)
    assert shown.stdout.strip() == declared, shown.stderr


SDIST_EXTRAS = {"PKG-INFO", "setup.cfg", "README.md", "pyproject.toml", "MANIFEST.in"}


def test_the_sdist_and_the_wheel_hold_the_source_tree_and_nothing_stale(sdist, installed):
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.splitlines())
    source = {str(p.relative_to(ROOT)) for top in PACKAGES for p in (ROOT / top).rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    with tarfile.open(sdist) as archive:
        names = [m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()]
    shipped = {n for n in names if not n.startswith("parkinspect.egg-info/") and n not in SDIST_EXTRAS}
    assert shipped - source == set()  # nothing that is not (or no longer) in the tree: tests, old modules
    assert {n for n in shipped if n.endswith(".py")} >= {n for n in tracked & source if n.endswith(".py")}
    with zipfile.ZipFile(installed.wheel) as wheel:
        packed = {n for n in wheel.namelist() if n.split("/")[0] in PACKAGES}
    assert packed - source == set()
    assert "inspect_app/cli/__init__.py" in packed and "inspect_app/app.tcss" in packed


def test_the_wheel_needs_the_hub_extra_only_for_the_hub(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        metadata = next(wheel.read(n).decode() for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    requires = [line.removeprefix("Requires-Dist: ") for line in metadata.splitlines()
                if line.startswith("Requires-Dist: ")]
    plain = [r for r in requires if "extra ==" not in r]
    hub = [r for r in requires if 'extra == "hub"' in r]
    assert {r.split(">")[0].split("[")[0] for r in hub} == {"fastapi", "uvicorn", "psycopg"}
    assert not [r for r in plain if r.split(">")[0].split("[")[0] in ("fastapi", "uvicorn", "psycopg")]
    assert [r for r in plain if r.startswith("textual")] and [r for r in plain if r.startswith("httpx")]
    assert [r for r in requires if r.startswith("parkinspect[hub]") and 'extra == "test"' in r]


def test_the_installed_app_fills_a_database_and_opens_the_park_list(installed, tmp_path):
    db = tmp_path / "w.db"
    made = installed.run(str(installed.parkinspect), "--db", str(db), "demo", "--parks", "2",
                         "--tenants-per-park", "3", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "2 parks, 6 tenants" in made.stdout
    check = installed.run(str(installed.parkinspect), "--db", str(db), "check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    opened = installed.run(str(installed.python), str(PROBE), "tui", str(db), cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout.strip().splitlines()[-1])["parks"] == 2


def test_the_installed_hub_takes_a_sync_from_the_installed_device(installed, tmp_path):
    db, hub_db, port = tmp_path / "laptop.db", tmp_path / "hub.db", free_port()
    made = installed.run(str(installed.parkinspect), "--db", str(db), "demo", "--parks", "1",
                         "--tenants-per-park", "3", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    server = subprocess.Popen([str(installed.parkinspect), "hub", "serve", "--db", str(hub_db), "--port", str(port)],
                              cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the installed hub did not start"
            time.sleep(0.2)
        added = installed.run(str(installed.parkinspect), "hub", "device", "add", "laptop", "--hub-db", str(hub_db),
                              cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        token = added.stdout.splitlines()[1]
        synced = installed.run(str(installed.parkinspect), "--db", str(db), "sync", "--hub",
                               f"http://127.0.0.1:{port}", f"--token={token}", cwd=tmp_path)
        assert synced.returncode == 0, synced.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    with sqlite3.connect(hub_db) as conn:
        assert conn.execute("SELECT count(*) FROM row_state WHERE table_name = 'tenant'").fetchone()[0] == 3


def test_the_wheel_carries_styles_and_both_languages_and_nothing_else(installed):
    site = installed.site
    assert (site / "inspect_app" / "app.tcss").is_file()
    for lang in ("zh_CN", "en"):
        assert list((site / "forms" / "locales" / lang).glob("*.toml"))
    assert (site / "db" / "migrations" / "versions" / "0001_initial.py").is_file()
    hub_migrations = site / "inspect_app" / "hub" / "migrations"
    assert (hub_migrations / "env.py").is_file() and (hub_migrations / "versions" / "0002_hub_identity.py").is_file()
    templates = {path.name for path in (site / "forms" / "templates").glob("*.toml")}
    assert {"fire_safety.toml", "ledger_verification.toml"} <= templates
    assert not (site / "tests").exists() and not (site / "benchmarks").exists()


def test_the_wheel_carries_the_pdf_font_and_its_licence(installed, tmp_path):
    """Notices print the same on any machine: the font travels in the wheel and is the one used."""
    fonts = installed.site / "exports" / "fonts"
    assert (fonts / "wqy-microhei.ttc").stat().st_size > 4_000_000
    assert "Apache" in (fonts / "wqy-microhei.COPYRIGHT.txt").read_text(encoding="utf-8")
    out = installed.run(str(installed.python), "-c", "from exports.fonts import pdf_font; print(pdf_font().path)",
                        cwd=tmp_path)
    assert Path(out.stdout.strip()) == fonts / "wqy-microhei.ttc", out.stderr
