"""The repeat hazards the triggers of migration 0021 keep (`hazard_repeat`: each unclosed hazard
that came back after an earlier one of its tenant, or its park's common areas, and item had been
closed) always equal a fresh computation, whatever writes hazards and their items: raw writes like
the sync merge's, the app's inspections and re-inspections, a sync with another device, a first
sync's snapshot. The overview's counts per park equal the former correlated read, and `parkinspect
check` names the table when it drifts."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from db import lookback
from db.lookback import repeat_counts
from db.maintenance_queries import DERIVED_ROWS
from inspect_app.services.maintenance import check_database
from inspect_app.services.park_overview import county_overview, park_overview
from tests.fuzz import fuzz_settings
from tests.test_kept_facts import TODAY, _connect, _write, assert_kept, kept_rows, seeded  # noqa: F401 (fixture)
from tests.test_park_totals import PARKS, TENANTS

DAYS = (None, TODAY - timedelta(days=60), TODAY - timedelta(days=30), TODAY)
CODES = (None, "B02", "D01")
HAZARD_STATUSES = ("open", "pending_review", "escalated", "closed")
ITEM_STATUSES = ("open", "pending_review", "closed", "escalated", "superseded")

# The overview's former read: for each unclosed hazard, its key's earlier closed hazards, looked up.
FORMER_REPEAT_COUNTS = f"""
SELECT h.park_id, count(*) FROM hazard h
WHERE h.deleted = 0 AND h.status IN ('open', 'pending_review', 'escalated') AND h.item_code IS NOT NULL
  AND ({lookback.EARLIER_CLOSED_SQL}) > 0
GROUP BY h.park_id"""

operations = st.lists(st.one_of(
    st.tuples(st.just("new_hazard"), st.sampled_from(TENANTS), st.sampled_from(("general", "major")),
              st.sampled_from(HAZARD_STATUSES)),
    st.tuples(st.just("hazard"), st.integers(0, 9), st.one_of(
        st.tuples(st.just("item_code"), st.sampled_from(CODES)),
        st.tuples(st.just("tenant_id"), st.sampled_from((None, *TENANTS))),  # None: the common areas
        st.tuples(st.just("park_id"), st.sampled_from(PARKS)),
        st.tuples(st.just("status"), st.sampled_from(HAZARD_STATUSES)),
        st.tuples(st.just("deleted"), st.booleans()),
        st.tuples(st.just("found_on"), st.sampled_from(DAYS[1:])))),
    st.tuples(st.just("delete_hazard"), st.integers(0, 9)),
    st.tuples(st.just("new_item"), st.integers(0, 9), st.sampled_from(ITEM_STATUSES), st.sampled_from(DAYS)),
    st.tuples(st.just("item"), st.integers(0, 11), st.one_of(
        st.tuples(st.just("status"), st.sampled_from(ITEM_STATUSES)),
        st.tuples(st.just("closed_on"), st.sampled_from(DAYS)),
        st.tuples(st.just("deleted"), st.booleans()),
        st.tuples(st.just("hazard"), st.integers(0, 9)))),
    st.tuples(st.just("delete_item"), st.integers(0, 11)),
), min_size=5, max_size=40)


def _write_repeat(conn: sqlite3.Connection, operation: tuple) -> None:
    kind, *rest = operation
    if kind == "hazard" and rest[1][0] in ("item_code", "tenant_id", "found_on"):
        n, (column, value) = rest
        hazard = conn.execute("SELECT id FROM hazard ORDER BY rowid LIMIT 1 OFFSET ?", (n,)).fetchone()
        if hazard:
            value = value.isoformat() if isinstance(value, date) else value
            conn.execute(f"UPDATE hazard SET {column} = ? WHERE id = ?", (value, hazard[0]))  # noqa: S608
    elif kind == "item" and rest[1][0] == "closed_on":
        n, (_, day) = rest
        item = conn.execute("SELECT id FROM rectification_item ORDER BY rowid LIMIT 1 OFFSET ?", (n,)).fetchone()
        if item:
            conn.execute("UPDATE rectification_item SET closed_on = ? WHERE id = ?", (day and day.isoformat(), item[0]))
    elif kind == "new_item":
        n, status, day = rest
        _write(conn, ("new_item", n, status, TODAY))
        conn.execute("UPDATE rectification_item SET closed_on = ? WHERE rowid = (SELECT max(rowid) "
                     "FROM rectification_item)", (day and day.isoformat(),))
    else:
        _write(conn, operation)


def _seed_repeats(conn: sqlite3.Connection) -> None:
    """The seed's hazards (one per tenant) with item B02 and a closed item, and for each tenant a
    later unclosed B02 hazard: each a repeat, for the writes to make and unmake."""
    hazards = [row[0] for row in conn.execute("SELECT id FROM hazard ORDER BY rowid")]
    conn.execute("UPDATE hazard SET item_code = 'B02', found_on = ?", ((TODAY - timedelta(days=90)).isoformat(),))
    for n in range(len(hazards)):
        _write_repeat(conn, ("new_item", n, "closed", TODAY - timedelta(days=60)))
    for tenant in TENANTS:
        _write(conn, ("new_hazard", tenant, "general", "open"))
    conn.execute("UPDATE hazard SET item_code = 'B02', found_on = ? WHERE item_code IS NULL",
                 ((TODAY - timedelta(days=30)).isoformat(),))
    assert conn.execute("SELECT count(*) FROM hazard_repeat").fetchone()[0] == len(TENANTS)


def assert_repeats_read_as_before(conn: sqlite3.Connection) -> None:
    assert repeat_counts(conn) == dict(conn.execute(FORMER_REPEAT_COUNTS).fetchall())
    for park in PARKS:
        assert repeat_counts(conn, park) == {
            p: n for p, n in conn.execute(FORMER_REPEAT_COUNTS).fetchall() if p == park}


@fuzz_settings(20)
@given(operations=operations)
def test_kept_repeats_equal_a_fresh_computation_after_any_writes(tmp_path_factory, seeded, operations):  # noqa: F811
    path = tmp_path_factory.mktemp("repeats") / "t.db"
    shutil.copyfile(seeded, path)
    conn = _connect(path)
    try:
        _seed_repeats(conn)
        for operation in operations:
            try:
                _write_repeat(conn, operation)
            except sqlite3.IntegrityError:
                pass  # refused whole, its triggers' writes included
        assert_kept(conn)  # hazard_repeat among the kept tables
        assert_repeats_read_as_before(conn)
    finally:
        conn.close()


def test_a_repeat_and_its_closure_reach_other_devices_by_sync_and_snapshot(devices, tmp_path):
    from forms.inspector import InspectorInput
    from inspect_app.hub.app import create_app
    from inspect_app.hub.storage import enrol_device
    from inspect_app.services.profile import save_profile
    from tests.conftest import add_park
    from tests.hub_server import serve
    from tests.sync_helpers import sync
    from tests.test_lookback import add_tenant, close, inspect

    a, replayed, fresh = devices.new("a"), devices.new("replayed"), devices.new("fresh")
    park = add_park(a)
    inspector = save_profile(a, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    tenant = add_tenant(a, park, 1)
    first = inspect(a, park, tenant, inspector, on=date(2026, 3, 2), fails=("B02",))
    close(a, first[0], inspector, date(2026, 3, 20))
    second = inspect(a, park, tenant, inspector, on=date(2026, 6, 10), fails=("B02",))
    assert park_overview(a, park.id, today=TODAY).park.figures.repeat_hazards == 1

    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}", rate_per_second=10_000, burst=10_000)
    tokens = {name: enrol_device(app.state.engine, name, None)[1] for name in ("a", "replayed", "fresh")}
    with serve(app) as base:
        for store, name in ((a, "a"), (replayed, "replayed"), (fresh, "fresh")):
            sync(store, base, tokens[name], use_snapshot=store is fresh)
        for store in (replayed, fresh):  # the merge of every change, and the snapshot's bulk load
            with store.read_connection() as conn, a.read_connection() as conn_a:
                assert_kept(conn)
                assert kept_rows(conn, "hazard_repeat") == kept_rows(conn_a, "hazard_repeat") == [(second[0], park.id)]
            assert county_overview(store, today=TODAY).county.repeat_hazards == 1
        close(a, second[0], inspector, date(2026, 6, 20))  # closed: no longer an open repeat
        sync(a, base, tokens["a"])
        sync(replayed, base, tokens["replayed"])
    app.state.engine.dispose()
    with replayed.read_connection() as conn:
        assert_kept(conn)
        assert kept_rows(conn, "hazard_repeat") == []
    assert county_overview(replayed, today=TODAY).county.repeat_hazards == 0
    assert check_database(replayed.path)["ok"], check_database(replayed.path)["problems"]


def test_check_names_hazard_repeat_when_it_differs_from_its_rows(tmp_path, seeded):  # noqa: F811
    shutil.copyfile(seeded, tmp_path / "t.db")
    assert check_database(tmp_path / "t.db")["ok"]
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:  # written around the triggers, as only a hand edit or a bug could
        conn.execute("INSERT INTO hazard_repeat (hazard_id, park_id) SELECT id, park_id FROM hazard LIMIT 1")
    conn.close()
    assert check_database(tmp_path / "t.db")["problems"] == [
        "派生表 hazard_repeat（由触发器维护）与明细重新计算的结果不符：缺少 0 行，多出或不符 1 行"]


def test_repeats_are_read_from_the_kept_rows_and_looked_up_by_key(seeded):  # noqa: F811
    conn = sqlite3.connect(seeded)

    def plan(sql: str) -> list[str]:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]

    assert "hazard_repeat" in DERIVED_ROWS
    steps = plan(DERIVED_ROWS["hazard_repeat"][0])
    # The key's hazards in one probe, common areas (tenant IS NULL) included: not the county's.
    assert any("USING INDEX ix_hazard_repeat_key (park_id=? AND tenant_id=? AND item_code=?)" in s
               for s in steps), steps
    steps = plan("SELECT park_id, count(*), sum(status = 'closed') FROM hazard WHERE deleted = 0 GROUP BY park_id")
    assert steps == ["SCAN hazard USING INDEX ix_hazard_park_status"], steps  # the index alone
    conn.close()
