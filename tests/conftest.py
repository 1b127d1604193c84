"""Shared fixtures: a fresh store per test, a fixed 'today', a small park with tenants."""

from __future__ import annotations

import gc
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from db.models import Park
from db.store import Store
from forms import credit_code
from forms.i18n import set_language
from tests.new_files import migrated_device_file, new_device_file
from tests.shared_statements import share_statements_between_stores

# Bytecode cached between runs even where the environment asks Python not to write it
# (PYTHONDONTWRITEBYTECODE, which keeps __pycache__ folders out of a checkout): here it goes to
# .pytest_cache/pycache, outside the sources. Without a cache each of the four workers re-ran
# pytest's assertion rewriting of every test module and compiled the app's modules (~6 s of CPU
# a worker to collect instead of ~2.5 s), and so did every subprocess a test starts. Set here, in
# the process that starts the workers, before it starts them: they and their subprocesses inherit it.
if sys.dont_write_bytecode and not sys.pycache_prefix:
    _PYCACHE = str(Path(__file__).resolve().parent.parent / ".pytest_cache" / "pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = _PYCACHE
    sys.dont_write_bytecode = False
    sys.pycache_prefix = _PYCACHE

share_statements_between_stores()  # every store's engine compiles a statement once per process (module says why)

pytest_plugins = ["tests.sync_fixtures", "tests.postgres"]  # devices, hub_url: every sync test's; the PostgreSQL server's

TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """Config, data, logs and signing keys in scratch folders: a test never touches the real ones
    (subprocesses inherit this environment too)."""
    home = tmp_path_factory.mktemp("user")
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(home / "keys"))
    monkeypatch.delenv("PARKINSPECT_DB", raising=False)
    monkeypatch.delenv("PARKINSPECT_LANG", raising=False)


@pytest.fixture(autouse=True)
def _chinese_by_default():
    set_language("zh_CN")
    yield
    set_language("zh_CN")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "parkinspect.db"


@pytest.fixture(scope="session")
def migrated_file() -> Path:
    """An empty database at the newest schema and without a device id, made once per test process:
    copying it (~3 ms) instead of migrating a new file (~150 ms) for each of the hundreds of tests
    that open a store."""
    return migrated_device_file()


@pytest.fixture
def store(db_path: Path):
    opened = Store.open(new_device_file(db_path))  # a new device: Store.open gives it its own id
    yield opened
    opened.close()


def make_credit_code(n: int) -> str:
    """A valid code for test number n (GB 32100 and GB 11714 checks both right)."""
    return credit_code.complete(f"91330482{n:08d}")


def tenant_values(n: int = 1, **overrides) -> dict:
    """Form values for a valid tenant, as a person would type them."""
    values = {
        "name": f"平湖测试精密机械有限公司{n}",
        "credit_code": make_credit_code(n),
        "contact_name": "张伟",
        "contact_phone": "13812345678",
        "building": "3号楼",
        "unit_no": f"{100 + n}",
        "rented_area_m2": "1200",
        "headcount": "35",
        "scale": "规下",
        "lease_use": "生产",
        "risk_points": "粉尘、动火作业",
    }
    values.update(overrides)
    return values


@pytest.fixture
def park(store: Store) -> Park:
    return add_park(store)


def add_park(store: Store) -> Park:
    """The tests' park PH-001 (the `park` fixture's; also for templates built once per module)."""
    with store.transaction() as session:
        park = Park(code="PH-001", name="平湖经济开发区小微企业园", district="平湖市", street="当湖街道",
                    function_type="manufacturing", developer_type="government", star_rating=4,
                    provincially_certified=True, land_area_mu=120.5, floor_area_m2=86000,
                    property_company="平湖市开发区物业管理有限公司")
        session.add(park)
    return park


# Hypothesis: the default profile keeps the suite short; `HYPOTHESIS_PROFILE=long` runs the fuzz
# tests (tests/test_fuzz_*.py, sized through tests/fuzz.py) with many times the inputs.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("long", max_examples=1000, deadline=None)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# The tests that take 10–30 s each (a whole TUI walk over every screen, the crash harness's kills,
# the sync schedules, the wheel install): queued first, so that the two workers finish together
# instead of one running a long test alone at the end (measured with `pytest --durations=40`).
LONG_FIRST = ("test_crash_safety.py", "test_tui_fit.py", "test_tui_typing_safety.py", "test_sync_merge.py",
              "test_sync_simulation.py", "test_tui_keystroke_budget.py", "test_packaging.py",
              "test_tui_inspection_day.py", "test_benchmarks.py", "test_benchmark_scale.py", "test_hub_extra.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: index for index, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))  # stable: the rest keep their order


# Python's cycle collector, tuned for a test process. A worker holds Textual, SQLAlchemy, reportlab,
# hypothesis and pypinyin's dictionaries (millions of objects that live as long as it does); at the
# default thresholds (700, 10, 10) the collector ran ~2,400 times in one TUI module and each older
# generation walk crossed that heap: a fifth of the suite's CPU (measured with `gc.callbacks`,
# docs/PERFORMANCE.md "The test suite"). Everything imported by the end of collection is frozen
# (never scanned again) and the young generation is allowed to grow to 100,000 objects first
# (against 20,000: 2–3 % less CPU over the TUI, signing and sync modules, measured with -n 0).
# The app's own collector settings are not touched: this is the test process's, not the product's.
gc.set_threshold(100_000, 20, 100)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    # After the last test pytest collects garbage five times over, to report an exception raised
    # while a cycle is freed; each pass walks everything the worker built in the session (a fortieth
    # of the suite's time). One pass still finds them; frozen, the survivors are not walked again.
    gc.collect()
    gc.freeze()
