"""The first screen paints before SQLAlchemy loads (docs/ARCHITECTURE.md, "Start-up")."""

from __future__ import annotations

import subprocess
import sys

from inspect_app.services.parks import park_summaries
from tests.conftest import TODAY


def test_the_first_screen_modules_do_not_import_the_orm():
    code = (
        "import sys, inspect_app.cli, inspect_app.app, inspect_app.screens.park_list, inspect_app.services.parks;"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'db.models', 'db.queries', 'alembic') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_opening_a_store_and_reading_the_park_list_needs_no_orm(db_path):
    code = (
        "import sys; from db.store import Store; from inspect_app.services.parks import park_summaries;"
        f"s = Store.open({str(db_path)!r}); park_summaries(s);"
        "print('sqlalchemy' in sys.modules)"
    )
    # The file is migrated first (Alembic needs SQLAlchemy), then read in a fresh process.
    from db.store import Store

    Store.open(db_path).close()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_warm_up_loads_the_orm_and_later_reads_work(store, park):
    store.warm_up()
    assert [s.code for s in park_summaries(store, TODAY)] == [park.code]
