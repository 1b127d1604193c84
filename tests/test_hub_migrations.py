"""The hub database's schema migrations and `parkinspect hub backup` / `hub restore`, on SQLite and PostgreSQL.

A hub made before migrations (its four tables as `metadata.create_all` made them, no
alembic_version) is stamped and upgraded in place, keeping its data; a new one gets every
revision; either way the schema is exactly `storage.metadata`. A backup is a portable SQLite
file: a PostgreSQL hub's backup restores into it again (and into SQLite); a restore refuses,
writing nothing, what it cannot be sure of.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Boolean, Column, Index, MetaData, String, Table, Text, select, text

from inspect_app.cli import main
from inspect_app.hub import identity
from inspect_app.hub.compact_ids import CompactText
from inspect_app.hub.migrate import HEAD_REVISION, MIGRATIONS_DIR, current_revision
from inspect_app.hub.storage import (
    attachment,
    change,
    device,
    device_ack,
    enrol_device,
    make_engine,
    metadata,
    open_engine,
    row_state,
    unique_key,
    unique_key_digest,
)
from inspect_app.sync.protocol import RULES


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return request.getfixturevalue("postgres_url")


def schema_differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def a_change(device_id: str, device_seq: int, **values) -> dict:
    return {"device_id": device_id, "device_seq": device_seq, "table_name": "park", "row_id": f"row-{device_seq}",
            "park_id": f"row-{device_seq}", "op": "insert", "hlc": f"1764150000000.{device_seq:05d}.{device_id}",
            "actor_id": None, "payload": {"id": f"row-{device_seq}", "code": f"PH-{device_seq:03d}"}, "base": {},
            "received_at": datetime(2026, 11, 27, 8, 30, device_seq, 123456, tzinfo=UTC), **values}


def test_the_revisions_make_exactly_the_hub_schema_and_head_is_what_start_up_checks_for(hub_db):
    engine = open_engine(hub_db)
    try:
        assert schema_differences(engine) == []
        assert current_revision(engine) == HEAD_REVISION
        with engine.connect() as conn:
            hub_id, epoch = identity.identity(conn)
        assert len(hub_id) == 32 and epoch == 1
    finally:
        engine.dispose()
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]
    again = open_engine(hub_db)  # opening again changes nothing (the id is made once)
    with again.connect() as conn:
        assert identity.identity(conn) == (hub_id, 1)
    again.dispose()


def json_log_table(into: MetaData | None = None) -> Table:
    """The change table as hubs before revision 0005 kept it: payload and base as JSON text (and
    the ids, names and stamp as text, as before revision 0011 on PostgreSQL)."""
    table = text_change(into)
    for name in ("payload", "base"):
        table.c[name].type = JSON()
    return table


def text_change(into: MetaData | None = None) -> Table:
    """The change table as hubs before revision 0011 kept it: ids, names and the stamp as text."""
    table = change.to_metadata(into or MetaData())
    for column in table.c:
        if isinstance(column.type, CompactText):
            column.type = String(column.type.impl.length)
    return table


def text_row_state(into: MetaData | None = None, park_index: bool = True) -> Table:
    """`row_state` as hubs before revision 0010 kept it: values, clocks and snapshot as text, a rowid table."""
    table = Table("row_state", into or MetaData(), Column("table_name", String(40), primary_key=True),
                  Column("row_id", String(64), primary_key=True), Column("park_id", String(64)),
                  Column("sha256", String(64), index=True), Column("values", JSON(none_as_null=True)),
                  Column("field_hlcs", JSON, nullable=False), Column("field_seen", JSON(none_as_null=True)),
                  Column("deleted", Boolean, nullable=False, default=False), Column("snapshot", Text))
    if park_index:  # revision 0009 made it
        Index("ix_row_state_park", table.c.park_id, table.c.table_name, table.c.row_id)
    return table


def named_unique_key(into: MetaData | None = None) -> Table:
    """`unique_key` as hubs before revision 0010 kept it: table, key name and digest as its key."""
    return Table("unique_key", into or MetaData(), Column("table_name", String(40), primary_key=True),
                 Column("key_name", String(200), primary_key=True), Column("key_value", String(64), primary_key=True),
                 Column("row_id", String(64), nullable=False))


def test_a_hub_made_before_migrations_is_stamped_and_upgraded_in_place_keeping_its_data(hub_db):
    legacy = make_engine(hub_db)
    first_release = MetaData()  # the hub as first released
    attachment.to_metadata(first_release)
    first_rows = text_row_state(first_release, park_index=False)
    # The device table before notice blocks (revision 0006 adds the column).
    first_device = Table("device", first_release, *[c._copy() for c in device.columns if c.name != "notice_block"])
    json_log_table(first_release)
    first_release.create_all(legacy)
    with legacy.begin() as conn:
        conn.execute(first_device.insert().values(id="e1", name="laptop-a", token_sha256="0" * 64, device_id=None,
                                                  parks=[], created_at=datetime(2026, 11, 27, tzinfo=UTC)))
        conn.execute(json_log_table().insert(), [a_change("dev-a", n) for n in (1, 2, 3)] + [a_change("dev-b", 7)])
        conn.execute(attachment.insert().values(sha256="ab" * 32, size=3, content=b"abc", uploaded_by="x",
                                                created_at=datetime(2026, 11, 27, tzinfo=UTC)))
        # Merged before unique keys were checked: two parks share a code; a third has its own.
        conn.execute(first_rows.insert(), [
            {"table_name": "park", "row_id": row_id, "park_id": row_id, "sha256": None, "deleted": False,
             "values": {"id": row_id, "code": code}, "field_hlcs": {}}
            for row_id, code in (("0192-b", "PH-001"), ("0192-a", "PH-001"), ("0192-c", None))])
    legacy.dispose()

    engine = open_engine(hub_db)
    try:
        assert schema_differences(engine) == []
        with engine.connect() as conn:
            assert conn.execute(select(change.c.device_id, change.c.device_seq).order_by(change.c.seq)).all() == [
                ("dev-a", 1), ("dev-a", 2), ("dev-a", 3), ("dev-b", 7)]
            assert conn.execute(select(device.c.name)).scalars().all() == ["laptop-a"]
            # The device enrolled before notice blocks gets the first; the next enrolment the second.
            assert conn.execute(select(device.c.notice_block)).scalars().all() == ["H001"]
            assert conn.execute(select(attachment.c.content)).scalar_one() == b"abc"
            # What each device had acknowledged: it is not asked to push again after the upgrade.
            assert dict(conn.execute(select(device_ack.c.device_id, device_ack.c.acked_seq)).all()) == {
                "dev-a": 3, "dev-b": 7}
            assert identity.identity(conn)[1] == 1
            # Unique keys filled from the merged rows: the earliest row holds a shared key; a row
            # without the key's value holds none (as in SQL).
            held = conn.execute(select(unique_key.c.key, unique_key.c.row_id)).all()
            code_key = RULES["park"].keys({"code": "PH-001"}, False)["park(code)"]
            assert held == [(unique_key_digest("park", "park(code)", code_key), "0192-a")]
        assert enrol_device(engine, "laptop-b")[0].notice_block == "H002"
    finally:
        engine.dispose()


# --- parkinspect hub backup / restore ------------------------------------------------------------------


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def hub_rows(url: str) -> dict:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: sorted(tuple(_comparable(v) for v in row) for row in conn.execute(select(table)))
                    for table in metadata.sorted_tables if table.name != "hub_meta"}
    finally:
        engine.dispose()


def _comparable(value) -> str:
    """SQLite gives times back in UTC without a zone, PostgreSQL with one: compare the instants."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return repr(value)


def fill(url: str) -> str:
    engine = open_engine(url)
    enrol_device(engine, "laptop-a")
    with engine.begin() as conn:
        conn.execute(change.insert(), [a_change("dev-a", n) for n in (1, 2, 3)])
        conn.execute(device_ack.insert().values(device_id="dev-a", acked_seq=4))  # 4 was refused
        conn.execute(attachment.insert().values(sha256="cd" * 32, size=4, content=b"\x00\xffok", uploaded_by="x",
                                                created_at=datetime(2026, 11, 27, 9, tzinfo=UTC)))
        hub_id = identity.identity(conn)[0]
    engine.dispose()
    return hub_id


def test_a_backup_restores_the_hub_as_it_was_with_a_new_epoch_and_fresh_sequence_numbers(hub_db, tmp_path, capsys):
    hub_id = fill(hub_db)
    before = hub_rows(hub_db)
    kept = tmp_path / "kept.db"
    code, out, _ = cli(capsys, "hub", "backup", str(kept), "--hub-db", hub_db)
    assert code == 0 and "3" in out and not kept.with_name("kept.db.partial").exists()
    assert sqlite3.connect(kept).execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one whole file

    engine = open_engine(hub_db)
    with engine.begin() as conn:  # the hub goes on after the backup
        conn.execute(change.insert(), [a_change("dev-a", n) for n in (5, 6)])
        conn.execute(text("DELETE FROM attachment"))
    engine.dispose()
    code, out, _ = cli(capsys, "hub", "restore", str(kept), "--hub-db", hub_db)
    assert code == 0
    assert hub_rows(hub_db) == before
    engine = open_engine(hub_db)
    with engine.begin() as conn:
        assert identity.identity(conn) == (hub_id, 2)
        assert identity.acked_seq(conn, "dev-a") == 4
        conn.execute(change.insert(), [a_change("dev-c", 1)])  # numbered past every sequence given out
        assert conn.execute(select(change.c.seq).where(change.c.device_id == "dev-c")).scalar() == 6
    engine.dispose()

    # The backup is a portable SQLite file: it also restores into an empty SQLite hub.
    elsewhere = f"sqlite:///{tmp_path / 'new-hub.db'}"
    assert cli(capsys, "hub", "restore", str(kept), "--hub-db", elsewhere)[0] == 0
    assert hub_rows(elsewhere) == before


def test_backup_and_restore_refuse_what_they_cannot_be_sure_of_and_write_nothing(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    fill(url)
    kept = tmp_path / "kept.db"
    assert cli(capsys, "hub", "backup", str(kept), "--hub-db", url)[0] == 0
    code, _, err = cli(capsys, "hub", "backup", str(kept), "--hub-db", url)
    assert code == 2 and "kept.db" in err  # never overwrites a backup

    other = f"sqlite:///{tmp_path / 'other.db'}"
    fill(other)
    before = hub_rows(other)
    code, _, err = cli(capsys, "hub", "restore", str(kept), "--hub-db", other)
    assert code == 2 and "另一个同步中心" in err  # another hub's backup over a hub with data

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all")
    device_db = tmp_path / "device.db"
    sqlite3.connect(device_db).execute("CREATE TABLE tenant (id TEXT)").connection.close()
    for wrong in (junk, device_db):
        code, _, err = cli(capsys, "hub", "restore", str(wrong), "--hub-db", other)
        assert code == 2 and "不是同步中心的备份文件" in err
    code, _, err = cli(capsys, "hub", "restore", str(tmp_path / "missing.db"), "--hub-db", other)
    assert code == 2 and "找不到" in err

    newer = tmp_path / "newer.db"
    newer.write_bytes(kept.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    code, _, err = cli(capsys, "hub", "restore", str(newer), "--hub-db", url)
    assert code == 2 and "0099_from_the_future" in err
    assert hub_rows(other) == before
    with open_engine(other).connect() as conn:
        assert identity.identity(conn)[1] == 1  # no restore happened


# --- 0004_compact_rows: merged rows stored compactly ------------------------------------------------


def upgrade_to(url: str, revision: str):
    """A hub database brought to `revision` only (an older hub's schema)."""
    from alembic import command
    from alembic.config import Config

    from inspect_app.hub.migrate import explicit_transactions

    engine = make_engine(url)
    migrating = explicit_transactions(engine, "BEGIN IMMEDIATE")
    with migrating.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    if migrating is not engine:
        migrating.dispose()
    return engine


def test_0004_stores_rows_compactly_in_place_and_rebuilds_tenant_snapshots(hub_db):
    from inspect_app.hub.push import RowCache
    from inspect_app.hub.rows import snapshot_row, table_columns

    stamp, later = "1764150000000.00001.dev-a", "1764150000500.00000.dev-b"
    tenant_columns = [c for c in table_columns("tenant") if c not in ("merged_into", "distinct_code")]
    tenant = {column: f"v-{column}" for column in tenant_columns} | {"id": "t-1", "name": "旧名称"}
    renamed = tenant | {"name": "新名称"}
    renamed_clocks = dict.fromkeys(renamed, stamp) | {"name": later}
    park = {column: None for column in table_columns("park")} | {"id": "p-1", "code": "PH-001", "name": "平湖园区"}
    only_updated = {"name": "只收到改动"}  # the hub never received this row's insert
    old_rows = {  # (table, row_id): (values, field_hlcs, field_seen) as revision 0003 kept them
        ("tenant", "t-1"): (tenant, dict.fromkeys(tenant, stamp), {}),
        ("tenant", "t-2"): (renamed | {"id": "t-2"}, renamed_clocks, {"name": stamp}),
        ("park", "p-1"): (park, dict.fromkeys(park, stamp), {}),
        ("tenant", "t-3"): (only_updated, {"name": later}, {}),
    }
    old = upgrade_to(hub_db, "0003_unique_key")
    with old.begin() as conn:
        for (table, row_id), (values, clocks, seen) in old_rows.items():
            # The snapshot as the old hub wrote it: the tenant's from before merged_into/distinct_code.
            snapshot = snapshot_row(table, row_id, values, clocks, seen)
            if snapshot is not None and table == "tenant":
                listed = json.loads(snapshot)
                listed[4] = [values.get(column) for column in tenant_columns]
                snapshot = json.dumps(listed, ensure_ascii=False)
            conn.execute(text_row_state().insert().values(table_name=table, row_id=row_id, park_id="p-1", sha256=None,
                                                   values=values, field_hlcs=clocks, field_seen=seen,
                                                   deleted=False, snapshot=snapshot))
        conn.execute(named_unique_key().insert().values(table_name="park", key_name="park(code)",
                                                        key_value="ab" * 32, row_id="p-1"))
    old.dispose()

    engine = open_engine(hub_db)
    try:
        assert current_revision(engine) == HEAD_REVISION and schema_differences(engine) == []
        with engine.connect() as conn:
            stored = {(r.table_name, r.row_id): r for r in conn.execute(select(row_state))}
            cache = RowCache(conn)
            for (table, row_id), (values, clocks, seen) in old_rows.items():
                state = cache.get(table, row_id)  # read back exactly as before, as the push reads it
                assert (state.values, state.field_hlcs, state.field_seen) == (values, clocks, seen)
        # The park row holds every column: its values live in the snapshot only, its clocks once.
        assert stored[("park", "p-1")]._mapping["values"] is None
        assert stored[("park", "p-1")].field_hlcs is None  # the insert's stamp alone: the snapshot's
        assert stored[("park", "p-1")].field_seen is None
        # Tenant snapshots rebuilt with the columns the device's table gained.
        for row_id in ("t-1", "t-2"):
            listed = json.loads(stored[("tenant", row_id)].snapshot)
            assert len(listed[4]) == len(table_columns("tenant"))
            assert listed[4][table_columns("tenant").index("merged_into")] is None
        assert stored[("tenant", "t-2")].field_hlcs == {"id": stamp, "name": later}
        assert json.loads(stored[("tenant", "t-2")].snapshot)[2:4] == [{"name": later}, {"name": stamp}]
        assert stored[("tenant", "t-3")].snapshot is None  # only updates: kept as they were
        assert stored[("tenant", "t-3")]._mapping["values"] == only_updated
        with engine.connect() as conn:
            assert conn.execute(select(unique_key.c.key, unique_key.c.row_id)).all() == [
                (unique_key_digest("park", "park(code)", "ab" * 32), "p-1")]
            if engine.dialect.name == "sqlite":  # kept once, in its primary key's b-tree
                made = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'unique_key'")).scalar_one()
                assert made.rstrip().endswith("WITHOUT ROWID")
    finally:
        engine.dispose()


# --- 0005_packed_log: the change log stored compressed -------------------------------------------------


def downgrade_to(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from inspect_app.hub.migrate import explicit_transactions

    migrating = explicit_transactions(engine, "BEGIN IMMEDIATE")
    with migrating.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    if migrating is not engine:
        migrating.dispose()


def test_0005_packs_the_log_in_place_keeps_the_sequence_counter_and_downgrades(hub_db):
    from sqlalchemy import type_coerce
    from sqlalchemy.types import LargeBinary

    from inspect_app.hub.log_codec import unpack

    batch = importlib.import_module("inspect_app.hub.migrations.versions.0005_packed_log").BATCH
    chinese = {"id": "row-2", "name": "平湖市鼎华电器有限公司", "deleted": False, "notes": None}
    changes = [a_change("dev-a", 1), a_change("dev-a", 2, payload=chinese, base=None),
               a_change("dev-a", 3, op="update", payload={"name": "新"}, base={"name": "1764150000000.00001.dev-a"}),
               a_change("dev-b", 9)]
    changes += [a_change(f"dev-e{n // 50}", n % 50 + 1) for n in range(batch)]  # the last on a second page
    old = upgrade_to(hub_db, "0004_compact_rows")
    logged = json_log_table()
    with old.begin() as conn:
        conn.execute(logged.insert(), changes)
        conn.execute(logged.insert(), [a_change("dev-c", 1)])  # given out, then lost by a restore:
        conn.execute(logged.delete().where(logged.c.device_id == "dev-c"))  # its number stays used
    old.dispose()

    engine = open_engine(hub_db)
    try:
        assert current_revision(engine) == HEAD_REVISION and schema_differences(engine) == []
        with engine.connect() as conn:
            read = conn.execute(select(change.c.device_seq, change.c.payload, change.c.base)
                                .order_by(change.c.seq)).all()
            packed = conn.execute(select(type_coerce(change.c.payload, LargeBinary), change.c.base.is_(None))
                                  .order_by(change.c.seq)).all()
        assert [tuple(row) for row in read] == [(c["device_seq"], c["payload"], c["base"]) for c in changes]
        assert all(bytes(stored)[0] == 1 and unpack(bytes(stored)) == c["payload"]
                   for (stored, _), c in zip(packed, changes, strict=True))
        assert [no_base for _, no_base in packed[:4]] == [False, True, False, False]  # JSON null → SQL NULL
        with engine.begin() as conn:  # the next sequence is past the one given out before
            conn.execute(change.insert(), [a_change("dev-d", 1)])
            assert conn.execute(select(change.c.seq).where(change.c.device_id == "dev-d")).scalar_one() == batch + 6

        downgrade_to(engine, "0004_compact_rows")
        with engine.connect() as conn:
            back = conn.execute(select(logged.c.device_seq, logged.c.payload, logged.c.base)
                                .where(logged.c.device_id != "dev-d").order_by(logged.c.seq)).all()
        assert [tuple(row) for row in back] == [(c["device_seq"], c["payload"], c["base"]) for c in changes]
    finally:
        engine.dispose()


# --- 0010_lean_storage: merged rows packed, unique keys as one digest -----------------------------------


def served(base: str, token: str, tenant_id: str) -> list[bytes]:
    """What a device of every park receives, as bytes: a pull, every table's snapshot pages, a row's changes."""
    import httpx

    from inspect_app.hub.snapshot import snapshot_tables

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        got = [http.get("/api/v1/changes", params={"limit": 1000}).content]
        for table in snapshot_tables():
            got.append(http.get("/api/v1/snapshot", params={"table": table, "limit": 3}).content)
        got.append(http.post("/api/v1/snapshot/changes", json={"table": "tenant", "row_ids": [tenant_id]}).content)
    return got


def served_before_and_after(hub_db: str, tmp_path, older: str, extra=None) -> tuple:
    """A laptop's park pushed to the hub (and a refused duplicate of it), then what devices receive
    over real HTTP — a pull, every table's snapshot pages, a row's changes, a backup's rows and the
    refusal — before and after the hub is taken down to revision `older` and brought up again by
    the next start. `extra(sent)` adds changes to the push."""
    import httpx

    from inspect_app.hub.app import create_app
    from inspect_app.hub.backup import backup
    from tests.hub_server import serve
    from tests.test_hub import add_park, open_device, outbox

    laptop = open_device(tmp_path, "a")
    ids = add_park(laptop, "PH-001")
    sent = outbox(laptop)
    park = next(c for c in sent if c["table"] == "park")
    # A second park with the first one's code, from the same device: refused as duplicate_key.
    twin = {**park, "device_seq": sent[-1]["device_seq"] + 1, "row_id": "0192-twin",
            "payload": {**park["payload"], "id": "0192-twin"}}
    laptop.close()
    if extra is not None:
        sent = sent + extra(park, twin["device_seq"] + 1)

    def run(url: str) -> tuple[list[bytes], dict, dict]:
        app = create_app(url)
        try:
            with serve(app) as base:
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['a']}"}) as http:
                    pushed = http.post("/api/v1/push", json={"changes": sent}).json()
                    refused = http.post("/api/v1/push", json={"changes": [twin]}).json()
                pages = served(base, tokens["b"], ids["tenant"])
        finally:
            app.state.engine.dispose()
        assert not pushed["rejected"], pushed
        copy = tmp_path / f"backup-{len(list(tmp_path.glob('backup-*')))}.db"
        backup(url, copy)
        return pages, refused, hub_rows(f"sqlite:///{copy}")

    engine = open_engine(hub_db)
    tokens = {name: enrol_device(engine, f"laptop-{name}")[1] for name in ("a", "b")}
    engine.dispose()
    before = run(hub_db)
    assert before[1]["rejected"][0]["code"] == "duplicate_key"
    engine = make_engine(hub_db)
    downgrade_to(engine, older)
    return engine, before, lambda: run(hub_db)  # create_app upgrades it again


def test_0010_packs_rows_in_place_and_devices_receive_the_same_bytes_and_refusals(hub_db, tmp_path):
    """A hub in 0009's layout (this one's rows written back by the downgrade) is upgraded by the next
    start: pulls, snapshot pages, row changes and a backup's rows are the same bytes, and the same
    duplicate is refused with the same answer."""
    engine, before, run_again = served_before_and_after(hub_db, tmp_path, "0009_province")
    with engine.connect() as conn:  # 0009's layout: text snapshots, keys by name
        assert conn.execute(text("SELECT count(*) FROM unique_key WHERE key_name = 'park(code)'")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM row_state WHERE snapshot LIKE '[%'")).scalar() > 5
    engine.dispose()
    assert run_again() == before
    engine = make_engine(hub_db)
    try:
        assert current_revision(engine) == HEAD_REVISION and schema_differences(engine) == []
        with engine.connect() as conn:  # stored packed, and the rows' clocks in their snapshot
            assert conn.execute(text("SELECT count(*) FROM row_state WHERE field_hlcs IS NULL")).scalar() > 5
    finally:
        engine.dispose()


# --- 0011_pg_compact: ids, names and stamps as compact bytes on PostgreSQL --------------------------------


def other_ids(park: dict, device_seq: int) -> list[dict]:
    """Parks whose ids are no lowercase uuid — uppercase, short hex, a word, a stamp's shape, free
    text — all of which the protocol allows: stored as the text they are, served back the same."""
    odd = ["0192AAAA-0000-7000-8000-00000000000A", "00ff", "tenant", "1764150000000.00001.0a1b", "Park_42.x:y-Z"]
    millis, counter, device = park["hlc"].split(".", 2)
    return [{**park, "device_seq": device_seq + n, "row_id": row_id, "hlc": f"{millis}.{int(counter) + 50 + n:05d}.{device}",
             "payload": {**park["payload"], "id": row_id, "code": f"PH-9{n:02d}"}}
            for n, row_id in enumerate(odd)]


def test_0011_stores_ids_compactly_on_postgresql_and_devices_receive_the_same_bytes(hub_db, tmp_path):
    """A hub in 0010's layout is converted by the next start; devices receive the same bytes, the
    same refusal, the same backup rows — also for rows whose ids are not uuids."""
    from inspect_app.hub.compact_ids import pack

    engine, before, run_again = served_before_and_after(hub_db, tmp_path, "0010_lean_storage", other_ids)
    with engine.connect() as conn:  # 0010's layout: the ids as text
        ids = set(conn.execute(text("SELECT row_id FROM row_state WHERE park_id = row_id")).scalars())
    engine.dispose()
    assert {"00ff", "tenant", "Park_42.x:y-Z"} <= ids and all(isinstance(i, str) for i in ids)
    assert run_again() == before
    engine = make_engine(hub_db)
    try:
        assert current_revision(engine) == HEAD_REVISION and schema_differences(engine) == []
        with engine.connect() as conn:
            stored = [conn.execute(text(f"SELECT {c} FROM change ORDER BY seq LIMIT 1")).scalar()
                      for c in ("row_id", "hlc", "table_name", "op")]
            logged = conn.execute(select(change.c.row_id, change.c.hlc, change.c.table_name, change.c.op)
                                  .order_by(change.c.seq).limit(1)).one()
        if engine.dialect.name == "postgresql":  # a uuid in 17 bytes, a stamp in 18, names in 2
            assert [bytes(v) for v in stored] == [pack(v) for v in logged]
            assert [len(bytes(v)) for v in stored] == [17, 18, 2, 2]
        else:  # SQLite keeps the text
            assert stored == list(logged)
    finally:
        engine.dispose()


def test_sqlite_keeps_merged_rows_in_their_key_and_finds_attachments_by_the_partial_index(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with engine.connect() as conn:
            made = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'row_state'")).scalar_one()
            assert made.rstrip().endswith("WITHOUT ROWID")
            query = select(row_state.c.row_id).where(row_state.c.table_name == "attachment",
                                                     row_state.c.sha256 == "ab" * 32, row_state.c.park_id.is_(None))
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "USING INDEX ix_row_state_sha256 (sha256=?" in plan, plan
            of_rows = select(change.c.seq).where(change.c.table_name == "tenant", change.c.row_id.in_(["r-5", "r-7"]))
            sql = str(of_rows.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "USING INDEX ix_change_row (row_id=?)" in plan, plan
    finally:
        engine.dispose()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stored_rows_and_unique_keys_equal_a_replay_of_the_log(tmp_path, seed):
    """Random inserts, updates (over bases, out of order), code swaps and deletes of parks from two
    devices: each row as stored (packed snapshot, clocks kept in it, values) and the unique keys
    are what replaying the hub's log gives, computed afresh."""
    import random

    from inspect_app.hub.push import PushApplier
    from inspect_app.hub.rows import snapshot_row, stored_row
    from inspect_app.sync.protocol import WireChange
    from tests.test_hub import add_park, open_device, outbox

    laptop = open_device(tmp_path, "a")
    add_park(laptop, "PH-000")
    template = next(c for c in outbox(laptop) if c["table"] == "park")["payload"]
    laptop.close()
    rng = random.Random(seed)
    engine = open_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    hub_device = enrol_device(engine, "laptop")[0]
    seqs = {"0a1b": 0, "0c2d": 0}
    ids = [f"0192-{n}" for n in range(6)]
    try:
        for _ in range(8):
            batch = []
            for _ in range(rng.randint(3, 8)):
                device = rng.choice(sorted(seqs))
                seqs[device] += 1
                row_id = rng.choice(ids)
                hlc = f"{1764150000000 + rng.randrange(5000)}.{seqs[device]:05d}.{device}"
                op = rng.choice(["insert", "update", "update", "delete"])
                if op == "insert":
                    payload = {**template, "id": row_id, "code": f"PH-{rng.randrange(4)}", "hlc": hlc,
                               "origin_device": device}
                    base = None
                else:
                    field = "deleted" if op == "delete" else rng.choice(["code", "name"])
                    value = True if op == "delete" else (f"PH-{rng.randrange(4)}" if field == "code" else f"园{seed}")
                    payload = {field: value}
                    base = {field: f"{1764150000000 + rng.randrange(5000)}.00000.{device}"}
                batch.append(WireChange(device_id=device, device_seq=seqs[device], table="park", row_id=row_id,
                                        op=op, hlc=hlc, payload=payload, base=base))
            by_device = {}
            for item in batch:
                by_device.setdefault(item.device_id, []).append(item)
            for items in by_device.values():
                with engine.begin() as conn:
                    PushApplier(conn, hub_device, max_clock_skew_ms=10 ** 15).run(items)
        replayed: dict[str, tuple[dict, dict, dict]] = {}
        with engine.connect() as conn:
            for c in conn.execute(select(change).order_by(change.c.seq)):
                values, clocks, seen = replayed.setdefault(c.row_id, ({}, {}, {}))
                for name, value in c.payload.items():
                    stamp = (c.base or {}).get(name) if c.op != "insert" else None
                    if stamp is not None and stamp > seen.get(name, ""):
                        seen[name] = stamp
                    if c.hlc > clocks.get(name, ""):
                        values[name], clocks[name] = value, c.hlc
            stored = {r.row_id: r for r in conn.execute(select(row_state))}
            keys = set(conn.execute(select(unique_key.c.key, unique_key.c.row_id)).all())
        assert set(stored) == set(replayed)
        assert keys and any(row.snapshot is not None for row in stored.values())  # not vacuous
        expected_keys = set()
        for row_id, (values, clocks, seen) in replayed.items():
            row = stored[row_id]
            assert row.snapshot == snapshot_row("park", row_id, values, clocks, seen)
            assert stored_row("park", row._mapping["values"], row.field_hlcs, row.snapshot) == (values, clocks)
            for name, digest in RULES["park"].keys(values, bool(values.get("deleted", False))).items():
                expected_keys.add((unique_key_digest("park", name, digest), row_id))
        assert keys == expected_keys
    finally:
        engine.dispose()
