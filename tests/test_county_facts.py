"""What the triggers of migration 0021 keep for the county overview — `hazard_repeat` (each
unclosed hazard that came back after an earlier one of its tenant, or its park's common areas, and
item had been closed), `tenant_fact` (each current tenant's park and earliest deadline of an open
item), `ledger_fact` (each tenant's latest finished inspection per template, failed or not) —
always equals a fresh computation, whatever writes the tables: raw writes like the sync merge's,
the app's inspections and re-inspections, a sync with another device, a first sync's snapshot.
The counts read from them equal the former reads (tests/test_kept_facts.py compares the county's
flags with every flag made, after its own random writes), and `parkinspect check` names a table
that drifted."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from db import lookback
from db.ids import new_id
from db.lookback import repeat_counts
from db.maintenance_queries import DERIVED_ROWS
from db.risk_flag_queries import mismatched_tenants
from inspect_app.services.maintenance import check_database
from inspect_app.services.park_overview import county_overview, park_overview
from tests.fuzz import fuzz_settings
from tests.new_files import new_sqlite_hub
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


# --- the latest ledger verification of each tenant ------------------------------------------------

TEMPLATES = ("ledger_verification", "local_ledger", "fire_safety")
STAMPS = (None, "2026-03-01 02:00:00.000000", "2026-03-01 02:00:00.000000", "2026-05-01 02:00:00.000000")


def former_mismatched(template_ids: tuple[str, ...]) -> str:
    """The county's mismatched tenants as read before ledger_fact: each current tenant's finished
    inspections of the templates ranked, the latest with a failed item."""
    names = ", ".join(f":template{n}" for n in range(len(template_ids)))
    return f"""
WITH latest AS (
    SELECT i.id, i.tenant_id, t.park_id, row_number() OVER (
               PARTITION BY i.tenant_id ORDER BY coalesce(i.finished_at, i.started_at) DESC, i.id DESC) AS n
    FROM inspection i JOIN tenant t ON t.id = i.tenant_id AND t.deleted = 0 AND t.status = 'in_park'
    WHERE i.deleted = 0 AND i.status = 'finished' AND i.template_id IN ({names}))
SELECT l.tenant_id, l.park_id FROM latest l
WHERE l.n = 1 AND EXISTS (SELECT 1 FROM check_result c WHERE c.inspection_id = l.id AND c.deleted = 0
                                                        AND c.outcome = 'fail' AND c.item_code IS NOT NULL)"""


ledger_operations = st.lists(st.one_of(
    st.tuples(st.just("new_inspection"), st.sampled_from((None, *TENANTS)), st.sampled_from(TEMPLATES),
              st.sampled_from(("finished", "in_progress")), st.sampled_from(STAMPS[1:]), st.sampled_from(STAMPS)),
    st.tuples(st.just("inspection"), st.integers(0, 7), st.one_of(
        st.tuples(st.just("status"), st.sampled_from(("finished", "in_progress"))),
        st.tuples(st.just("deleted"), st.booleans()),
        st.tuples(st.just("finished_at"), st.sampled_from(STAMPS)),
        st.tuples(st.just("started_at"), st.sampled_from(STAMPS[1:])),
        st.tuples(st.just("template_id"), st.sampled_from(TEMPLATES)),
        st.tuples(st.just("tenant_id"), st.sampled_from(TENANTS)))),
    st.tuples(st.just("delete_inspection"), st.integers(0, 7)),
    st.tuples(st.just("new_result"), st.integers(0, 7), st.sampled_from(("A1", "A2")),
              st.sampled_from(("fail", "pass", None))),
    st.tuples(st.just("result"), st.integers(0, 9), st.one_of(
        st.tuples(st.just("outcome"), st.sampled_from(("fail", "pass", None))),
        st.tuples(st.just("deleted"), st.booleans()),
        st.tuples(st.just("inspection_id"), st.integers(0, 7)))),
    st.tuples(st.just("delete_result"), st.integers(0, 9)),
    st.tuples(st.just("tenant_status"), st.sampled_from(TENANTS), st.sampled_from(("in_park", "left"))),
), min_size=5, max_size=40)


def _nth(conn: sqlite3.Connection, table: str, n: int) -> str | None:
    row = conn.execute(f"SELECT id FROM {table} ORDER BY rowid LIMIT 1 OFFSET ?", (n,)).fetchone()  # noqa: S608
    return row[0] if row else None


def _write_ledger(conn: sqlite3.Connection, operation: tuple) -> None:
    kind, *rest = operation
    if kind == "new_inspection":
        tenant, template, status, started, finished = rest
        conn.execute(
            "INSERT INTO inspection (id, hlc, origin_device, deleted, created_at, updated_at, park_id, tenant_id, "
            "template_id, template_version, inspector_ids, started_at, finished_at, status) VALUES (?, 'x', 'd', 0, "
            "'2026-01-01', '2026-01-01', ?, ?, ?, '1', '[]', ?, ?, ?)",
            (new_id(), PARKS[0], tenant, template, started, finished, status))
    elif kind == "inspection":
        n, (column, value) = rest
        conn.execute(f"UPDATE inspection SET {column} = ? WHERE id = ?", (value, _nth(conn, "inspection", n)))  # noqa: S608
    elif kind == "delete_inspection":
        conn.execute("DELETE FROM inspection WHERE id = ?", (_nth(conn, "inspection", rest[0]),))
    elif kind == "new_result":
        n, code, outcome = rest
        inspection = _nth(conn, "inspection", n)
        if inspection:
            conn.execute(
                "INSERT INTO check_result (id, hlc, origin_device, deleted, created_at, updated_at, inspection_id, "
                "item_code, position, category, item_text, default_severity, major_possible, outcome) VALUES "
                "(?, 'x', 'd', 0, '2026-01-01', '2026-01-01', ?, ?, 1, '台账', '核对', 'general', 0, ?)",
                (new_id(), inspection, code, outcome))
    elif kind == "result":
        n, (column, value) = rest
        if column == "inspection_id":
            value = _nth(conn, "inspection", value)
        conn.execute(f"UPDATE check_result SET {column} = ? WHERE id = ?", (value, _nth(conn, "check_result", n)))  # noqa: S608
    elif kind == "delete_result":
        conn.execute("DELETE FROM check_result WHERE id = ?", (_nth(conn, "check_result", rest[0]),))
    else:
        _write(conn, operation)


@fuzz_settings(20)
@given(operations=ledger_operations)
def test_kept_ledger_facts_equal_a_fresh_computation_after_any_writes(tmp_path_factory, seeded, operations):  # noqa: F811
    path = tmp_path_factory.mktemp("ledger") / "t.db"
    shutil.copyfile(seeded, path)
    conn = _connect(path)
    try:
        for n, tenant in enumerate(TENANTS):  # each tenant verified once or twice, the first failed
            _write_ledger(conn, ("new_inspection", tenant, TEMPLATES[n % 2], "finished", STAMPS[1], STAMPS[n % 3]))
            _write_ledger(conn, ("new_result", n, "A1", "fail"))
        assert mismatched_tenants(conn, template_ids=TEMPLATES[:2])
        for operation in operations:
            try:
                _write_ledger(conn, operation)
            except sqlite3.IntegrityError:
                pass  # refused whole (a result's inspection, a code taken twice), its triggers' writes included
        assert_kept(conn)  # ledger_fact and tenant_fact among the kept tables
        for templates in (("ledger_verification",), ("ledger_verification", "local_ledger")):
            params = {f"template{n}": template for n, template in enumerate(templates)}
            assert mismatched_tenants(conn, template_ids=templates) == dict(
                conn.execute(former_mismatched(templates), params).fetchall())
    finally:
        conn.close()


def test_a_repeat_and_its_closure_reach_other_devices_by_sync_and_snapshot(devices, tmp_path):
    from forms.checklist import builtin_templates
    from forms.inspector import InspectorInput
    from inspect_app.hub.app import create_app
    from inspect_app.hub.storage import enrol_device
    from inspect_app.services.inspections import (
        finish_inspection,
        load_inspection,
        pass_remaining,
        record_outcome,
        start_inspection,
    )
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
    # A ledger verification with a failed item: the tenant's ledger mismatch flag.
    verification = start_inspection(a, park_id=park.id, tenant_id=tenant.id,
                                    template=builtin_templates()["ledger_verification"], inspector_ids=[inspector.id])
    failed = load_inspection(a, verification).results[0]
    record_outcome(a, failed.id, "fail", note="台账面积与现场不符")
    pass_remaining(a, verification)
    finish_inspection(a, verification, today=TODAY)
    assert county_overview(a, today=TODAY).county.flags.ledger_mismatch == 1

    app = create_app(new_sqlite_hub(tmp_path / "hub.db"), rate_per_second=10_000, burst=10_000)
    tokens = {name: enrol_device(app.state.engine, name, None)[1] for name in ("a", "replayed", "fresh")}
    with serve(app) as base:
        for store, name in ((a, "a"), (replayed, "replayed"), (fresh, "fresh")):
            sync(store, base, tokens[name], use_snapshot=store is fresh)
        for store in (replayed, fresh):  # the merge of every change, and the snapshot's bulk load
            with store.read_connection() as conn, a.read_connection() as conn_a:
                assert_kept(conn)
                assert kept_rows(conn, "hazard_repeat") == kept_rows(conn_a, "hazard_repeat") == [(second[0], park.id)]
                for table in ("tenant_fact", "ledger_fact"):
                    assert kept_rows(conn, table) == kept_rows(conn_a, table)
            county = county_overview(store, today=TODAY).county
            assert (county.repeat_hazards, county.flags.ledger_mismatch) == (1, 1)
        close(a, second[0], inspector, date(2026, 6, 20))  # closed: no longer an open repeat
        sync(a, base, tokens["a"])
        sync(replayed, base, tokens["replayed"])
    app.state.engine.dispose()
    with replayed.read_connection() as conn:
        assert_kept(conn)
        assert kept_rows(conn, "hazard_repeat") == []
    assert county_overview(replayed, today=TODAY).county.repeat_hazards == 0
    assert check_database(replayed.path)["ok"], check_database(replayed.path)["problems"]


def test_check_names_each_kept_table_that_differs_from_its_rows(tmp_path, seeded):  # noqa: F811
    shutil.copyfile(seeded, tmp_path / "t.db")
    assert check_database(tmp_path / "t.db")["ok"]
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:  # written around the triggers, as only a hand edit or a bug could
        conn.execute("INSERT INTO hazard_repeat (hazard_id, park_id) SELECT id, park_id FROM hazard LIMIT 1")
        conn.execute("UPDATE tenant_fact SET overdue_from = '2020-01-01' WHERE tenant_id = 't1'")
        conn.execute("INSERT INTO ledger_fact VALUES ('t2', 'ledger_verification', 'i', '2026-01-01', 1)")
    conn.close()
    assert check_database(tmp_path / "t.db")["problems"] == [
        "派生表 hazard_repeat（由触发器维护）与明细重新计算的结果不符：缺少 0 行，多出或不符 1 行",
        "派生表 tenant_fact（由触发器维护）与明细重新计算的结果不符：缺少 1 行，多出或不符 1 行",
        "派生表 ledger_fact（由触发器维护）与明细重新计算的结果不符：缺少 0 行，多出或不符 1 行"]


def test_the_county_reads_its_kept_facts_by_index(seeded):  # noqa: F811
    from db import overview_queries, risk_flag_queries

    conn = sqlite3.connect(seeded)
    params = {"today": TODAY.isoformat(), "template0": "ledger_verification", "template1": "local_ledger"}
    assert [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {overview_queries.COUNTY_OVERDUE_SQL}", params)] \
        == ["SCAN k USING INDEX ix_hazard_key_open_park", "USE TEMP B-TREE FOR count(DISTINCT)"]  # no GROUP BY sort
    steps = [row[3] for row in conn.execute(
        f"EXPLAIN QUERY PLAN {risk_flag_queries.mismatched_sql(('ledger_verification',))}", params)]
    assert steps == ["SEARCH l USING COVERING INDEX ix_ledger_fact_failed (template_id=? AND failed=?)",
                     "SEARCH t USING PRIMARY KEY (tenant_id=?)"], steps

    def plan(sql: str) -> list[str]:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]

    # What a trigger reads for the row written: the key's hazards, the tenant's inspections (not the template's).
    for tenant in ("'t1'", "NULL"):  # a tenant's key, a park's common areas' key: within the park either way
        steps = plan(f"SELECT * FROM hazard_repeat_rows WHERE park_id = 'p1' AND tenant_id IS {tenant} "
                     "AND item_code = 'B02'")
        assert steps[0].startswith("SEARCH h USING INDEX ix_hazard_") and "(park_id=? AND " in steps[0], steps
    steps = plan("SELECT * FROM ledger_fact_rows WHERE tenant_id = 't1' AND +template_id = 'ledger_verification' "
                 "ORDER BY done DESC, inspection_id DESC LIMIT 1")
    assert steps[0] == "SEARCH i USING INDEX ix_inspection_tenant_id (tenant_id=?)", steps
    # check's fresh computations go through each tenant's (each key's) hazards, not the county's open items.
    steps = plan(DERIVED_ROWS["tenant_fact"][0])
    assert "SEARCH h USING INDEX ix_hazard_tenant_id (tenant_id=?)" in steps, steps
    assert "hazard_repeat" in DERIVED_ROWS
    steps = plan(DERIVED_ROWS["hazard_repeat"][0])
    # The key's hazards in one probe, common areas (tenant IS NULL) included: not the county's.
    assert any("USING INDEX ix_hazard_repeat_key (park_id=? AND tenant_id=? AND item_code=?)" in s
               for s in steps), steps
    steps = plan("SELECT park_id, count(*), sum(status = 'closed') FROM hazard WHERE deleted = 0 GROUP BY park_id")
    assert steps == ["SCAN hazard USING INDEX ix_hazard_park_status"], steps  # the index alone
    conn.close()
