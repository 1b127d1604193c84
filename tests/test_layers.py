"""The layer rules import-linter cannot state (its contracts are in pyproject.toml, run by .ci/run:
who imports whom, no cycles): importing every core module at run time loads neither Textual nor
the UI; nothing the TUI or the device's CLI imports loads the hub's libraries (FastAPI, uvicorn,
psycopg: the optional `hub` extra); every screen derives from the app's base; raw database
connections only where the architecture page says why; imports inside functions only on the start-up
path and for the heavy libraries, each listed with its reason."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("db", "forms", "exports")
FORBIDDEN = ("inspect_app", "textual")
# Alembic's env.py runs migrations when imported; it is only ever executed by Alembic.
NOT_IMPORTABLE = {"db.migrations.env"}


def core_files() -> list[Path]:
    return sorted(path for package in CORE_PACKAGES for path in (ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> list[str]:
    return [name for name in map(module_name, core_files()) if name not in NOT_IMPORTABLE]


def test_the_core_packages_hold_modules_to_check():
    modules = core_modules()
    assert "db.store" in modules
    assert "forms.tenant" in modules


def test_importing_every_core_module_loads_neither_textual_nor_the_ui():
    program = (
        "import importlib, json, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def imported_names(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append(str(node.args[0].value))
    return found


def test_the_static_scan_sees_deferred_and_dynamic_imports():
    source = (
        "def later():\n"
        "    from inspect_app.services import ledger\n"
        "    import textual.app\n"
        "    importlib.import_module('inspect_app.cli')\n"
    )
    assert imported_names(ast.parse(source)) == ["inspect_app.services", "textual.app", "inspect_app.cli"]


# --- the device side: sync below the services, no hub code, no hub libraries ---------------------

SYNC_FORBIDDEN = ("inspect_app.services", "inspect_app.hub")
HUB_LIBRARIES = ("fastapi", "uvicorn", "psycopg", "starlette")
# The hub itself. `parkinspect hub …` (inspect_app/cli/hub.py) names none of its libraries: it
# reaches the hub through inspect_app/hub/admin.py, inside its handlers, after cli.main checked
# the extra is installed.
HUB_SIDE = ("inspect_app/hub/",)


def app_files() -> list[Path]:
    return sorted((ROOT / "inspect_app").rglob("*.py"))


def _names(path: Path) -> list[str]:
    return imported_names(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


@pytest.mark.parametrize("path", sorted((ROOT / "inspect_app" / "sync").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_sync_imports_neither_the_services_nor_the_hub(path):
    assert [n for n in _names(path) if n == "inspect_app" or n.startswith(SYNC_FORBIDDEN)] == []


def test_only_the_hub_side_names_the_hub_libraries():
    found = {str(path.relative_to(ROOT)): [n for n in _names(path) if n.split(".")[0] in HUB_LIBRARIES]
             for path in app_files() + core_files()
             if not str(path.relative_to(ROOT)).startswith(HUB_SIDE)}
    assert {name: hits for name, hits in found.items() if hits} == {}


# --- the CLI: the hub commands reach the hub through one module ------------------------------------
# (What the commands may not import at all is an import-linter contract in pyproject.toml; that
# every hub module but one is out of reach is not something a contract can say without listing them.)

CLI_FILES = sorted((ROOT / "inspect_app" / "cli").glob("*.py"))


@pytest.mark.parametrize("path", CLI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_cli_commands_reach_the_hub_only_through_admin(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    hub_reaches = [alias.name for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.module == "inspect_app.hub" for alias in node.names]
    assert [n for n in imported_names(tree) if n.startswith("inspect_app.hub.")] == []
    assert set(hub_reaches) <= {"admin"}


def test_importing_the_tui_and_the_device_cli_loads_no_hub_library():
    device_modules = [module_name(path) for path in app_files()
                      if not str(path.relative_to(ROOT)).startswith("inspect_app/hub/")
                      and path.name != "__main__.py"]
    program = (
        "import importlib, json, sys\n"
        f"for name in {device_modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HUB_LIBRARIES!r} "
        "or m.startswith('inspect_app.hub'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "inspect_app.app" in device_modules and "inspect_app.sync.client" in device_modules
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# --- the screens: one base, the app never probes them -------------------------------------------

def test_every_screen_derives_from_the_app_base_and_the_app_never_probes_screens():
    """One typed base with the hooks the app calls (screens/base.py): no getattr on a screen, no
    screen recognised by its class name."""
    program = (
        "import importlib, inspect, json, pathlib\n"
        "from textual.screen import Screen\n"
        "from inspect_app.screens.base import ScreenHooks\n"
        "bad = []\n"
        "for path in sorted(pathlib.Path('inspect_app/screens').glob('*.py')):\n"
        "    module = importlib.import_module('inspect_app.screens.' + path.stem)\n"
        "    for name, cls in inspect.getmembers(module, inspect.isclass):\n"
        "        if cls.__module__ == module.__name__ and issubclass(cls, Screen) and not issubclass(cls, ScreenHooks):\n"
        "            bad.append(name)\n"
        "print(json.dumps(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    for name in ("app.py", "bindings.py"):
        source = (ROOT / "inspect_app" / name).read_text(encoding="utf-8")
        assert "getattr(" not in source, name
        assert "__name__ ==" not in source, name


# --- the database: one way to read, one way to write (docs/ARCHITECTURE.md, "The store") -----------

# The writable plain connection (`Store.connect()`) skips the change-log hook: only the sync machinery
# and the store itself may use it. Everyone else reads with `Store.read_connection()` / `Store.read()`
# and writes with `Store.transaction()`.
WRITABLE_CONNECTION_USERS = ("inspect_app/sync/", "db/store.py")
# Plain `sqlite3.connect`, each for a reason the architecture page gives: the SQLite backup API, the
# schema version read before Alembic loads, read-only checks of a file that may be damaged or not a
# store at all, the hub's own backup of its SQLite file, the file held alone to compact it.
RAW_SQLITE_USERS = ("db/store.py", "db/backup.py", "db/migrations/__init__.py", "db/attachment_files.py",
                    "db/maintenance_queries.py", "inspect_app/hub/backup.py", "db/compact.py")


def _calls(path: Path) -> list[tuple[str, str]]:
    """(receiver, method) of every `x.connect()` / `x.y.connect()` call in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect":
            found.append((ast.unparse(node.func.value), node.func.attr))
    return found


def test_only_the_sync_machinery_and_the_store_open_a_writable_plain_connection():
    users = {str(path.relative_to(ROOT)): [r for r, _ in _calls(path) if r.split(".")[-1] == "store" or r == "self"]
             for path in app_files() + core_files()}
    # `self.connect()` is the store's own (Store.open); elsewhere `self` never names a store.
    offenders = {name: hits for name, hits in users.items() if hits and not name.startswith(WRITABLE_CONNECTION_USERS)}
    assert offenders == {}


def test_plain_sqlite3_connections_are_opened_only_where_the_architecture_page_says_why():
    users = sorted(str(path.relative_to(ROOT)) for path in app_files() + core_files()
                   if ("sqlite3", "connect") in _calls(path))
    assert set(users) <= set(RAW_SQLITE_USERS), users
    assert "db/store.py" in users  # the scan sees them


def test_the_scan_sees_a_writable_connection_in_a_service(tmp_path):
    source = tmp_path / "service.py"
    source.write_text("def f(store):\n    with store.connect() as conn:\n        conn.execute('x')\n")
    assert _calls(source) == [("store", "connect")]


# --- one rule, one place --------------------------------------------------------------------------

# A current tenant written out in SQL (`status = 'in_park'`) or as an ORM test on the column.
CURRENT_TENANT_SPELLED_OUT = re.compile(r"status\s*=\s*'in_park'|Tenant\.status\s*==")


def test_the_current_tenant_rule_is_written_once():
    # db/tenant_rules.py is the one definition, current_tenant_clause in db/queries.py its ORM form;
    # migrations keep their own copy as of their revision.
    kept = {"db/queries.py": 1}
    spelled = {name: found for path in app_files() + core_files()
               if not (name := str(path.relative_to(ROOT))).startswith("db/migrations/")
               and (found := len(CURRENT_TENANT_SPELLED_OUT.findall(path.read_text(encoding="utf-8")))) > kept.get(name, 0)}
    assert spelled == {}
    assert CURRENT_TENANT_SPELLED_OUT.search((ROOT / "db/migrations/versions/0005_park_totals.py").read_text())


def test_the_spreadsheet_suffixes_are_defined_once():
    named = [path for path in app_files() + core_files() if "SUPPORTED_SUFFIXES" in path.read_text(encoding="utf-8")]
    defined = sorted(str(path.relative_to(ROOT)) for path in named
                     for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(node, ast.Assign)
                     and any(getattr(target, "id", None) == "SUPPORTED_SUFFIXES" for target in node.targets))
    assert defined == ["exports/tabular.py"]


# --- services hold rules and words, not SQL (docs/ARCHITECTURE.md "The store") ------------------

# Statements as this code base writes them: keywords in capitals (prose never starts "SELECT x").
SQL_STATEMENT = re.compile(r"\b(SELECT\s|INSERT\s+(OR\s+[A-Z]+\s+)?INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s)")


def sql_strings(path: Path) -> list[str]:
    """The string literals of a file that hold an SQL statement; an f-string is read with each
    placeholder as `x`, so `f"UPDATE {table} SET ..."` is seen."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if SQL_STATEMENT.search(text):
            found.append(text)
    return found


def test_the_sql_scan_sees_plain_and_formatted_statements(tmp_path):
    source = tmp_path / "service.py"
    source.write_text('A = "SELECT id FROM tenant"\n'
                      'def f(table, key):\n    return f"UPDATE {table} SET x = 1 WHERE id = {key}"\n'
                      'B = "Select the tenants to export; update the ledger; delete from the list"\n')
    assert sql_strings(source) == ["SELECT id FROM tenant", "UPDATE x SET x = 1 WHERE id = x"]


def test_services_hold_no_sql():
    services = sorted((ROOT / "inspect_app" / "services").glob("*.py"))
    assert {str(path.relative_to(ROOT)): texts for path in services if (texts := sql_strings(path))} == {}
    assert sql_strings(ROOT / "db" / "duplicate_queries.py")  # the statements moved to db/ are seen


# --- imports at the top, so the import graph shows (docs/ARCHITECTURE.md "Start-up") ---------------

# A function-level import stays only where loading it with its module would cost someone who does not
# need it. Two reasons, each entry named:
#
# 1. A library that takes a noticeable time to load, used only when its document, photo, spreadsheet,
#    signature, migration or name key is made — and our modules that load such a library at import.
HEAVY_ON_USE = {
    "reportlab": "PDF documents",
    "pyhanko": "signing and verifying PDFs",
    "pyhanko_certvalidator": "signing PDFs (pyHanko's certificate store)",
    "asn1crypto": "signatures (pyHanko's ASN.1 types)",
    "PIL": "photos (Pillow)",
    "openpyxl": ".xlsx spreadsheets",
    "alembic": "migrations, only when a schema is behind",
    "pypinyin": "a tenant name's search key (~0.3 s of dictionaries)",
    "exports.fonts": "reportlab (registers the PDF font)",
    "exports.notice_pdf": "reportlab",
    "exports.certificate_pdf": "reportlab",
    "exports.dossier_pdf": "reportlab",
    "exports.stars_pdf": "reportlab",
    "exports.quarterly_report_pdf": "reportlab",
    "exports.signing": "cryptography's x509 (~0.15 s)",
    "inspect_app.services.keys": "cryptography's x509, through exports.signing",
    "inspect_app.sync.client": "httpx and the ORM, only when a sync runs",
}
# 2. The start-up path (tests/test_startup.py): modules loaded before the park list paints import the
#    ORM, the services and the other screens when an action needs them.
START_UP_LOCAL_IMPORTS = {
    "inspect_app/__init__.py": {"importlib.metadata"},  # the version, only when asked
    "inspect_app/app.py": {"inspect_app.screens.profile", "inspect_app.screens.settings",
                           "inspect_app.screens.ledger", "inspect_app.screens.hazards",
                           "inspect_app.screens.conflicts", "inspect_app.services.sync_status"},
    "inspect_app/bindings.py": {"textual.widgets"},  # TextArea
    "inspect_app/screens/park_list.py": {"inspect_app.screens.start_inspection", "inspect_app.screens.notices",
                                         "inspect_app.screens.due", "inspect_app.screens.tasks",
                                         "inspect_app.screens.review_queue", "inspect_app.screens.overview",
                                         "inspect_app.screens.quarterly"},
    "inspect_app/widgets/sync_status.py": {"inspect_app.services.sync_status"},
    "inspect_app/services/parks.py": {"inspect_app.services.office_role"},
    "inspect_app/services/office_role.py": {"db.models"},  # asked by the park list: `is_office`
    "db/store.py": {"sqlalchemy", "sqlalchemy.orm", "sqlmodel", "db.changelog"},
}
# Every command module is imported when `parkinspect` starts (cli.main builds the whole parser):
# each command imports its services when it runs.
START_UP_PACKAGES = ("inspect_app/cli/",)
# Alembic imports every revision file to build the history: a revision's helpers load when it runs.
MIGRATION_SCRIPTS = ("db/migrations/versions/", "inspect_app/hub/migrations/versions/")


def function_level_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import inside a function (`if TYPE_CHECKING:` blocks are at the top)."""
    found = set()
    for function in ast.walk(ast.parse(source)):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    found.update((node.lineno, alias.name) for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    found.add((node.lineno, "." * node.level + (node.module or "")))
    return sorted(found)


def _within(module: str, names) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def misplaced_imports(name: str, source: str) -> list[str]:
    """The function-level imports of file `name` (relative to the root) that no reason above allows."""
    if name.startswith(START_UP_PACKAGES + MIGRATION_SCRIPTS):
        return []
    allowed = START_UP_LOCAL_IMPORTS.get(name, set())
    return [f"{name}:{line} {module}" for line, module in function_level_imports(source)
            if not _within(module, HEAVY_ON_USE) and module not in allowed]


def test_imports_are_at_the_top_but_on_the_start_up_path_and_for_heavy_libraries():
    found = [hit for path in app_files() + core_files()
             for hit in misplaced_imports(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))]
    assert found == []


def test_every_start_up_exception_is_still_used():
    """The lists above stay true: an entry whose import moved to the top goes too."""
    unused = {name: modules - {module for _, module in function_level_imports((ROOT / name).read_text())}
              for name, modules in START_UP_LOCAL_IMPORTS.items()}
    assert {name: modules for name, modules in unused.items() if modules} == {}


def test_the_import_scan_refuses_the_orm_in_a_screen_off_the_start_up_path():
    source = ("from inspect_app.screens.base import AppScreen\n\n"
              "class S(AppScreen):\n"
              "    async def on_mount(self):\n"
              "        from db.models import Tenant\n"
              "        from reportlab.platypus import Image\n")
    assert misplaced_imports("inspect_app/screens/ledger.py", source) == ["inspect_app/screens/ledger.py:5 db.models"]
    # The same import is the park list's to make on use (start-up) only for the screens it opens.
    assert misplaced_imports("inspect_app/screens/park_list.py", source) == [
        "inspect_app/screens/park_list.py:5 db.models"]
    assert misplaced_imports("inspect_app/screens/park_list.py",
                             "def f():\n    from inspect_app.screens.due import DueScreen\n") == []
