"""Sync merge (docs/SYNC.md): devices exchange changes in-process and end with the same data."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from db.clock import MAX_SKEW_MS, format_stamp, wall_clock_ms
from db.models import SYNCED_TABLES, AuditEvent, ChangeLog, Conflict, Notice, Park, Tenant
from db.store import Store
from inspect_app.sync.apply import apply_page, conflict_id
from inspect_app.sync.changes import inbox_changes, mark_pushed, outbox_page, push_cursor, record_rejected
from tests.conftest import make_credit_code
from tests.sync_fixtures import Devices

LOCAL_COLUMNS = {"updated_at"}  # set by each device when it writes; not part of the merged data


def everything(store: Store) -> list[dict]:
    """What a device would relay: its own outbox and what it received."""
    return outbox_page(store, 0, 1_000_000) + inbox_changes(store)


def sync(source: Store, target: Store):
    return apply_page(target, everything(source))


def snapshot(store: Store) -> dict:
    """Every synced row, as stored, minus per-device bookkeeping."""
    data = {}
    with store.engine.connect() as conn:
        for name, model in SYNCED_TABLES.items():
            table = model.__table__
            rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
            data[name] = [{k: v for k, v in row.items() if k not in LOCAL_COLUMNS} for row in rows]
    return data


def rows(store: Store, model, **where) -> list:
    with store.read() as session:
        statement = select(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return list(session.scalars(statement).all())


def make_park(store: Store, code: str = "PH-001") -> Park:
    with store.transaction() as session:
        park = Park(code=code, name="平湖经济开发区小微企业园", district="平湖市", street="当湖街道",
                    function_type="manufacturing", developer_type="government", land_area_mu=120.5,
                    floor_area_m2=86000)
        session.add(park)
    return park


def make_tenant(store: Store, park_id: str, n: int = 1) -> Tenant:
    with store.transaction() as session:
        tenant = Tenant(park_id=park_id, name=f"测试企业{n}", credit_code=make_credit_code(n), rented_area_m2=1200.0,
                        headcount=35, scale="below", lease_use="production", risk_points=["dust"])
        session.add(tenant)
    return tenant


def edit(store: Store, model, row_id: str, **values) -> None:
    with store.transaction() as session:
        row = session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


def count(store: Store, model) -> int:
    return len(rows(store, model))


# --- the basics ---------------------------------------------------------------------------------


def test_a_device_receives_rows_without_queueing_them_as_its_own_or_auditing_them_again(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    tenant = make_tenant(a, park.id)
    edit(a, Tenant, tenant.id, headcount=40)
    result = sync(a, b)
    assert result.applied == result.received > 0 and result.duplicates == 0
    assert snapshot(b) == snapshot(a)
    assert rows(b, Tenant)[0].headcount == 40
    assert count(b, ChangeLog) == 0  # nothing of A's goes back out as B's own change
    assert count(b, AuditEvent) == count(a, AuditEvent)  # A's audit events, none made anew


def test_receiving_the_same_changes_again_changes_nothing(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    make_tenant(a, park.id)
    sync(a, b)
    before = snapshot(b)
    again = sync(a, b)
    assert again.applied == 0 and again.duplicates == again.received
    assert snapshot(b) == before


def test_own_changes_coming_back_are_skipped(devices):
    a, b = devices.new("a"), devices.new("b")
    make_park(a)
    sync(a, b)
    result = sync(b, a)  # B relays what it got from A
    assert result.own == result.received and result.applied == 0


def test_an_edit_made_after_seeing_a_remote_edit_wins_without_conflict(devices):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    sync(a, b)
    edit(a, Tenant, tenant.id, contact_phone="13800000001")
    sync(a, b)
    edit(b, Tenant, tenant.id, contact_phone="13800000002")  # B saw A's edit
    sync(b, a)
    sync(a, b)
    assert snapshot(a) == snapshot(b)
    assert rows(a, Tenant)[0].contact_phone == "13800000002"
    assert count(a, Conflict) == count(b, Conflict) == 0


def test_concurrent_edits_of_one_field_pick_the_same_winner_and_keep_the_loser_everywhere(devices):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    sync(a, b)
    edit(a, Tenant, tenant.id, contact_phone="13800000001")
    edit(b, Tenant, tenant.id, contact_phone="13800000002")
    sync(a, b)
    sync(b, a)
    assert snapshot(a) == snapshot(b)
    stamps = {store: rows(store, Tenant)[0].hlc for store in (a, b)}
    assert stamps[a] == stamps[b]
    winner = "13800000002" if stamps[a].endswith(b.device_id) else "13800000001"
    loser = "13800000001" if winner == "13800000002" else "13800000002"
    assert rows(a, Tenant)[0].contact_phone == winner
    conflicts = rows(a, Conflict)
    assert [(c.table_name, c.row_id, c.field, json.loads(c.losing_value)) for c in conflicts] == [
        ("tenant", tenant.id, "contact_phone", loser)]
    assert conflicts[0].id == conflict_id("tenant", tenant.id, "contact_phone", conflicts[0].losing_hlc)
    assert conflicts[0].winning_hlc == stamps[a]


def test_editing_a_conflicted_field_settles_its_conflict_on_every_device(devices):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    sync(a, b)
    edit(a, Tenant, tenant.id, notes="a")
    edit(b, Tenant, tenant.id, notes="b")
    sync(a, b)
    sync(b, a)
    assert count(a, Conflict) == count(b, Conflict) == 1
    edit(a, Tenant, tenant.id, notes="agreed")  # A saw both values
    assert count(a, Conflict) == 0
    sync(a, b)
    assert count(b, Conflict) == 0
    assert snapshot(a) == snapshot(b)


def test_edits_of_different_fields_merge(devices):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    sync(a, b)
    edit(a, Tenant, tenant.id, contact_phone="13800000001")
    edit(b, Tenant, tenant.id, headcount=99)
    sync(a, b)
    sync(b, a)
    assert snapshot(a) == snapshot(b)
    merged = rows(a, Tenant)[0]
    assert (merged.contact_phone, merged.headcount) == ("13800000001", 99)
    assert count(a, Conflict) == 0


def test_a_delete_and_a_concurrent_edit_both_stay(devices):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    sync(a, b)
    edit(a, Tenant, tenant.id, deleted=True)
    edit(b, Tenant, tenant.id, contact_phone="13800000002")
    sync(a, b)
    sync(b, a)
    assert snapshot(a) == snapshot(b)
    merged = rows(b, Tenant)[0]
    assert merged.deleted is True and merged.contact_phone == "13800000002"  # an undelete shows the edit
    assert count(a, Conflict) == 0
    edit(b, Tenant, tenant.id, deleted=False)
    sync(b, a)
    assert rows(a, Tenant)[0].deleted is False


def test_a_writer_that_saw_a_newer_stamp_of_another_field_did_not_see_this_fields_write(devices):
    """SYNC.md: `base` is per field. C saw B's phone edit (newer than A's name edit) but not A's
    name edit; C's name edit must not count as having seen A's, so A's name is a losing value."""
    a, b, c = devices.new("a"), devices.new("b"), devices.new("c")
    tenant = make_tenant(a, make_park(a).id)
    for other in (b, c):
        sync(a, other)
    edit(a, Tenant, tenant.id, name="甲公司")
    edit(b, Tenant, tenant.id, contact_phone="13800000002")  # stamped after A's edit
    sync(b, c)
    edit(c, Tenant, tenant.id, name="丙公司")
    for source in (a, b, c):
        for target in (a, b, c):
            if source is not target:
                sync(source, target)
    assert snapshot(a) == snapshot(b) == snapshot(c)
    assert rows(a, Tenant)[0].name == "丙公司"
    assert [(x.field, json.loads(x.losing_value)) for x in rows(a, Conflict)] == [("name", "甲公司")]


def test_append_only_rows_are_inserted_once_and_never_updated(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    with a.transaction() as session:
        notice = Notice(number="平经信安整〔2026〕A07-0001号", kind="rectification", park_id=park.id,
                        device_block="A07", year=2026, sequence=1, content_json="{}", content_sha256="0" * 64)
        session.add(notice)
    changes = everything(a)
    sync(a, b)
    forged = {**next(c for c in changes if c["table"] == "notice"), "op": "update", "device_seq": 999,
              "hlc": format_stamp(wall_clock_ms() + 60_000, 0, a.device_id), "payload": {"number": "changed"},
              "base": {}}
    result = apply_page(b, [forged])
    assert result.kept == 1 and result.applied == 0
    assert [n.number for n in rows(b, Notice)] == [notice.number]


def test_an_update_before_its_insert_waits_and_then_applies(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    tenant = make_tenant(a, park.id)
    edit(a, Tenant, tenant.id, headcount=7)
    changes = everything(a)
    later, first = changes[:2], changes[2:]  # the park and tenant inserts arrive last
    assert apply_page(b, first).waiting > 0
    assert count(b, Tenant) == 0
    assert apply_page(b, later).waiting == 0
    assert snapshot(b) == snapshot(a)


def test_a_page_applied_with_a_hub_moves_the_pull_cursor_in_the_same_transaction(devices):
    a, b = devices.new("a"), devices.new("b")
    make_park(a)
    page = [{**change, "seq": 40 + i} for i, change in enumerate(everything(a))]
    apply_page(b, page, hub="https://hub.example")
    assert push_cursor(b, "https://hub.example") == (0, 40 + len(page) - 1)
    apply_page(b, page[:1], hub="https://hub.example", hub_seq_cursor=3)  # never moves back
    assert push_cursor(b, "https://hub.example")[1] == 40 + len(page) - 1


def test_a_malformed_change_is_set_aside_and_the_rest_of_the_page_applies(devices):
    a, b = devices.new("a"), devices.new("b")
    make_park(a)
    malformed = {**everything(a)[0], "device_seq": 77, "payload": {"no_such_field": 1}}
    nameless = {"table": "park", "payload": {}}  # names no device and sequence: logged and dropped
    result = apply_page(b, [*everything(a), malformed, nameless], hub="https://hub.example",
                        hub_seq_cursor=9)
    assert snapshot(b) == snapshot(a)
    assert (result.kept, result.skipped) == (1, 1)
    assert push_cursor(b, "https://hub.example")[1] == 9  # the cursor moved past both
    with b.read_connection() as conn:
        problem, stamp = conn.execute("SELECT problem, hlc FROM applied_change WHERE device_seq = 77").fetchone()
    assert problem.startswith("format: ") and "no_such_field" in problem and stamp == ""
    assert apply_page(b, [malformed]).duplicates == 1  # kept once: a repeat is recognised


def test_outbox_pages_push_cursor_and_refusals(devices):
    a = devices.new("a")
    park = make_park(a)
    edit(a, Park, park.id, name="新名字")
    first, second = outbox_page(a, 0, 1), outbox_page(a, 1, 10)
    assert [c["device_seq"] for c in first + second] == [1, 2, 3]  # insert, update, its audit event
    assert [c["table"] for c in second] == ["park", "audit_event"]
    update = second[0]
    assert update["op"] == "update" and update["device_id"] == a.device_id
    assert update["base"] == {"name": first[0]["hlc"]} and update["payload"]["name"] == "新名字"
    mark_pushed(a, "https://hub.example", 2)
    mark_pushed(a, "https://hub.example", 1)
    assert push_cursor(a, "https://hub.example") == (2, 0)
    rejected = [{"device_seq": 2, "code": "outside_parks", "message": "not your park"}]
    assert record_rejected(a, rejected) == 1 and record_rejected(a, rejected) == 0
    with a.read_connection() as conn:
        code, change = conn.execute("SELECT code, change FROM rejected_change").fetchone()
    assert code == "outside_parks" and json.loads(change)["row_id"] == park.id


def test_the_base_of_an_update_is_the_clock_of_each_field_as_the_writer_saw_it(devices):
    a = devices.new("a")
    park = make_park(a)
    edit(a, Park, park.id, name="一")
    edit(a, Park, park.id, street="二")
    edit(a, Park, park.id, name="三")
    insert, first, second, third = [c for c in outbox_page(a, 0, 10) if c["table"] == "park"]
    assert first["base"] == {"name": insert["hlc"]}
    assert second["base"] == {"street": insert["hlc"]}
    assert third["base"] == {"name": first["hlc"]}
    with a.read_connection() as conn:
        inserted, clocks = conn.execute("SELECT inserted, clocks FROM row_version").fetchone()
    assert inserted == insert["hlc"] and json.loads(clocks) == {"name": third["hlc"], "street": second["hlc"]}


def test_the_clock_starts_past_applied_stamps_after_a_restart(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    sync(a, b)
    # Ahead of b's clock, within the allowed skew (a stamp further ahead is set aside: test_clock.py).
    future = format_stamp(wall_clock_ms() + MAX_SKEW_MS // 2, 0, a.device_id)
    apply_page(b, [{**outbox_page(a, 0, 1)[0], "device_seq": 50, "op": "update", "hlc": future,
                    "payload": {"name": "未来"}, "base": {}}])
    reopened = Store.open(b.path)
    devices.opened.append(reopened)
    edit(reopened, Park, park.id, name="之后")
    assert outbox_page(reopened, 0, 1)[0]["hlc"] > future


# --- any order, any duplicates ------------------------------------------------------------------

DEVICES = 3
FIELDS = {"name": ["甲", "乙", "丙"], "contact_phone": ["13800000001", "13800000002"], "notes": ["x", "y", None],
          "deleted": [True, False], "headcount": [1, 2, 3]}
steps = st.lists(st.one_of(
    st.tuples(st.just("edit"), st.integers(0, DEVICES - 1), st.sampled_from(sorted(FIELDS)), st.integers(0, 2)),
    st.tuples(st.just("sync"), st.integers(0, DEVICES - 1), st.integers(0, DEVICES - 1)),
), min_size=1, max_size=12)


@settings(max_examples=16, deadline=None)
@given(steps=steps, data=st.data())
def test_every_delivery_order_with_duplicates_ends_in_the_same_data(tmp_path_factory, steps, data):
    devices = Devices(tmp_path_factory.mktemp("devices"))
    try:
        stores = [devices.new(f"d{i}") for i in range(DEVICES)]
        tenant = make_tenant(stores[0], make_park(stores[0]).id)
        for store in stores[1:]:
            sync(stores[0], store)
        for step in steps:
            if step[0] == "edit":
                _, who, field, choice = step
                options = FIELDS[field]
                edit(stores[who], Tenant, tenant.id, **{field: options[choice % len(options)]})
            elif step[1] != step[2]:
                sync(stores[step[1]], stores[step[2]])
        changes = [c for store in stores for c in outbox_page(store, 0, 1_000_000)]
        for store in stores:  # each device gets everything, in its own order, some twice
            shuffled = data.draw(st.permutations(changes + data.draw(st.lists(st.sampled_from(changes), max_size=5))))
            apply_page(store, shuffled)
        fresh = devices.new("fresh")
        apply_page(fresh, data.draw(st.permutations(changes)))
        expected = snapshot(stores[0])
        for store in (*stores[1:], fresh):
            assert snapshot(store) == expected
        with fresh.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM applied_change WHERE waiting_for IS NOT NULL")).scalar() == 0
    finally:
        devices.close()
