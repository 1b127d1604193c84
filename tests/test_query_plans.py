"""The statements whose cost must follow the work asked, not the county's size, keep their plans.

Each of these grew with the county until the 10x scale run found it (docs/PERFORMANCE.md,
"Scale"): SQLite, without statistics, picked an index that made one park's question read the
whole county. The tests read SQLite's EXPLAIN QUERY PLAN on a small demo database and name the
index each one must go through — so an index added later, or a rewritten statement, that brings
the old plan back fails here rather than in the field. (Plans are those of the SQLite the tests
run with; the CI's is the one `docs/PERFORMANCE.md` was measured with.)
"""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlalchemy.dialects import sqlite as sqlite_dialect

from db import risk_flag_queries
from db.overview import PARK_SUMMARIES_SQL, overdue_sql
from db.queries import _hazard_counts
from db.store import Store
from inspect_app.services import risk_flags
from inspect_app.services.demo import generate_demo

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "demo.db"
    store = Store.open(path)
    generate_demo(store, parks=2, tenants_per_park=15, seed=3, today=TODAY)
    store.close()
    conn = sqlite3.connect(path)
    park_id, = conn.execute("SELECT id FROM park ORDER BY code LIMIT 1").fetchone()
    tenant_ids = [row[0] for row in conn.execute("SELECT id FROM tenant WHERE park_id = ? LIMIT 5", (park_id,))]
    yield conn, park_id, tenant_ids
    conn.close()


def plan(conn: sqlite3.Connection, sql: str, params: dict | tuple = ()) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def test_a_ledger_pages_hazard_counts_go_through_its_tenants(demo):
    conn, _, tenant_ids = demo
    statement = _hazard_counts(TODAY, tenant_ids)
    sql = str(statement.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}))
    steps = plan(conn, sql)
    assert "SEARCH hazard USING INDEX ix_hazard_tenant_id (tenant_id=?)" in steps, steps
    assert "SEARCH rectification_item USING INDEX ix_rectification_item_hazard_id (hazard_id=?)" in steps, steps


def test_a_parks_overdue_count_starts_from_its_hazards(demo):
    conn, park_id, _ = demo
    steps = plan(conn, overdue_sql(one_park=True), {"park_id": park_id, "today": TODAY.isoformat()})
    # The park's open hazards (ix_hazard_park_status of live hazards, migration 0021), not all of its hazards.
    assert steps[0] == "SEARCH h USING INDEX ix_hazard_park_status (park_id=? AND status=?)", steps
    assert "SEARCH r USING INDEX ix_rectification_item_hazard_id (hazard_id=?)" in steps, steps


def test_a_parks_ledger_mismatch_flag_reads_its_tenants_inspections(demo):
    conn, park_id, _ = demo
    templates = risk_flags.ledger_template_ids()
    params = {f"template{n}": template for n, template in enumerate(templates)} | {"park_id": park_id}
    steps = plan(conn, risk_flag_queries.ledger_sql(park_id, templates), params)
    assert any(step.startswith("SEARCH t USING INDEX") and "(park_id=?)" in step for step in steps), steps
    assert "SEARCH i USING INDEX ix_inspection_tenant_id (tenant_id=?)" in steps, steps


def test_the_decline_and_idle_candidates_are_found_per_tenant_not_by_scanning_the_reports(demo):
    conn, _, _ = demo
    params = {"year": 2026, "quarter": 3, "zombie_output": 1.0, "decline_pct": 30, "first": 8100, "last": 8106,
              "park_id": None}
    steps = plan(conn, risk_flag_queries.quarterly_sql(None), params)
    assert not any(step.startswith("SCAN r") for step in steps), steps  # no walk of every quarterly report


def test_the_park_list_reads_one_row_of_totals_per_park(demo):
    conn, _, _ = demo
    steps = plan(conn, PARK_SUMMARIES_SQL, {"today": TODAY.isoformat()})
    assert not any("tenant" in step for step in steps), steps  # tenants come from park_total
    assert any(step.startswith("SEARCH t USING INDEX sqlite_autoindex_park_total") for step in steps), steps
    # Open items of open hazards only: hazard_key's partial index (migrations 0018, 0021), in park order.
    assert "SCAN k USING INDEX ix_hazard_key_open_park" in steps, steps


def _search_count_sql(park_id: str | None, search: str) -> str:
    from sqlmodel import func, select

    from db.models import Tenant
    from db.queries import LedgerQuery, _ledger_filter

    query = LedgerQuery(park_id=park_id, search=search)
    statement = select(func.count()).select_from(Tenant).where(_ledger_filter(query))
    return str(statement.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}))


def _ordered_sql(search: str, index: int) -> str:
    """The statement that lists a search's matching tenants in name order from one of its indexes."""
    from sqlmodel import select

    from db.models import Tenant
    from db.queries import LedgerQuery, _ledger_filter, index_matches, search_words

    query = LedgerQuery(search=search)
    found = index_matches(search_words(search))[index]
    statement = select(Tenant.id).where(_ledger_filter(query, few_matches=found)).order_by(Tenant.name, Tenant.id)
    return str(statement.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}))


def test_a_parks_search_looks_up_its_tenants_search_keys_by_primary_key(demo):
    conn, park_id, _ = demo
    steps = plan(conn, _search_count_sql(park_id, "3f301"))
    assert steps[0] == "SEARCH tenant USING INDEX ix_tenant_park_name (park_id=?)", steps
    assert "SEARCH tenant_search USING INDEX sqlite_autoindex_tenant_search_1 (tenant_id=?)" in steps, steps
    assert "SCAN tenant_search" not in steps, steps  # not every key of the county


@pytest.mark.parametrize("search, which, index", [
    ("jiamei", 0, "tenant_fts"), ("jm", 0, "tenant_grams"), ("精", 0, "tenant_grams"), ("精密 5", 0, "tenant_grams"),
    ("有限公司 jm", 0, "tenant_fts"), ("有限公司 jm", 1, "tenant_grams"),
])
def test_a_search_of_every_park_with_few_matches_reads_them_from_an_index_once(demo, search, which, index):
    """Words of any length: the index's matches drive the lookups of their keys, then of their
    tenants, which are sorted (never every key or tenant of the county walked)."""
    conn, _, _ = demo
    steps = plan(conn, _ordered_sql(search, which))
    assert any(step.startswith(f"SCAN {index} VIRTUAL TABLE INDEX") for step in steps), steps
    assert "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)" in steps, steps
    assert "SEARCH tenant USING INDEX sqlite_autoindex_tenant_1 (id=?)" in steps, steps
    assert not any(step.startswith(("SCAN tenant_search", "SCAN tenant ", "CORRELATED")) for step in steps), steps
    assert not any(step == "SCAN tenant" for step in steps), steps


def test_a_search_of_every_park_with_some_matches_walks_the_name_order_testing_a_set(demo):
    """Past EXACT_COUNT_LIMIT but few enough: the name order walked, each tenant's id looked up in
    the set of matching tenants listed once from the index (no key read per tenant)."""
    from sqlmodel import select

    from db.models import Tenant
    from db.queries import LedgerQuery, _ledger_filter, index_matches, search_words

    conn, _, _ = demo
    query = LedgerQuery(search="jm")
    [index] = index_matches(search_words(query.search))
    statement = select(Tenant.id).where(_ledger_filter(query, walk_set=index)).order_by(Tenant.name, Tenant.id).limit(100)
    steps = plan(conn, str(statement.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True})))
    assert steps[0] == "SCAN tenant USING INDEX ix_tenant_name_id", steps
    assert "LIST SUBQUERY 1" in steps and any(step.startswith("SCAN tenant_grams VIRTUAL TABLE") for step in steps), steps
    assert not any(step.startswith(("CORRELATED", "SCAN tenant_search")) for step in steps), steps


def test_a_search_of_every_park_with_many_matches_looks_each_key_up_by_primary_key(demo):
    conn, _, _ = demo
    steps = plan(conn, _search_count_sql(None, "有限公司"))
    assert "SEARCH tenant_search USING INDEX sqlite_autoindex_tenant_search_1 (tenant_id=?)" in steps, steps
    assert "SCAN tenant_search" not in steps, steps


def _keys_params(search: str) -> dict:
    from db.queries import index_matches, search_words

    words = search_words(search)
    return ({"match": index_matches(words)[0].match, "in_park": "in_park", "limit": 100, "offset": 0}
            | {f"w{i}": word for i, word in enumerate(words)})


@pytest.mark.parametrize("search", ["精", "jm", "有限公司", "精密 5"])
def test_a_typed_search_with_few_matches_reads_each_key_once_and_never_a_tenant(demo, search):
    """The search box's default (every park, name order, no filter): the index's rowids drive the
    reads of their keys' rows, which hold the name and status to order and filter by (0024)."""
    from db.queries import LedgerQuery, index_matches, keys_listed_sql, search_words

    conn, _, _ = demo
    query = LedgerQuery(search=search)
    steps = plan(conn, keys_listed_sql(query, index_matches(search_words(search))[0]), _keys_params(search))
    assert any(step.startswith("SCAN tenant_") and "VIRTUAL TABLE INDEX" in step for step in steps), steps
    assert "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)" in steps, steps
    assert not any(f"{step} ".startswith(("SEARCH tenant ", "SCAN tenant ")) for step in steps), steps


@pytest.mark.parametrize("walk_set", [True, False])
def test_a_typed_search_with_more_matches_walks_the_keys_name_order_and_never_a_tenant(demo, walk_set):
    """Past EXACT_COUNT_LIMIT: the keys' own name order walked, each entry's rowid tested against
    the set the index lists once (no key read to build it), or each key read when most match."""
    from db.queries import LedgerQuery, index_matches, keys_walk_sql, search_words

    conn, _, _ = demo
    query = LedgerQuery(search="jm")
    index = index_matches(search_words(query.search))[0] if walk_set else None
    steps = plan(conn, keys_walk_sql(query, index), _keys_params(query.search))
    # "jm" is one token of an exact index: with the set, the walk reads the index alone.
    assert steps[0] == f"SCAN s USING {'COVERING ' if walk_set else ''}INDEX ix_tenant_search_order", steps
    assert "USE TEMP B-TREE FOR ORDER BY" not in steps, steps
    assert ("LIST SUBQUERY 1" in steps) == walk_set, steps
    assert not any(f"{step} ".startswith(("CORRELATED", "SEARCH tenant ", "SCAN tenant ")) for step in steps), steps


def test_the_park_lists_first_page_reads_the_hazards_of_its_parks_only(demo):
    from db.overview import PARK_PAGE_SQL

    conn, _, _ = demo
    steps = plan(conn, PARK_PAGE_SQL, {"today": TODAY.isoformat(), "limit": 60})
    assert "SEARCH h USING INDEX ix_hazard_park_id (park_id=?)" in steps, steps
    assert not any("ix_hazard_status" in step for step in steps), steps
