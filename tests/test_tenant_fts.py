"""The trigram index over the tenant search keys (`tenant_fts`, migration 0017) always equals a
fresh computation from the tenants — after any writes (inserts, edits of the key's columns,
deletes, as the sync merge makes them), a first sync's snapshot load and later sync changes — and
`parkinspect check` names an index or a key that drifted. A search of every park past a few
thousand matches shows an estimated count ("约 12,000" / "about 12,000")."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Static

from db import migrations, queries, search_key
from db.ids import new_id
from db.maintenance_queries import search_index_drift, stale_search_keys
from db.queries import LedgerQuery
from db.store import Store
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.hub.storage import enrol_device
from inspect_app.services.ledger import ledger_page, save_tenant
from inspect_app.services.maintenance import check_database
from tests.conftest import TODAY
from tests.fuzz import fuzz_settings
from tests.pilot import settle
from tests.sync_helpers import sync
from tests.test_hub import add_park
from tests.test_ledger_search import JIAMEI, JIAMING, add, found, tenant_as_input_of
from tests.test_tui import with_profile

# Characters a key is made of: the CJK of names, pinyin letters, digits, a dash that folds away, a
# quote (which an FTS5 query must escape).
TEXT = st.text(alphabet="佳美嘉铭电子精密机械有限公司平湖abjm013F-\"", max_size=12)
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("insert"), TEXT, TEXT),
    st.tuples(st.just("rename"), st.integers(0, 30), TEXT),
    st.tuples(st.just("room"), st.integers(0, 30), TEXT),
    # the sync merge's insert of a row that may be there already
    st.tuples(st.just("upsert"), st.integers(0, 30), TEXT),
    st.tuples(st.just("delete"), st.integers(0, 30), st.just("")),
    # a tenant leaving, coming back, deleted or restored: the copies beside its key follow (0024)
    st.tuples(st.just("status"), st.integers(0, 30), st.sampled_from(["left", "in_park"])),
    st.tuples(st.just("deleted"), st.integers(0, 30), st.sampled_from(["1", "0"])),
), max_size=25)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, migrated_file) -> Path:
    path = tmp_path_factory.mktemp("fts") / "t.db"
    shutil.copyfile(migrated_file, path)
    conn = _connect(path)
    conn.execute("INSERT INTO park (id, code, name, district, street, function_type, developer_type, star_rating, "
                 "provincially_certified, land_area_mu, floor_area_m2, deleted, hlc, origin_device, created_at, "
                 "updated_at) VALUES ('p', 'PH-001', '园', '区', '街', 'manufacturing', 'government', 3, 0, 10, 1000, "
                 "0, 'x', 'd', '2026-01-01', '2026-01-01')")
    for name in ("平湖市佳美电子有限公司", "平湖市嘉铭塑料有限公司", "精密机械"):
        _insert(conn, new_id(), name, "3F-301")
    conn.close()
    return path


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    search_key.register(conn)  # the triggers of tenant_search call it
    return conn


def _insert(conn: sqlite3.Connection, tenant_id: str, name: str, unit: str, *, upsert: bool = False) -> None:
    conflict = " ON CONFLICT (id) DO UPDATE SET name = excluded.name, unit_no = excluded.unit_no" if upsert else ""
    conn.execute("INSERT INTO tenant (id, park_id, name, credit_code, unit_no, rented_area_m2, headcount, scale, "
                 "lease_use, risk_points, status, safety_agreement_signed, sublet, people_living_on_site, deleted, "
                 "hlc, origin_device, created_at, updated_at) VALUES (?, 'p', ?, ?, ?, 10, 5, 'below', 'production', "
                 "'[]', 'in_park', 0, 0, 0, 0, 'x', 'd', '2026-01-01', '2026-01-01')" + conflict,
                 (tenant_id, name, new_id()[-18:], unit))


def _apply(conn: sqlite3.Connection, operation: tuple) -> None:
    kind, which, value = operation
    if kind == "insert":
        _insert(conn, new_id(), which, value)
        return
    row = conn.execute("SELECT id FROM tenant ORDER BY rowid LIMIT 1 OFFSET ?", (which,)).fetchone()
    if row is None:
        return
    if kind == "rename":
        conn.execute("UPDATE tenant SET name = ? WHERE id = ?", (value, row[0]))
    elif kind == "room":
        conn.execute("UPDATE tenant SET unit_no = ? WHERE id = ?", (value, row[0]))
    elif kind == "upsert":
        _insert(conn, row[0], value, value, upsert=True)
    elif kind == "status":
        conn.execute("UPDATE tenant SET status = ? WHERE id = ?", (value, row[0]))
    elif kind == "deleted":
        conn.execute("UPDATE tenant SET deleted = ? WHERE id = ?", (int(value), row[0]))
    else:
        conn.execute("DELETE FROM tenant WHERE id = ?", row)


def assert_index_is_fresh(conn: sqlite3.Connection) -> None:
    """The keys are the ones the tenants make, the index holds exactly the keys, and every
    three-character piece of every key finds through the index what instr() finds."""
    assert stale_search_keys(conn) == []
    assert search_index_drift(conn) == (0, 0)
    keys = dict(conn.execute("SELECT id, key FROM tenant_search"))
    pieces = {key[i:i + 4] for key in keys.values() for i in range(0, max(len(key) - 3, 0), 7)}
    for piece in sorted(pieces)[:40]:
        if len(piece) < 3:
            continue
        indexed = {rowid for (rowid,) in conn.execute(
            "SELECT rowid FROM tenant_fts WHERE tenant_fts MATCH ?", (queries.fts_query(piece),))}
        assert {i for i, key in keys.items() if piece in key} <= indexed, piece


def assert_fresh_file(path: Path) -> None:
    conn = _connect(path)
    try:
        assert_index_is_fresh(conn)
    finally:
        conn.close()


@fuzz_settings(25)
@given(operations=OPERATIONS)
def test_the_index_equals_a_fresh_computation_after_any_writes(tmp_path_factory, seeded, operations):
    path = tmp_path_factory.mktemp("writes") / "t.db"
    shutil.copyfile(seeded, path)
    conn = _connect(path)
    try:
        for operation in operations:
            _apply(conn, operation)
        assert_index_is_fresh(conn)
        conn.execute("INSERT INTO tenant_fts (tenant_fts, rank) VALUES ('integrity-check', 1)")  # SQLite's own
    finally:
        conn.close()


def test_the_index_is_kept_by_a_first_sync_and_later_changes(served_hub, devices):
    app, url = served_hub
    a, b = devices.new("a"), devices.new("b")
    park_id = add_park(a, "PH-001", n=9)["park"]
    ids = add(a, park_id)
    token_a = enrol_device(app.state.engine, "a", None)[1]
    sync(a, url, token_a)
    token_b = enrol_device(app.state.engine, "b", None)[1]
    sync(b, url, token_b)  # an empty device: its first sync loads the hub's snapshot in bulk
    assert_fresh_file(b.path)
    assert found(b, "jiamei") == {JIAMEI}
    values = tenant_as_input_of(a, ids[JIAMING]) | {"name": "平湖市华丰塑料有限公司"}
    save_tenant(a, park_id=park_id, data=TenantInput.model_validate(values), tenant_id=ids[JIAMING])
    sync(a, url, token_a)
    sync(b, url, token_b)  # a later change: applied by the merge (sync/apply.py)
    assert_fresh_file(b.path)
    assert found(b, "huafeng") == {"平湖市华丰塑料有限公司"} and found(b, "jiaming") == set()


def test_check_names_a_drifted_index_and_a_stale_key(store, park, db_path):
    add(store, park.id)
    store.close()
    assert check_database(db_path)["ok"]
    conn = _connect(db_path)
    # The index loses a key (as a write around the triggers would leave it).
    conn.execute("INSERT INTO tenant_fts (tenant_fts, rowid, key) SELECT 'delete', id, key FROM tenant_search "
                 "WHERE key LIKE '平湖市佳美%'")
    conn.close()
    report = check_database(db_path)
    assert not report["ok"]
    assert any("search index" in p or "搜索索引" in p for p in report["problems"]), report
    conn = _connect(db_path)
    conn.execute("INSERT INTO tenant_fts (tenant_fts) VALUES ('rebuild')")  # FTS5's own rebuild mends it
    conn.execute("UPDATE tenant_search SET key = 'x' WHERE key LIKE '平湖市嘉铭%'")  # a key of another name
    conn.close()
    problems = check_database(db_path)["problems"]
    assert len(problems) == 1 and JIAMING in problems[0], problems


def test_migration_0017_indexes_the_keys_already_stored(tmp_path):
    today = Store.open(tmp_path / "today.db")
    park_id = add_park(today, "PH-001", n=9)["park"]
    add(today, park_id)
    today.close()
    path = tmp_path / "old.db"
    command.upgrade(migrations.alembic_config(path), "0016_entry_exit")
    with sqlite3.connect(path) as old:
        old.execute("ATTACH DATABASE ? AS today", (str(tmp_path / "today.db"),))
        search_key.register(old)
        for table in ("park", "tenant"):
            old.execute(f"INSERT INTO {table} SELECT * FROM today.{table}")
    store = Store.open(path)  # migrates to 0017
    try:
        assert found(store, "jiamei") == {JIAMEI}  # every park's search: from the index
        assert found(store, "3f301") == {JIAMEI}
        assert_fresh_file(store.path)
    finally:
        store.close()


def test_past_the_limit_the_count_is_an_estimate(store, park, monkeypatch):
    add(store, park.id)
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 2)
    rows, total = ledger_page(store, LedgerQuery(search="平湖", limit=1, today=TODAY))  # 3 match
    assert len(rows) == 1 and total.estimated and total >= 2
    rows, total = ledger_page(store, LedgerQuery(search="jiamei", limit=1, today=TODAY))  # 1 matches
    assert total == 1 and not total.estimated
    rows, total = ledger_page(store, LedgerQuery(search="平湖", limit=5, today=TODAY))  # the last page: exact
    assert total == 3 and not total.estimated


@pytest.mark.parametrize("language, about", [("zh_CN", "约 "), ("en", "about ")])
async def test_the_ledger_says_about_past_the_limit(store, park, monkeypatch, language, about):
    for n in range(4):  # 12 tenants in 4 parks, 4 of them 平湖市佳美电子有限公司
        add(store, add_park(store, f"PH-10{n}", n=20 + n)["park"])
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr("inspect_app.screens.ledger.PAGE_SIZE", 3)
    with_profile(store)
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"平湖")
        await settle(app, pilot)
        status = str(app.screen.query_one("#ledger-status", Static).render())
        assert status.startswith(about), status
        await pilot.press("backspace", "backspace", *"jiamei")
        await settle(app, pilot)
        status = str(app.screen.query_one("#ledger-status", Static).render())
        assert not status.startswith(about) and status.startswith(("共 4 家", "4 tenants")), status


@pytest.mark.slow  # 3,000 rows and a palette of 3,000 parks: ~5 s
async def test_the_park_list_of_3000_parks_shows_its_first_screen_then_every_park(store):
    """The first screenful is read and painted alone, the rest appended: the cursor reaches the
    last park, and the palette finds a park that was not on the first page; Enter opens it."""
    from textual.widgets import DataTable

    from inspect_app.screens.ledger import LedgerScreen
    from inspect_app.screens.park_list import FIRST_ROWS, ParkListScreen

    with store.connect() as conn:
        conn.executemany(
            "INSERT INTO park (id, code, name, district, street, function_type, developer_type, star_rating, "
            "provincially_certified, land_area_mu, floor_area_m2, deleted, hlc, origin_device, created_at, "
            "updated_at) VALUES (?, ?, ?, '区', '街', 'manufacturing', 'government', 3, 0, 10, 1000, 0, 'x', 'd', "
            "'2026-01-01', '2026-01-01')", [(new_id(), f"PH-{n:04d}", f"园区{n:04d}") for n in range(3000)])
        conn.commit()
    with_profile(store)
    app = make_app(store, today=TODAY)
    first: list[int] = []
    original = ParkListScreen.show

    def show(self, summaries, *args, **kwargs):
        first.append(len(summaries))
        original(self, summaries, *args, **kwargs)

    ParkListScreen.show = show
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            table = app.screen.query_one("#parks", DataTable)
            assert first[:2] == [FIRST_ROWS, 3000] and table.row_count == 3000
            await pilot.press("ctrl+end")  # the cursor to the last row
            await pilot.pause()
            assert table.cursor_row == 2999 and app.screen._selected().code == "PH-2999"
            await pilot.press("ctrl+p")
            await pilot.press(*"园区2500")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, LedgerScreen)
            assert app.screen.park_id == next(s.id for s in app.screen_stack[1].summaries if s.code == "PH-2500")
    finally:
        ParkListScreen.show = original
