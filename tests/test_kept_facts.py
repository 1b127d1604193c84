"""The rows the triggers of migration 0018 keep — `hazard_key` (the hazards view's filters and
order) and `report_fact` (each quarterly report beside the year-before one) — always equal a
fresh computation, whatever writes the tables: raw writes like the sync merge's, the app's
services, a sync with another device, a first sync's snapshot. What the view and the county
overview read from them equals what the former full reads gave, and `parkinspect check` names a
table that drifted."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import and_
from sqlmodel import select

from db import overview_queries
from db.ids import new_id
from db.maintenance_queries import DERIVED_ROWS, derived_row_drift
from db.models import Hazard, RectificationItem
from db.store import Store
from forms.risk_flag_thresholds import RiskFlagThresholds
from inspect_app.services import hazards as hazard_service
from inspect_app.services.demo import generate_demo
from inspect_app.services.hazards import (
    HAZARD_VIEW_STATUSES,
    UNRESOLVED,
    HazardQuery,
    count_hazards,
    hazard_page,
)
from inspect_app.services.maintenance import check_database
from inspect_app.services.park_overview import FlagCounts, county_overview
from inspect_app.services.risk_flags import Quarter, load_flags
from tests.fuzz import fuzz_settings
from tests.new_files import new_sqlite_hub
from tests.test_park_totals import PARKS, _apply, _connect, _seed
from tests.test_park_totals import operations as total_operations

TODAY = date(2026, 11, 26)
QUARTERS = ((2026, 3), (2025, 3), (2026, 2), (2025, 2), (2026, 1))
DEADLINES = (None, TODAY - timedelta(days=3), TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=9))
ITEM_STATUSES = ("open", "pending_review", "closed", "escalated", "superseded")
OUTPUTS = st.one_of(st.none(), st.sampled_from((0.0, 0.5, 5.0, 69.0, 70.0, 100.0, 1e6)))


def fresh_rows(conn: sqlite3.Connection, table: str) -> list[tuple]:
    return sorted(conn.execute(DERIVED_ROWS[table][0]).fetchall(), key=repr)


def kept_rows(conn: sqlite3.Connection, table: str) -> list[tuple]:
    return sorted(conn.execute(DERIVED_ROWS[table][1]).fetchall(), key=repr)


def assert_kept(conn: sqlite3.Connection) -> None:
    for table in DERIVED_ROWS:
        assert kept_rows(conn, table) == fresh_rows(conn, table), table
        assert derived_row_drift(conn, table) == (0, 0)


# --- any sequence of raw writes -------------------------------------------------------------------

item_operations = st.one_of(
    st.tuples(st.just("new_item"), st.integers(0, 7), st.sampled_from(ITEM_STATUSES), st.sampled_from(DEADLINES)),
    st.tuples(st.just("item"), st.integers(0, 9), st.one_of(
        st.tuples(st.just("status"), st.sampled_from(ITEM_STATUSES)),
        st.tuples(st.just("deadline"), st.sampled_from(DEADLINES)),
        st.tuples(st.just("deleted"), st.booleans()),
        st.tuples(st.just("hazard"), st.integers(0, 7)))),
    st.tuples(st.just("delete_item"), st.integers(0, 9)),
    st.tuples(st.just("found_on"), st.integers(0, 7), st.sampled_from((TODAY - timedelta(days=40), TODAY))),
    st.tuples(st.just("report"), st.sampled_from(("t1", "t2", "t3", "t4")), st.sampled_from(QUARTERS),
              OUTPUTS, OUTPUTS),
)
# The park totals' writes (tenants, hazards, reports) and these (items, days found, reports with
# the outputs the rules' thresholds sit between), taken in turns.
operations = st.tuples(total_operations, st.lists(item_operations, min_size=5, max_size=30)).map(
    lambda drawn: [op for pair in zip(drawn[0], drawn[1], strict=False) for op in pair]
    + drawn[0][len(drawn[1]):] + drawn[1][len(drawn[0]):])


def _nth(conn: sqlite3.Connection, table: str, n: int) -> str | None:
    row = conn.execute(f"SELECT id FROM {table} ORDER BY rowid LIMIT 1 OFFSET ?", (n,)).fetchone()  # noqa: S608
    return row[0] if row else None


def _day(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value  # as the store keeps dates


def _write(conn: sqlite3.Connection, operation: tuple) -> None:
    kind, *rest = operation
    if kind == "new_item":
        n, status, deadline = rest
        hazard = _nth(conn, "hazard", n)
        if hazard:
            conn.execute("INSERT INTO rectification_item (id, hazard_id, deadline, status, revision, deleted, hlc, "
                         "origin_device, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, 'x', 'd', '2026-01-01', "
                         "'2026-01-01')", (new_id(), hazard, _day(deadline), status))
    elif kind == "item":
        n, (column, value) = rest
        item = _nth(conn, "rectification_item", n)
        if item:
            if column == "hazard":
                column, value = "hazard_id", _nth(conn, "hazard", value)
            conn.execute(f"UPDATE rectification_item SET {column} = ? WHERE id = ?", (_day(value), item))  # noqa: S608
    elif kind == "delete_item":
        conn.execute("DELETE FROM rectification_item WHERE id = ?", (_nth(conn, "rectification_item", rest[0]),))
    elif kind == "found_on":
        conn.execute("UPDATE hazard SET found_on = ? WHERE id = ?", (_day(rest[1]), _nth(conn, "hazard", rest[0])))
    elif kind == "report":
        tenant, (year, quarter), output, electricity = rest
        conn.execute(
            "INSERT INTO quarterly_report (id, tenant_id, year, quarter, output_value_wan, electricity_kwh, deleted, "
            "hlc, origin_device, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 'x', 'd', '2026-01-01', "
            "'2026-01-01') ON CONFLICT (tenant_id, year, quarter) DO UPDATE SET "
            "output_value_wan = excluded.output_value_wan, electricity_kwh = excluded.electricity_kwh",
            (f"r-{tenant}-{year}-{quarter}", tenant, year, quarter, output, electricity))
    else:
        _apply(conn, operation)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, migrated_file) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "t.db"
    shutil.copyfile(migrated_file, path)
    Store.open(path).close()
    conn = _connect(path)
    try:
        _seed(conn)
    finally:
        conn.close()
    return path


def _reference_keys(store: Store, query: HazardQuery) -> list[tuple[str, str | None]]:
    """The hazards view's page as it was read before hazard_key: the outer join of every live
    hazard with its live items, filtered and sorted in full."""
    live = and_(RectificationItem.deleted == False, RectificationItem.status != "superseded")  # noqa: E712
    statement = (select(Hazard.id, RectificationItem.id)
                 .outerjoin(RectificationItem, and_(RectificationItem.hazard_id == Hazard.id, live))
                 .where(*hazard_service._conditions(query))
                 .order_by(RectificationItem.deadline.is_(None), RectificationItem.deadline, Hazard.found_on,
                           Hazard.id))
    with store.read() as session:
        return [tuple(row) for row in session.exec(statement).all()]


def _page_keys(store: Store, query: HazardQuery) -> list[tuple[str, str | None]]:
    from db.hazard_queries import hazard_keys

    with store.read_connection() as conn:
        return hazard_keys(conn, hazard_service._key_filter(query), today=query.today, limit=query.limit,
                           offset=query.offset)


def _old_county_counts(store: Store, quarter: Quarter, today: date,
                       thresholds: RiskFlagThresholds) -> dict[str, FlagCounts]:
    """The county's flag counts per park as they were read before: every flag made, grouped by park."""
    with store.read_connection() as conn:
        flags = load_flags(conn, quarter=quarter, today=today, thresholds=thresholds)
        parks = overview_queries.tenant_parks(conn, list(flags))
    grouped: dict[str, list] = {}
    for tenant_id, tenant_flags in flags.items():
        grouped.setdefault(parks[tenant_id], []).append(tenant_flags)
    return {park: FlagCounts.of(sets) for park, sets in grouped.items()}


def assert_reads_as_before(store: Store, today: date) -> None:
    filters = [(status, None) for status in (None, UNRESOLVED, *HAZARD_VIEW_STATUSES)]
    for status, park_id in [*filters, (UNRESOLVED, PARKS[0]), ("overdue", PARKS[0])]:
        query = HazardQuery(status=status, park_id=park_id, today=today, limit=10_000)
        reference = _reference_keys(store, query)
        page = _page_keys(store, query)
        assert [h for h, _ in page] == [h for h, _ in reference], (status, park_id)
        if status is None:  # the rows the screen shows, in that order
            assert [row.id for row in hazard_page(store, query)] == [h for h, _ in reference]
        assert sorted(page, key=repr) == sorted(reference, key=repr)
        assert count_hazards(store, query).count == len(reference)
        capped = count_hazards(store, query, cap=3)
        assert (capped.count, capped.more) == ((3, True) if len(reference) >= 3 else (len(reference), False))
        if len(reference) > 2:  # a later page is the same slice of the order
            later = _page_keys(store, replace(query, limit=2, offset=1))
            assert [h for h, _ in later] == [h for h, _ in reference[1:3]]
    for thresholds in (RiskFlagThresholds(), RiskFlagThresholds(decline_pct=30, zombie_output_wan=70,
                                                                 zombie_power_pct=100, zombie_quarters=1)):
        overview = county_overview(store, quarter=Quarter(2026, 3), today=today, thresholds=thresholds)
        counted = {park.id: park.figures.flags for park in overview.parks if park.figures.flags != FlagCounts()}
        assert counted == _old_county_counts(store, Quarter(2026, 3), today, thresholds)


@fuzz_settings(15)
@given(operations=operations, today=st.sampled_from(DEADLINES[1:]))
def test_kept_rows_equal_a_fresh_computation_and_read_as_before_after_any_writes(tmp_path_factory, seeded,
                                                                                  operations, today):
    path = tmp_path_factory.mktemp("kept") / "t.db"
    shutil.copyfile(seeded, path)
    conn = _connect(path)
    try:
        for operation in operations:
            try:
                _write(conn, operation)
            except sqlite3.IntegrityError:
                pass  # refused whole, its triggers' writes included
        assert_kept(conn)
    finally:
        conn.close()
    store = Store.open(path)
    try:
        assert_reads_as_before(store, today)
    finally:
        store.close()


def test_a_failed_transaction_leaves_the_kept_rows_as_they_were(tmp_path, seeded):
    shutil.copyfile(seeded, tmp_path / "t.db")
    conn = _connect(tmp_path / "t.db")
    before = {table: kept_rows(conn, table) for table in DERIVED_ROWS}
    conn.execute("BEGIN")
    _write(conn, ("new_item", 0, "open", TODAY))
    _write(conn, ("report", "t1", (2026, 3), 5.0, 10.0))
    conn.execute("ROLLBACK")
    assert {table: kept_rows(conn, table) for table in DERIVED_ROWS} == before
    conn.close()


# --- the app's own write paths, a sync, a first sync --------------------------------------------


def test_the_demo_a_sync_and_a_snapshot_keep_the_rows_and_the_overview_reads_as_before(devices, tmp_path):
    from inspect_app.hub.app import create_app
    from inspect_app.hub.storage import enrol_device
    from tests.hub_server import serve
    from tests.sync_helpers import sync

    a, replayed, fresh = devices.new("a"), devices.new("replayed"), devices.new("fresh")
    generate_demo(a, parks=2, tenants_per_park=6, seed=5, today=TODAY)
    with a.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM hazard_key").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM report_fact").fetchone()[0] > 0
        assert_kept(conn)
    app = create_app(new_sqlite_hub(tmp_path / "hub.db"), rate_per_second=10_000, burst=10_000)
    with serve(app) as base:
        for store, name in ((a, "a"), (replayed, "replayed"), (fresh, "fresh")):
            sync(store, base, enrol_device(app.state.engine, name, None)[1], use_snapshot=store is fresh)
    app.state.engine.dispose()
    for store in (replayed, fresh):  # the merge of every change, and the snapshot's bulk load
        with store.read_connection() as conn, a.read_connection() as conn_a:
            assert_kept(conn)
            for table in DERIVED_ROWS:  # the same rows as the device that wrote them
                assert kept_rows(conn, table) == kept_rows(conn_a, table)
        assert check_database(store.path)["ok"], check_database(store.path)["problems"]
    assert_reads_as_before(a, TODAY)


def test_0023_stores_the_report_facts_by_tenant_and_quarter_and_keeps_them_both_ways(tmp_path, seeded):
    from alembic import command

    from db import migrations

    path = tmp_path / "t.db"
    shutil.copyfile(seeded, path)
    conn = _connect(path)
    _write(conn, ("report", "t1", (2026, 3), 0.5, 10.0))  # an idle tenant's quarter, and a fall
    conn.close()
    config = migrations.alembic_config(path)
    with sqlite3.connect(path) as conn:
        facts = kept_rows(conn, "report_fact")
    assert facts
    for step, revision in ((command.downgrade, "0022_lean_results"), (command.upgrade, "head")):
        step(config, revision)  # the rowid table again, then this one
        conn = _connect(path)
        try:
            assert kept_rows(conn, "report_fact") == facts
            without_rowid = "WITHOUT ROWID" in conn.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'report_fact'").fetchone()[0]
            assert without_rowid == (revision == "head")
            # The triggers of 0018 came back with the table: a write keeps the facts.
            conn.execute("BEGIN")
            _write(conn, ("report", "t2", (2026, 3), 40.0, 300.0))
            _write(conn, ("report", "t2", (2025, 3), 90.0, 310.0))
            assert_kept(conn)
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    assert check_database(path)["ok"], check_database(path)["problems"]


def test_check_names_a_kept_table_that_differs_from_its_rows(tmp_path, seeded):
    shutil.copyfile(seeded, tmp_path / "t.db")
    conn = _connect(tmp_path / "t.db")
    _write(conn, ("new_item", 0, "open", TODAY))
    _write(conn, ("report", "t1", (2026, 3), 5.0, 10.0))
    conn.close()
    assert check_database(tmp_path / "t.db")["ok"]
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:  # written around the triggers, as only a hand edit or a bug could
        conn.execute("UPDATE hazard_key SET deadline = '2020-01-01' WHERE item_id IS NOT NULL")
        conn.execute("INSERT INTO report_fact SELECT tenant_id, year + 10, quarter, quarter_index + 40, output_wan, "
                     "electricity_kwh, output_year_before_wan, output_ratio FROM report_fact")
    conn.close()

    assert check_database(tmp_path / "t.db")["problems"] == [
        "派生表 hazard_key（由触发器维护）与明细重新计算的结果不符：缺少 1 行，多出或不符 1 行",
        "派生表 report_fact（由触发器维护）与明细重新计算的结果不符：缺少 0 行，多出或不符 1 行"]


def test_the_county_reads_flags_and_pages_from_the_kept_rows_indexes(seeded):
    from db import risk_flag_queries
    from db.hazard_queries import KeyFilter, count_sql, page_sql

    conn = sqlite3.connect(seeded)

    def plan(sql: str, params: dict) -> list[str]:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]

    params = {"park_id": None, "tenant_id": None, "severity": None, "status": UNRESOLVED,
              "today": TODAY.isoformat(), "limit": 100, "offset": 0, "cap": 10}
    steps = plan(page_sql(KeyFilter(status=UNRESOLVED)), params)
    assert steps == ["SCAN k USING INDEX ix_hazard_key_order"], steps  # in order, no sort: stops after the page
    steps = plan(page_sql(KeyFilter(park_id="p1", status="overdue")), params)
    assert steps == ["SEARCH k USING INDEX ix_hazard_key_park_order (park_id=?)"], steps
    assert "LIMIT" in count_sql(KeyFilter(), capped=True)
    steps = plan(risk_flag_queries.quarterly_sql(None), {"year": 2026, "quarter": 3, "zombie_output": 1.0,
                                                         "decline_pct": 30, "first": 8100, "last": 8106})
    assert any("USING COVERING INDEX ix_report_fact_output (quarter_index=? AND output_wan<?)" in s for s in steps), steps
    assert any("USING COVERING INDEX ix_report_fact_ratio (quarter_index=? AND output_ratio<?)" in s for s in steps), steps
    assert not any(step.startswith(("SCAN f", "SCAN r", "SCAN t")) for step in steps), steps  # the candidates only
    # The county's own two reads (migration 0023): the candidates from the indexes alone (the
    # tenant and, for the declining rule, both outputs are in them), an idle tenant's window one
    # range of the table's key.
    params = {"last": 8106, "first": 8101, "zombie_output": 1.0, "decline_pct": 30}
    steps = plan(risk_flag_queries.DECLINING_CANDIDATES_SQL, params)
    assert steps == ["SEARCH f USING COVERING INDEX ix_report_fact_ratio (quarter_index=? AND output_ratio<?)",
                     "SEARCH t USING PRIMARY KEY (tenant_id=?)"], steps
    steps = plan(risk_flag_queries.IDLE_WINDOWS_SQL, params)
    assert steps == ["SEARCH f USING COVERING INDEX ix_report_fact_output (quarter_index=? AND output_wan<?)",
                     "SEARCH t USING PRIMARY KEY (tenant_id=?)",
                     "SEARCH w USING PRIMARY KEY (tenant_id=? AND quarter_index>? AND quarter_index<?)"], steps
    steps = plan(risk_flag_queries.OVERDUE_TENANTS_SQL, {"today": TODAY.isoformat()})  # tenant_fact (0021)
    assert steps == ["SEARCH tenant_fact USING COVERING INDEX ix_tenant_fact_overdue (overdue_from<?)"], steps
    conn.close()


# --- the hazards view at 80x24: the rows, then the count ----------------------------------------


@pytest.mark.parametrize(("language", "counting", "counted", "more"), [
    ("zh_CN", "正在计数", "共 {n} 条，已显示 {n}", "超过 5 条，已显示 {n}"),
    ("en", "counting", "{n} hazards, {n} shown", "More than 5 hazards, {n} shown"),
])
async def test_the_hazards_view_shows_its_first_rows_before_the_count(store, monkeypatch, language, counting,
                                                                        counted, more):
    from textual.widgets import DataTable, Static

    from forms.inspector import InspectorInput
    from inspect_app.app import make_app
    from inspect_app.screens import hazards as screen_module
    from inspect_app.screens.hazards import HazardsScreen
    from inspect_app.services.profile import save_profile
    from tests.pilot import settle

    generate_demo(store, parks=1, tenants_per_park=4, seed=11, today=TODAY)
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    unresolved = count_hazards(store, HazardQuery(status=UNRESOLVED, today=TODAY)).count
    release = threading.Event()
    counted_hazards = screen_module.count_hazards

    def slow_count(*args, **kwargs):
        release.wait(5)  # the count waits; the rows must not
        return counted_hazards(*args, **kwargs)

    monkeypatch.setattr(screen_module, "count_hazards", slow_count)
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(HazardsScreen())
        await pilot.pause(0.1)  # not settle: it would wait for the count's worker
        screen = app.screen
        status = screen.query_one("#hazards-status", Static)
        assert screen.query_one("#hazards", DataTable).row_count == unresolved > 5
        assert counting in str(status.render()) and screen.total is None
        release.set()
        await pilot.pause(0.2)
        await settle(app, pilot)
        shown = str(status.render())
        assert counted.format(n=unresolved) in shown, shown
        monkeypatch.setattr(screen_module, "COUNT_CAP", 5)
        screen.reload()
        await pilot.pause(0.2)
        await settle(app, pilot)
        shown = str(status.render())
        assert more.format(n=unresolved) in shown, shown
        assert screen.total.more and screen.query_one("#hazards", DataTable).row_count == unresolved
