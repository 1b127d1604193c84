"""A first sync from the hub's merged rows (inspect_app/sync/snapshot.py, hub/snapshot.py).

Devices talk real HTTP to a hub served by uvicorn on loopback, SQLite and PostgreSQL hubs. A
device that starts from a snapshot must end with the same rows as a device that replayed every
change, also when changes land while it reads the pages, when it is cut mid-way, and when it
holds rows of its own.
"""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select

from db.models import SYNCED_TABLES, Conflict, Inspector, Tenant
from db.store import Store
from inspect_app.hub.app import create_app
from inspect_app.hub.storage import enrol_device
from inspect_app.services.maintenance import check_database
from inspect_app.sync import snapshot
from inspect_app.sync.changes import push_cursor
from tests.hub_server import serve
from tests.new_files import new_device_file, new_sqlite_hub
from tests.sync_helpers import push_all, requester, sync, synced_rows
from tests.test_hub import add_inspector, add_park, rename_tenant

DATA_TABLES = ("park", "building", "tenant", "inspector", "inspection", "check_result", "hazard",
               "rectification_item", "reinspection", "quarterly_report", "audit_event")


@pytest.fixture(params=["sqlite", "postgresql"])
def hub(request, tmp_path):
    url = new_sqlite_hub(tmp_path / "hub.db") if request.param == "sqlite" else request.getfixturevalue("postgres_hub_url")
    app = create_app(url, rate_per_second=10_000, burst=10_000)
    with serve(app) as base:
        app.state.base = base
        yield app
    app.state.engine.dispose()


def device(tmp_path, name: str) -> Store:
    return Store.open(new_device_file(tmp_path / f"{name}.db"))


def token(app, name: str, parks=None) -> str:
    return enrol_device(app.state.engine, name, parks)[1]


def edit(store: Store, model, row_id: str, **fields) -> None:
    with store.transaction() as session:
        row = session.get(model, row_id)
        for name, value in fields.items():
            setattr(row, name, value)


def shared_history(hub, tmp_path):
    """Devices a and b with parks, edits (one concurrent) and a tombstone, all pushed."""
    a, b = device(tmp_path, "a"), device(tmp_path, "b")
    ta, tb = token(hub, "a"), token(hub, "b")
    ids = add_park(a, "PH-001")
    other = add_park(a, "PH-002", n=2)
    add_inspector(a, "张三")
    sync(a, hub.state.base, ta)
    sync(b, hub.state.base, tb, use_snapshot=False)
    rename_tenant(a, ids["tenant"], "甲改")
    rename_tenant(b, ids["tenant"], "乙改")  # concurrent: one loses
    edit(b, Tenant, other["tenant"], deleted=True)
    sync(a, hub.state.base, ta)
    sync(b, hub.state.base, tb)
    sync(a, hub.state.base, ta)
    return a, b, ta, tb, ids


def test_an_empty_device_loads_the_snapshot_and_ends_like_a_device_that_replayed_every_change(hub, tmp_path):
    a, b, ta, tb, ids = shared_history(hub, tmp_path)
    fresh, replayed = device(tmp_path, "fresh"), device(tmp_path, "replayed")
    assert snapshot.needed(fresh, hub.state.base)
    tfresh = token(hub, "fresh")
    sync(fresh, hub.state.base, tfresh)
    sync(replayed, hub.state.base, token(hub, "replayed"), use_snapshot=False)
    assert synced_rows(fresh, tables=DATA_TABLES) == synced_rows(replayed, tables=DATA_TABLES)
    assert synced_rows(fresh, tables=DATA_TABLES) == synced_rows(a, tables=DATA_TABLES)
    with fresh.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM applied_change").fetchone()[0] == 0  # rows, not changes
        assert conn.execute("SELECT count(*) FROM conflict").fetchone()[0] == 0  # documented: none of the past
    assert push_cursor(fresh, hub.state.base)[1] == push_cursor(replayed, hub.state.base)[1] > 0
    assert not snapshot.needed(fresh, hub.state.base)
    # The per-park totals the triggers keep (park list, overview) follow rows loaded from a snapshot.
    assert check_database(fresh.path)["ok"], check_database(fresh.path)["problems"]
    with fresh.read_connection() as conn, a.read_connection() as conn_a:
        totals = "SELECT park_id, tenants, unclosed_general, unclosed_major FROM park_total ORDER BY 1"
        assert conn.execute(totals).fetchall() == conn_a.execute(totals).fetchall() != []
    # Later concurrent edits: the fresh device derives the same conflict rows as the others.
    before = _conflicts(a)
    rename_tenant(a, ids["tenant"], "甲再改")
    rename_tenant(fresh, ids["tenant"], "新机改")
    for store, key in ((a, ta), (fresh, tfresh), (b, tb), (a, ta), (fresh, tfresh)):
        sync(store, hub.state.base, key)
    assert _conflicts(fresh) == _conflicts(a) - before != set()
    assert synced_rows(fresh, tables=DATA_TABLES) == synced_rows(a, tables=DATA_TABLES)
    # The clock starts past the loaded rows when the device is opened again.
    with fresh.read_connection() as conn:
        newest = conn.execute("SELECT max(hlc) FROM tenant").fetchone()[0]
    fresh.close()
    assert Store.open(tmp_path / "fresh.db").clock.tick() > newest


def _conflicts(store: Store) -> set[tuple]:
    with store.read() as session:
        return {(c.table_name, c.row_id, c.field, c.losing_value, c.losing_hlc) for c in session.exec(select(Conflict))}


def test_changes_pushed_while_the_pages_are_read_are_not_missed(hub, tmp_path):
    a, b, ta, tb, ids = shared_history(hub, tmp_path)
    fresh = device(tmp_path, "fresh")
    calls, late = [], {}

    def push_meanwhile(request):
        def wrapped(method, path, **kwargs):
            calls.append(path)
            if len(calls) == 2:  # after the first page: a new tenant name and a new inspector land
                rename_tenant(b, ids["tenant"], "加载中改")
                add_inspector(b, "李四")
                sync(b, hub.state.base, tb)
            if kwargs.get("params", {}).get("table") == "tenant" and not late:
                # parks are loaded: a new park's tenant, inspection... arrive without their park
                late.update(add_park(b, "PH-009", n=9))
                sync(b, hub.state.base, tb)
            return request(method, path, **kwargs)
        return wrapped

    with httpx.Client(base_url=hub.state.base, headers={"Authorization": f"Bearer {token(hub, 'fresh')}"}) as http:
        snapshot.load(fresh, hub.state.base, push_meanwhile(requester(http)), page_rows=2)
    with fresh.read_connection() as conn:  # rows of the late park wait in the inbox for it
        assert conn.execute("SELECT count(*) FROM park WHERE id = ?", (late["park"],)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM applied_change WHERE waiting_for = ?",
                            (late["park"],)).fetchone()[0] > 0
    sync(fresh, hub.state.base, token(hub, "fresh-2"))  # the normal pull after the snapshot
    sync(a, hub.state.base, ta)
    assert synced_rows(fresh, tables=DATA_TABLES) == synced_rows(a, tables=DATA_TABLES)
    with fresh.read() as session:
        assert session.get(Tenant, ids["tenant"]).name == "加载中改"
        assert {i.name for i in session.exec(select(Inspector))} == {"张三", "李四"}


def test_a_cut_snapshot_resumes_where_it_stopped(hub, tmp_path):
    a, b, ta, tb, ids = shared_history(hub, tmp_path)
    fresh = device(tmp_path, "fresh")
    key = token(hub, "fresh")
    calls = []
    with httpx.Client(base_url=hub.state.base, headers={"Authorization": f"Bearer {key}"}) as http:
        def cut_on_fifteenth(method, path, **kwargs):
            calls.append(path)
            if len(calls) == 15:  # past the first pages (each empty table takes a call)
                raise httpx.ReadError("cable pulled")
            return requester(http)(method, path, **kwargs)

        with pytest.raises(httpx.ReadError):
            snapshot.load(fresh, hub.state.base, cut_on_fifteenth, page_rows=1)
    assert push_cursor(fresh, hub.state.base)[1] == 0  # not done: no pull cursor yet
    assert snapshot.needed(fresh, hub.state.base)
    with fresh.read_connection() as conn:
        loaded = sum(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in SYNCED_TABLES)
    assert loaded > 0  # pages before the cut stay
    sync(fresh, hub.state.base, key)
    assert synced_rows(fresh, tables=DATA_TABLES) == synced_rows(a, tables=DATA_TABLES)


def test_a_device_with_rows_of_its_own_gets_others_edits_of_them(hub, tmp_path):
    a, b = device(tmp_path, "a"), device(tmp_path, "b")
    ta, tb = token(hub, "a"), token(hub, "b")
    ids = add_park(a, "PH-001")
    inspector = add_inspector(a, "张三")
    with httpx.Client(base_url=hub.state.base, headers={"Authorization": f"Bearer {ta}"}) as http:
        push_all(a, http, hub.state.base)  # pushed only: a never pulled
    sync(b, hub.state.base, tb)
    edit(b, Inspector, inspector, agency="嘉兴市消防救援支队")
    rename_tenant(b, ids["tenant"], "乙改")
    sync(b, hub.state.base, tb)
    assert snapshot.needed(a, hub.state.base)
    sync(a, hub.state.base, ta)
    with a.read() as session:
        assert session.get(Inspector, inspector).agency == "嘉兴市消防救援支队"
        assert session.get(Tenant, ids["tenant"]).name == "乙改"
    assert synced_rows(a, tables=DATA_TABLES) == synced_rows(b, tables=DATA_TABLES)


def test_a_park_limited_device_loads_only_its_parks_and_shared_rows(hub, tmp_path):
    a = device(tmp_path, "a")
    first = add_park(a, "PH-001")
    second = add_park(a, "PH-002", n=2)
    add_inspector(a, "张三")
    sync(a, hub.state.base, token(hub, "a"))
    limited = device(tmp_path, "limited")
    sync(limited, hub.state.base, token(hub, "limited", parks=["PH-002"]))
    with limited.read() as session:
        assert [t.id for t in session.exec(select(Tenant))] == [second["tenant"]]
        assert len(session.exec(select(Inspector)).all()) == 1
    with limited.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM park WHERE id = ?", (first["park"],)).fetchone()[0] == 0


def test_the_snapshot_endpoints_need_a_token_and_a_known_table(hub):
    with httpx.Client(base_url=hub.state.base) as http:
        assert http.get("/api/v1/snapshot", params={"table": "tenant"}).status_code == 401
        http.headers["Authorization"] = f"Bearer {token(hub, 'x')}"
        assert http.get("/api/v1/snapshot", params={"table": "change_log"}).status_code == 422
        assert http.get("/api/v1/snapshot", params={"table": "tenant", "limit": 0}).status_code == 422
        assert http.post("/api/v1/snapshot/changes", json={"table": "tenant", "row_ids": []}).status_code == 422
        schema = http.get("/openapi.json").json()
    assert {"/api/v1/snapshot", "/api/v1/snapshot/changes"} <= set(schema["paths"])


def test_the_hub_keeps_each_row_ready_and_builds_those_it_lacks(hub, tmp_path):
    """row_state.snapshot is written with the row; a hub database without it (older) is filled."""
    from sqlalchemy import select, update

    from inspect_app.hub.rows import stored_values
    from inspect_app.hub.snapshot import fill_snapshots
    from inspect_app.hub.storage import row_state

    a, b = device(tmp_path, "a"), device(tmp_path, "b")
    ids = add_park(a, "PH-001")
    ta = token(hub, "a")
    sync(a, hub.state.base, ta)
    rename_tenant(a, ids["tenant"], "改名")
    sync(a, hub.state.base, ta)
    with hub.state.engine.connect() as conn:
        text = conn.execute(select(row_state.c.snapshot).where(row_state.c.row_id == ids["tenant"])).scalar_one()
    row_id, inserted, clocks, seen, values = json.loads(text)
    assert row_id == ids["tenant"] and set(clocks) == {"name"} and seen == {"name": inserted}
    with hub.state.engine.begin() as conn:  # rows as a hub kept them before the snapshot column
        for row in conn.execute(select(row_state)).all():
            conn.execute(update(row_state).where(row_state.c.table_name == row.table_name,
                                                 row_state.c.row_id == row.row_id)
                         .values({"values": stored_values(row.table_name, row._mapping["values"], row.snapshot),
                                  "snapshot": None}))
    sync(b, hub.state.base, token(hub, "b"))  # served by building the rows
    assert synced_rows(b, tables=DATA_TABLES) == synced_rows(a, tables=DATA_TABLES)
    assert fill_snapshots(hub.state.engine) > 0
    with hub.state.engine.connect() as conn:
        assert conn.execute(select(row_state.c.snapshot).where(row_state.c.row_id == ids["tenant"])).scalar_one() == text
