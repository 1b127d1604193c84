"""A search of every park finds exactly what a plain instr() over every search key finds, in the
ledger's order, whatever the words (one to four characters: Chinese, digits, pinyin letters) and
whichever way it goes (the matches listed from an index, or the county walked in name order past
EXACT_COUNT_LIMIT); and the index of one- and two-character pieces (`tenant_grams`, migration
0020) always equals a fresh computation from the keys — after any writes, a first sync's snapshot
load and later sync changes — and `parkinspect check` names it when it drifted."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from hypothesis import example, given
from hypothesis import strategies as st
from sqlmodel import Session

from db import migrations, queries, search_key
from db.ids import new_id
from db.maintenance_queries import short_index_drift
from db.queries import LedgerQuery
from db.store import Store
from forms.tenant import TenantInput
from inspect_app.hub.storage import enrol_device
from inspect_app.services.maintenance import check_database
from tests.conftest import TODAY
from tests.fuzz import fuzz_settings
from tests.sync_helpers import sync
from tests.test_hub import add_park
from tests.test_ledger_search import JIAMEI, JIAMING, add, found, tenant_as_input_of
from tests.test_tenant_fts import OPERATIONS, _apply, _connect, _insert, seeded  # noqa: F401 - seeded: a fixture

# Names drawn from these pieces (so words repeat across tenants), rooms and phones from digits.
PIECES = ("平湖", "佳美", "嘉铭", "精密", "机械", "电子", "有限公司", "鑫诺", "塑料", "abc", "5号楼", "(", "·", "é")
CHARACTERS = "平湖佳美嘉铭精密机械电子有限公司鑫诺塑料号楼abcjmpshx0135679f(·é\"_"
WORDS = st.text(alphabet=CHARACTERS, min_size=1, max_size=4)


@pytest.fixture(scope="module")
def county(tmp_path_factory, migrated_file) -> Path:
    """80 tenants in 3 parks with names, rooms and phones from a few pieces; some left, one deleted,
    a quarter above designated size."""
    path = tmp_path_factory.mktemp("short") / "t.db"
    shutil.copyfile(migrated_file, path)
    draw = random.Random(19)
    conn = _connect(path)
    for n, park in enumerate(("p1", "p2", "p3")):
        conn.execute("INSERT INTO park (id, code, name, district, street, function_type, developer_type, star_rating, "
                     "provincially_certified, land_area_mu, floor_area_m2, deleted, hlc, origin_device, created_at, "
                     "updated_at) VALUES (?, ?, '园', '区', '街', 'manufacturing', 'government', 3, 0, 10, 1000, "
                     "0, 'x', 'd', '2026-01-01', '2026-01-01')", (park, f"PH-00{n}"))
    for n in range(80):
        name = "".join(draw.choice(PIECES) for _ in range(draw.randint(1, 4)))
        room = f"{draw.randint(1, 5)}F-{draw.randint(100, 999)}"
        tenant_id = new_id()
        _insert(conn, tenant_id, name, room)
        conn.execute("UPDATE tenant SET park_id = ?, contact_phone = ?, status = ?, deleted = ?, scale = ? WHERE id = ?",
                     (f"p{n % 3 + 1}", f"13{draw.randint(0, 10**9 - 1):09d}",
                      "left" if n % 9 == 0 else "in_park", 1 if n == 40 else 0, "above" if n % 4 == 0 else "below",
                      tenant_id))
    conn.close()
    return path


@pytest.fixture(scope="module")
def county_store(county):
    opened = Store.open(county)
    yield opened
    opened.close()


def scanned(conn: sqlite3.Connection, words: list[str], *, include_left: bool = False, scale: str | None = None,
            descending: bool = False) -> list[str]:
    """The oracle: every live (current) tenant whose key holds every word by instr(), in name order
    (the ledger's: by name, either way, then by id)."""
    status = "" if include_left else " AND t.status = 'in_park'"
    status += f" AND t.scale = '{scale}'" if scale else ""
    checks = "".join(" AND instr(s.key, ?) > 0" for _ in words)
    return [row[0] for row in conn.execute(
        "SELECT t.id FROM tenant t JOIN tenant_search s ON s.tenant_id = t.id JOIN park p ON p.id = t.park_id "
        f"WHERE t.deleted IS NOT 1{status}{checks} ORDER BY t.name{' DESC' if descending else ''}, t.id", words)]


@fuzz_settings(40)
@given(words=st.lists(WORDS, min_size=1, max_size=2), limit=st.sampled_from([1_000, 4]),
       cap=st.sampled_from([5_000, 3]), walk_set=st.sampled_from([10_000, 0]), include_left=st.booleans(),
       descending=st.booleans(), scale=st.sampled_from([None, "above"]))
def test_every_parks_search_finds_what_instr_finds_in_ledger_order(county, county_store, words, limit, cap,
                                                                   walk_set, include_left, descending, scale):
    """`cap` 3: most words have more matches than EXACT_COUNT_LIMIT (the name-order walk, an
    estimated count), each tenant tested against the set of matching tenants (`walk_set` 10,000) or
    its key read (0); 5,000: the matches listed from the index. `limit` 4: the first page only.
    Without a scale the search keys' rows answer alone (`_page_from_keys`); with one, the tenants
    are read."""
    search = " ".join(words)
    conn = sqlite3.connect(county)
    try:
        expected = scanned(conn, queries.search_words(search), include_left=include_left, scale=scale,
                           descending=descending)
    finally:
        conn.close()
    with (Session(county_store.engine) as session, mock.patch.object(queries, "EXACT_COUNT_LIMIT", cap),
          mock.patch.object(queries, "WALK_SET_LIMIT", walk_set)):
        rows, total = queries.ledger_page(session, LedgerQuery(
            search=search, include_left=include_left, scale=scale, descending=descending, limit=limit, today=TODAY))
    assert [row.id for row in rows] == expected[:limit]
    if total.estimated:
        assert len(expected) > cap and total >= cap
    else:
        assert total == len(expected)


@fuzz_settings(40)
@given(words=st.lists(WORDS, min_size=1, max_size=2), walk_set=st.sampled_from([10_000, 0]),
       include_left=st.booleans(), scale=st.sampled_from([None, "above"]), cap=st.sampled_from([3, 12]))
@example(words=["平"], walk_set=10_000, include_left=False, scale="above", cap=12)  # many keys, few above size
@example(words=["平"], walk_set=0, include_left=False, scale="above", cap=12)
def test_an_estimate_drawn_from_every_key_or_every_tenant_is_the_count(county, county_store, words, walk_set,
                                                                      include_left, scale, cap):
    """The estimate's samples (the keys the index finds, `walk_set` 10,000; or the county's tenant
    rows, 0) made as large as what they draw from: the estimate is then the oracle's count, rounded
    to two figures and, unless a scale narrows the words' matches, never below the limit, whichever
    way the words were found."""
    search = " ".join(words)
    conn = sqlite3.connect(county)
    try:
        expected = scanned(conn, queries.search_words(search), include_left=include_left, scale=scale)
    finally:
        conn.close()
    with (Session(county_store.engine) as session, mock.patch.object(queries, "EXACT_COUNT_LIMIT", cap),
          mock.patch.object(queries, "WALK_SET_LIMIT", walk_set), mock.patch.object(queries, "KEY_SAMPLE", 10_000),
          mock.patch.object(queries, "ESTIMATE_SAMPLE", 10_000)):
        _, total = queries.ledger_page(session, LedgerQuery(search=search, include_left=include_left, scale=scale,
                                                            limit=1, today=TODAY))
    if total.estimated:
        assert total == max(queries._two_figures(len(expected)), 0 if scale else cap)
    else:
        assert total == len(expected)


@pytest.mark.parametrize("word", ["精", "jm", "56", "(", "é", "\"", "_", "号楼"])
def test_a_short_word_is_one_token_of_the_index(county, word):
    conn = _connect(county)
    try:
        [index] = queries.index_matches([word])
        indexed = {rowid for (rowid,) in conn.execute(
            f"SELECT rowid FROM {index.table} WHERE {index.table} MATCH ?", (index.match,))}
        keys = dict(conn.execute("SELECT id, key FROM tenant_search"))
    finally:
        conn.close()
    assert index.table == "tenant_grams" and index.exact
    assert indexed == {i for i, key in keys.items() if word in key}


def assert_grams_are_fresh(conn: sqlite3.Connection) -> None:
    """Every (piece, key) the index holds is one the keys make afresh, and no other."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.grams_held USING fts5vocab(main, tenant_grams, instance)")
    held = Counter(conn.execute("SELECT term, doc FROM temp.grams_held"))
    fresh = Counter((token, rowid) for rowid, key in conn.execute("SELECT id, key FROM tenant_search")
                    for token in search_key.tenant_search_grams(key).split())
    assert held == fresh
    assert short_index_drift(conn) == (0, 0)


def assert_fresh_file(path: Path) -> None:
    conn = _connect(path)
    try:
        assert_grams_are_fresh(conn)
    finally:
        conn.close()


@fuzz_settings(25)
@given(operations=OPERATIONS)
def test_the_short_word_index_equals_a_fresh_computation_after_any_writes(tmp_path_factory, seeded, operations):  # noqa: F811
    path = tmp_path_factory.mktemp("writes") / "t.db"
    shutil.copyfile(seeded, path)
    conn = _connect(path)
    try:
        for operation in operations:
            _apply(conn, operation)
        assert_grams_are_fresh(conn)
        conn.execute("INSERT INTO tenant_grams (tenant_grams, rank) VALUES ('integrity-check', 1)")  # SQLite's own
    finally:
        conn.close()


def test_the_short_word_index_is_kept_by_a_first_sync_and_later_changes(served_hub, devices):
    from inspect_app.services.ledger import save_tenant

    app, url = served_hub
    a, b = devices.new("a"), devices.new("b")
    park_id = add_park(a, "PH-001", n=9)["park"]
    ids = add(a, park_id)
    token_a = enrol_device(app.state.engine, "a", None)[1]
    sync(a, url, token_a)
    token_b = enrol_device(app.state.engine, "b", None)[1]
    sync(b, url, token_b)  # an empty device: its first sync loads the hub's snapshot in bulk
    assert_fresh_file(b.path)
    assert found(b, "jm") == {JIAMEI, JIAMING}
    values = tenant_as_input_of(a, ids[JIAMING]) | {"name": "平湖市华丰塑料有限公司"}
    save_tenant(a, park_id=park_id, data=TenantInput.model_validate(values), tenant_id=ids[JIAMING])
    sync(a, url, token_a)
    sync(b, url, token_b)  # a later change: applied by the merge (sync/apply.py)
    assert_fresh_file(b.path)
    assert found(b, "hf") == {"平湖市华丰塑料有限公司"} and found(b, "jm") == {JIAMEI}


def test_check_names_a_drifted_short_word_index(store, park, db_path):
    add(store, park.id)
    store.close()
    assert check_database(db_path)["ok"]
    conn = _connect(db_path)
    # The index loses a key's pieces (as a write around the triggers would leave it).
    conn.execute("INSERT INTO tenant_grams (tenant_grams, rowid, grams) SELECT 'delete', id, tenant_search_grams(key) "
                 "FROM tenant_search WHERE key LIKE '平湖市佳美%'")
    conn.close()
    report = check_database(db_path)
    assert not report["ok"]
    assert any("短词搜索索引" in p or "short-word search index" in p for p in report["problems"]), report


@pytest.mark.parametrize("drift", ["status = 'left'", "deleted = 1", "name = '别的名字'"])
def test_check_names_a_tenant_whose_name_or_status_beside_its_key_drifted(store, park, db_path, drift):
    add(store, park.id)
    store.close()
    assert check_database(db_path)["ok"]
    conn = _connect(db_path)
    conn.execute(f"UPDATE tenant_search SET {drift} WHERE key LIKE '平湖市佳美%'")  # a write around the triggers
    conn.close()
    report = check_database(db_path)
    assert not report["ok"]
    assert any(JIAMEI in p and ("搜索键" in p or "search key" in p) for p in report["problems"]), report


def _three_tenants_before(tmp_path: Path, revision: str):
    """A file at the revision before `revision` (wherever it is chained) holding a park and three
    tenants written as that revision's triggers keep them; its Alembic config and an open connection."""
    path = tmp_path / "old.db"
    config = migrations.alembic_config(path)
    command.upgrade(config, ScriptDirectory.from_config(config).get_revision(revision).down_revision)
    conn = _connect(path)
    conn.execute("INSERT INTO park (id, code, name, district, street, function_type, developer_type, star_rating, "
                 "provincially_certified, land_area_mu, floor_area_m2, deleted, hlc, origin_device, created_at, "
                 "updated_at) VALUES ('p', 'PH-001', '园', '区', '街', 'manufacturing', 'government', 3, 0, 10, 1000, "
                 "0, 'x', 'd', '2026-01-01', '2026-01-01')")
    for name in (JIAMEI, JIAMING, "鑫诺塑料"):
        _insert(conn, new_id(), name, "3F-301")
    return path, config, conn


def test_migration_0024_copies_the_name_and_status_of_the_tenants_already_stored(tmp_path):
    path, config, conn = _three_tenants_before(tmp_path, "0024_search_order")
    conn.execute("UPDATE tenant SET status = 'left' WHERE name = ?", (JIAMING,))
    conn.execute("UPDATE tenant SET deleted = 1 WHERE name = '鑫诺塑料'")
    conn.close()
    store = Store.open(path)  # migrates to 0024
    try:
        assert found(store, "jm") == {JIAMEI} and found(store, "3f") == {JIAMEI}
        with Session(store.engine) as session:
            rows, _ = queries.ledger_page(session, LedgerQuery(search="3f", include_left=True, today=TODAY))
        assert [row.name for row in rows] == sorted([JIAMEI, JIAMING])
        assert check_database(path)["ok"]
    finally:
        store.close()
    command.downgrade(config, "0023_county_candidates")  # and back: the triggers of 0017 again
    conn = _connect(path)
    conn.execute("UPDATE tenant SET name = '鑫诺塑料二' WHERE name = '鑫诺塑料'")
    assert [c[1] for c in conn.execute("PRAGMA table_info(tenant_search)")] == ["id", "tenant_id", "key"]
    conn.close()
    command.upgrade(config, "head")
    assert check_database(path)["ok"]


def test_migration_0020_indexes_the_keys_already_stored(tmp_path):
    path, _, conn = _three_tenants_before(tmp_path, "0020_search_short")
    conn.close()
    store = Store.open(path)  # migrates to 0020
    try:
        assert found(store, "jm") == {JIAMEI, JIAMING}
        assert found(store, "鑫") == {"鑫诺塑料"} and found(store, "3f") == {JIAMEI, JIAMING, "鑫诺塑料"}
        assert_fresh_file(store.path)
    finally:
        store.close()


@given(top=st.integers(0, 50_000), seed=st.integers(0, 10))
def test_the_estimates_rows_are_spread_over_the_whole_table_once_each(top, seed):
    """As many rowids as the sample asks (all of them in a smaller table), each once, from the
    first stretch of rows to the last."""
    drawn = queries._spread(random.Random(seed), top)
    count = min(queries.ESTIMATE_SAMPLE, top)
    assert len(drawn) == len(set(drawn)) == count
    assert all(1 <= rowid <= top for rowid in drawn)
    if count:
        step = top / count
        assert drawn[0] <= 1 + step and drawn[-1] > top - step


@pytest.mark.parametrize("offset", [0, 3, 1_000])
def test_a_listed_search_counts_its_matches_on_any_page_even_past_the_last(county, county_store, offset):
    conn = sqlite3.connect(county)
    try:
        expected = scanned(conn, ["平"])
    finally:
        conn.close()
    with Session(county_store.engine) as session:
        rows, total = queries.ledger_page(session, LedgerQuery(search="平", limit=5, offset=offset, today=TODAY))
    assert [row.id for row in rows] == expected[offset:offset + 5]
    assert total == len(expected) and not total.estimated
