"""The local store: migrations, pragmas, the change log written by the flush hook, ids and clock."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, func, select

from db import migrations
from db.changelog import StoreWriteError
from db.clock import HybridClock, format_stamp, parse
from db.ids import new_id
from db.models import AuditEvent, ChangeLog, Notice, Park, Tenant
from db.store import Store
from tests.conftest import make_credit_code

# --- small factories ----------------------------------------------------------------------------


def new_park(code: str = "PH-002") -> Park:
    return Park(
        code=code,
        name=f"{code} 小微企业园",
        district="平湖市",
        street="钟埭街道",
        function_type="manufacturing",
        developer_type="government",
        land_area_mu=50,
        floor_area_m2=30000,
    )


def new_tenant(park_id: str, n: int = 1, **overrides) -> Tenant:
    values = dict(
        park_id=park_id,
        name=f"测试企业{n}",
        credit_code=make_credit_code(n),
        rented_area_m2=1200.0,
        headcount=35,
        scale="below",
        lease_use="production",
        risk_points=["dust"],
    )
    values.update(overrides)
    return Tenant(**values)


def new_notice(park_id: str, sequence: int = 1) -> Notice:
    return Notice(
        number=f"平经信安整〔2026〕A07-{sequence:04d}号",
        kind="rectification",
        park_id=park_id,
        device_block="A07",
        year=2026,
        sequence=sequence,
        content_json="{}",
        content_sha256="0" * 64,
    )


def add(store: Store, *rows):
    with store.transaction() as session:
        for row in rows:
            session.add(row)
    return rows[0] if len(rows) == 1 else rows


def change_log(store: Store, row_id: str | None = None) -> list[ChangeLog]:
    with store.read() as session:
        statement = select(ChangeLog).order_by(ChangeLog.seq)
        if row_id:
            statement = statement.where(ChangeLog.row_id == row_id)
        return list(session.exec(statement).all())


def count(store: Store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


# --- migrations ---------------------------------------------------------------------------------


def test_alembic_head_is_the_head_revision_start_up_checks_for(db_path):
    script = ScriptDirectory.from_config(migrations.alembic_config(db_path))
    assert script.get_heads() == [migrations.HEAD_REVISION]


def test_migrating_an_empty_file_reaches_head(db_path):
    assert migrations.upgrade_to_head(db_path) is None  # nothing to copy
    assert migrations.current_revision(db_path) == migrations.HEAD_REVISION


def _not_the_search_index(obj, name, type_, reflected, compare_to) -> bool:
    """The indexes of the search keys (trigrams, migration 0017; one- and two-character pieces,
    migration 0020) are FTS5 tables with their shadow tables: SQLite's, not a model's."""
    return not (type_ == "table" and name.startswith(("tenant_fts", "tenant_grams")))


def test_migrated_schema_matches_the_models(store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _not_the_search_index})
        assert compare_metadata(context, SQLModel.metadata) == []


@pytest.mark.parametrize(("pragma", "expected"), [("journal_mode", "wal"), ("foreign_keys", 1)])
def test_store_connections_have_the_pragmas(store, pragma, expected):
    with store.read() as session:
        assert session.connection().exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected


def test_store_connections_wait_for_locks(store):
    with store.transaction() as session:
        assert session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() > 0


def test_opening_a_database_at_head_makes_no_backup_copy(db_path):
    Store.open(db_path).close()
    Store.open(db_path).close()
    assert list(db_path.parent.glob("*.bak")) == []


def test_migrating_a_file_that_holds_data_copies_it_first(db_path: Path):
    # A file from before migrations existed: it has data but no alembic_version.
    legacy = sqlite3.connect(db_path)
    legacy.execute("CREATE TABLE legacy_note (text TEXT)")
    legacy.execute("INSERT INTO legacy_note VALUES ('园区旧台账')")
    legacy.commit()
    legacy.close()

    Store.open(db_path).close()

    copy = db_path.with_name(f"{db_path.name}.before-{migrations.HEAD_REVISION}.bak")
    assert copy.exists()
    kept = sqlite3.connect(copy)
    try:
        assert kept.execute("SELECT text FROM legacy_note").fetchall() == [("园区旧台账",)]
        assert (
            kept.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is None
        )
    finally:
        kept.close()
    assert migrations.current_revision(db_path) == migrations.HEAD_REVISION


# --- the change log -----------------------------------------------------------------------------


def test_inserting_a_synced_row_writes_one_change_log_entry_with_its_values(store, park):
    tenant = add(store, new_tenant(park.id))
    [entry] = change_log(store, tenant.id)
    assert (entry.table_name, entry.op) == ("tenant", "insert")
    assert entry.payload["name"] == "测试企业1"
    assert entry.payload["risk_points"] == ["dust"]
    assert entry.hlc == tenant.hlc
    assert entry.device_id == tenant.origin_device == store.device_id


def test_updating_a_synced_row_writes_one_change_log_entry_with_only_the_changed_fields(store, park):
    tenant = add(store, new_tenant(park.id))
    with store.transaction() as session:
        row = session.get(Tenant, tenant.id)
        row.headcount = 40
        row.contact_name = "李娜"
    insert, update = change_log(store, tenant.id)
    assert update.op == "update"
    assert set(update.payload) == {"headcount", "contact_name", "hlc", "origin_device"}
    assert (update.payload["headcount"], update.payload["contact_name"]) == (40, "李娜")
    assert update.payload["origin_device"] == store.device_id
    assert update.hlc > insert.hlc


def test_soft_delete_is_logged_as_a_delete(store, park):
    tenant = add(store, new_tenant(park.id))
    with store.transaction() as session:
        session.get(Tenant, tenant.id).deleted = True
    assert [e.op for e in change_log(store, tenant.id)] == ["insert", "delete"]


def test_setting_a_field_to_its_current_value_writes_nothing(store, park):
    tenant = add(store, new_tenant(park.id))
    before = count(store, ChangeLog)
    with store.transaction() as session:
        session.get(Tenant, tenant.id).headcount = 35
    assert count(store, ChangeLog) == before


def test_change_log_stamps_increase_in_write_order(store, park):
    tenants = [add(store, new_tenant(park.id, n)) for n in range(1, 6)]
    with store.transaction() as session:
        for tenant in tenants:
            session.get(Tenant, tenant.id).headcount += 1
    stamps = [entry.hlc for entry in change_log(store)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_stamps_keep_increasing_after_reopening_with_a_clock_that_went_back(db_path):
    first = Store.open(db_path)
    add(first, new_park("PH-010"))
    last = change_log(first)[-1].hlc
    first.close()

    reopened = Store.open(db_path, now_ms=lambda: 1_000)  # the laptop's clock was reset to 1970
    try:
        add(reopened, new_park("PH-011"))
        assert change_log(reopened)[-1].hlc > last
    finally:
        reopened.close()


def test_a_transaction_that_raises_leaves_neither_row_nor_change_log(store, park):
    before = count(store, ChangeLog)
    with pytest.raises(RuntimeError, match="power cut"):
        with store.transaction() as session:
            session.add(new_tenant(park.id))
            session.flush()
            raise RuntimeError("power cut")
    assert count(store, Tenant) == 0
    assert count(store, ChangeLog) == before


def test_hard_deleting_a_synced_row_is_refused(store, park):
    tenant = add(store, new_tenant(park.id))
    with pytest.raises(StoreWriteError):
        with store.transaction() as session:
            session.delete(session.get(Tenant, tenant.id))
    assert count(store, Tenant) == 1


def test_updating_an_issued_notice_is_refused(store, park):
    notice = add(store, new_notice(park.id))
    with pytest.raises(StoreWriteError, match="append-only"):
        with store.transaction() as session:
            session.get(Notice, notice.id).content_json = '{"edited": true}'
    with store.read() as session:
        assert session.get(Notice, notice.id).content_json == "{}"


def test_updating_an_audit_event_is_refused(store, park):
    with store.transaction() as session:
        session.get(Park, park.id).star_rating = 5
    with store.read() as session:
        event_id = session.exec(select(AuditEvent.id).where(AuditEvent.row_id == park.id)).one()
    with pytest.raises(StoreWriteError, match="append-only"):
        with store.transaction() as session:
            session.get(AuditEvent, event_id).actor_id = "someone-else"


def test_writing_a_synced_row_outside_a_store_transaction_is_refused(store, park):
    from sqlmodel import Session

    with Session(store.engine) as session:
        session.add(new_tenant(park.id))
        with pytest.raises(StoreWriteError):
            session.flush()


def test_tenant_of_an_unknown_park_violates_the_foreign_key_and_writes_nothing(store, park):
    before = count(store, ChangeLog)
    with pytest.raises(IntegrityError):
        add(store, new_tenant(new_id()))
    assert count(store, Tenant) == 0
    assert count(store, ChangeLog) == before


def test_the_database_holds_two_live_tenants_with_one_credit_code_for_review(store, park):
    # Two devices may add the same company offline: both rows are stored (and listed by the
    # duplicate review); a person's input is refused by the services (tests/test_ledger_service.py).
    add(store, new_tenant(park.id, 1))
    add(store, new_tenant(park.id, 2, credit_code=make_credit_code(1)))
    assert count(store, Tenant) == 2


def test_a_soft_deleted_tenant_does_not_block_its_credit_code(store, park):
    gone = add(store, new_tenant(park.id, 1))
    with store.transaction() as session:
        session.get(Tenant, gone.id).deleted = True
    add(store, new_tenant(park.id, 2, credit_code=make_credit_code(1)))
    assert count(store, Tenant) == 2


def test_the_same_credit_code_in_two_parks_is_allowed(store, park):
    other = add(store, new_park("PH-002"))
    add(store, new_tenant(park.id, 1), new_tenant(other.id, 1))
    assert count(store, Tenant) == 2


# --- audit trail --------------------------------------------------------------------------------


def test_an_update_records_an_audit_event_with_before_after_and_actor(store, park):
    tenant = add(store, new_tenant(park.id))
    store.actor_id = new_id()
    with store.transaction() as session:
        session.get(Tenant, tenant.id).lease_end = date(2027, 6, 30)
    with store.read() as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.row_id == tenant.id, AuditEvent.action == "update")
        ).one()
    assert event.before == {"lease_end": None}
    assert event.after == {"lease_end": "2027-06-30"}
    assert event.actor_id == store.actor_id
    assert event.origin_device == store.device_id


def test_an_audit_event_is_itself_in_the_change_log(store, park):
    tenant = add(store, new_tenant(park.id))
    with store.transaction() as session:
        session.get(Tenant, tenant.id).headcount = 99
    with store.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.row_id == tenant.id)).one()
    [entry] = change_log(store, event.id)
    assert (entry.table_name, entry.op) == ("audit_event", "insert")


def test_an_insert_is_logged_once_with_its_actor_and_no_audit_event(store, park):
    store.actor_id = new_id()
    tenant = add(store, new_tenant(park.id))
    [entry] = change_log(store, tenant.id)
    assert (entry.op, entry.actor_id, entry.payload["name"]) == ("insert", store.actor_id, tenant.name)
    with store.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.row_id == tenant.id)).all() == []


# --- identity, ids and the clock ----------------------------------------------------------------


def test_device_id_persists_across_reopen(db_path):
    first = Store.open(db_path)
    device = first.device_id
    first.close()
    again = Store.open(db_path)
    try:
        assert again.device_id == device
    finally:
        again.close()


def test_two_databases_get_different_device_ids(tmp_path):
    a, b = Store.open(tmp_path / "a.db"), Store.open(tmp_path / "b.db")
    try:
        assert a.device_id != b.device_id
    finally:
        a.close()
        b.close()


@given(st.lists(st.integers(min_value=0, max_value=2**48 - 1), min_size=2, max_size=20, unique=True))
def test_ids_sort_in_creation_time_order(millis):
    millis.sort()
    ids = [new_id(now_ms=ms) for ms in millis]
    assert sorted(ids) == ids


@given(st.integers(min_value=0, max_value=2**48 - 1))
def test_ids_are_version_7_uuids_carrying_their_millisecond(ms):
    value = uuid.UUID(new_id(now_ms=ms))
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.int >> 80 == ms


def test_ids_made_in_the_same_millisecond_differ():
    assert len({new_id(now_ms=1_764_000_000_000) for _ in range(1000)}) == 1000


def fake_wall_clock(*readings: int):
    it = iter(readings)
    return lambda: next(it)


def test_clock_never_goes_backwards_when_the_wall_clock_does():
    clock = HybridClock("dev-a", now_ms=fake_wall_clock(5_000, 4_000, 4_000, 3_000, 6_000))
    stamps = [clock.tick() for _ in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 5
    assert [parse(s)[:2] for s in stamps] == [(5_000, 0), (5_000, 1), (5_000, 2), (5_000, 3), (6_000, 0)]


def test_clock_moves_past_a_stamp_observed_from_another_device():
    clock = HybridClock("dev-a", now_ms=lambda: 1_000)
    remote = format_stamp(9_000, 7, "dev-b")
    clock.observe(remote)
    assert parse(clock.tick())[:2] > parse(remote)[:2]


def test_observing_an_older_stamp_does_not_move_the_clock_back():
    clock = HybridClock("dev-a", now_ms=fake_wall_clock(9_000, 1_000))
    first = clock.tick()
    clock.observe(format_stamp(2_000, 0, "dev-b"))
    assert clock.tick() > first


def test_clock_resumes_after_its_last_stamp():
    clock = HybridClock("dev-a", now_ms=lambda: 1_000, last=format_stamp(8_000, 3, "dev-a"))
    assert clock.tick() == format_stamp(8_000, 4, "dev-a")


def test_stamps_compare_as_strings_in_time_then_counter_order():
    assert format_stamp(999, 99, "z") < format_stamp(1_000, 0, "a")
    assert format_stamp(1_000, 9, "z") < format_stamp(1_000, 10, "a")


def test_the_read_connection_refuses_every_write_and_reads_what_was_committed(store, park):
    with store.read_connection() as conn:
        assert conn.execute("SELECT name FROM park WHERE id = ?", (park.id,)).fetchone() == (park.name,)
        for statement in ("UPDATE park SET name = 'x'", "DELETE FROM park",
                          "INSERT INTO local_setting (key, value) VALUES ('k', 'v')"):
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                conn.execute(statement)
    with store.read() as session:
        assert session.get(Park, park.id).name == park.name
