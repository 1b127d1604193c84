"""Ledger search by what the inspector sees at the door: the building, the room number on the wall
(typed any way: "3F-301", "3f301", full-width), the pinyin of the name (whole or initials) — kept
right by every write path: the form, an edit, the ledger import, a sync (first sync from the
snapshot and later changes), and migration 0011 for tenants stored before it."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from textual.widgets import Input

from db import migrations
from db.queries import LedgerQuery
from db.search_key import fold, tenant_search_key
from db.store import Store
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.hub.storage import enrol_device
from inspect_app.services.ledger import ledger_page, save_tenant, tenant_as_input
from inspect_app.services.ledger_import import import_ledger
from tests.conftest import TODAY, make_credit_code, tenant_values
from tests.pilot import settle
from tests.sync_helpers import sync
from tests.test_hub import add_park
from tests.test_tui import open_first_park, with_profile

JIAMEI = "平湖市佳美电子有限公司"
JIAMING = "平湖市嘉铭塑料有限公司"
XINNUO = "平湖市鑫诺机械有限公司"
# (name, building, unit, contact): 佳美 and 鑫诺 share building 2号楼; 佳美 and 嘉铭 share initials jm.
TENANTS = (
    (JIAMEI, "2号楼", "3F-301", "王建国"),
    (JIAMING, "5号楼", "1F-105", "李红"),
    (XINNUO, "2号楼", "4F-402", "赵敏"),
)


def add(store: Store, park_id: str) -> dict[str, str]:
    ids = {}
    for n, (name, building, unit, contact) in enumerate(TENANTS, start=1):
        values = tenant_values(n, name=name, building=building, unit_no=unit, contact_name=contact,
                               contact_phone=f"1381234567{n}")
        ids[name] = save_tenant(store, park_id=park_id, data=TenantInput.model_validate(values)).id
    return ids


def found(store: Store, search: str, park_id: str | None = None) -> set[str]:
    rows, total = ledger_page(store, LedgerQuery(park_id=park_id, search=search, today=TODAY))
    assert total == len(rows)
    return {row.name for row in rows}


@pytest.mark.parametrize("search, expected", [
    ("2号楼", {JIAMEI, XINNUO}),
    ("3F-301", {JIAMEI}),
    ("3f301", {JIAMEI}),
    ("３Ｆ－３０１", {JIAMEI}),
    ("3F 301", {JIAMEI}),  # two words, both in its location
    ("2号楼3F-301", {JIAMEI}),
    ("4f-40", {XINNUO}),
    ("jiamei", {JIAMEI}),
    ("JiaMei", {JIAMEI}),
    ("jiaming", {JIAMING}),
    ("jm", {JIAMEI, JIAMING}),
    ("jmdz", {JIAMEI}),
    ("xinnuo", {XINNUO}),
    ("佳美", {JIAMEI}),  # as before: the name itself
    ("赵敏", {XINNUO}),  # the contact
    ("13812345672", {JIAMING}),  # the phone
    ("zzz", set()),
    ("jm 5号楼", {JIAMING}),
])
@pytest.mark.parametrize("scope", ["park", "every park"])
def test_each_kind_of_word_finds_its_tenants_and_no_others(store, park, search, expected, scope):
    add(store, park.id)
    assert found(store, search, park.id if scope == "park" else None) == expected


def test_a_credit_code_typed_full_width_finds_its_tenant(store, park):
    add(store, park.id)
    code = make_credit_code(2)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code[-6:].lower())
    assert found(store, full_width, park.id) == {JIAMING}


def test_like_wildcards_in_a_word_match_only_themselves(store, park):
    add(store, park.id)
    assert found(store, "%", park.id) == set()
    assert found(store, "3f_301", park.id) == set()  # an underscore is not a dash


def test_the_key_folds_width_case_spaces_and_dashes():
    assert fold("３Ｆ－３０１") == fold("3F-301") == fold("3f 301") == fold("3F—301") == "3f301"
    assert tenant_search_key(JIAMEI, "王建国", "91330482MA2B3C4D5E", "0573-8512 3456", "2号楼", "3F-301") == (
        "平湖市佳美电子有限公司 王建国 91330482ma2b3c4d5e 057385123456 "
        "pinghushijiameidianziyouxiangongsi phsjmdzyxgs 2号楼3f301")
    # ASCII in a name stays whole; ü is typed v; what is missing leaves its part empty.
    assert tenant_search_key("ABC绿色科技", None, None, None, None, None) == "abc绿色科技    abclvsekeji abclskj "


def test_a_phone_with_a_dash_is_found_with_or_without_it(store, park):
    values = tenant_values(1, name=JIAMEI, contact_phone="0573-85123456")
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(values))
    assert found(store, "0573-8512", park.id) == found(store, "05738512", park.id) == {JIAMEI}


def test_an_edit_of_the_name_or_the_room_moves_the_key(store, park):
    ids = add(store, park.id)
    values = tenant_as_input_of(store, ids[JIAMEI]) | {"name": "平湖市华丰电子有限公司", "unit_no": "6F-601"}
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(values), tenant_id=ids[JIAMEI])
    assert found(store, "jiamei", park.id) == set()
    assert found(store, "3f301", park.id) == set()
    assert found(store, "huafeng", park.id) == found(store, "6f601", park.id) == {"平湖市华丰电子有限公司"}


def tenant_as_input_of(store: Store, tenant_id: str) -> dict:
    from inspect_app.services.ledger import get_tenant

    values = tenant_as_input(get_tenant(store, tenant_id))
    return {k: ("、".join(v) if isinstance(v, list) else v) for k, v in values.items()}


def test_tenants_brought_in_by_a_ledger_import_are_found(store, park, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_text("企业名称,统一社会信用代码,楼栋,房号,面积,人数,企业规模,承租用途\n"
                    f"{JIAMEI},{make_credit_code(11)},2号楼,3F-301,300,10,规下,生产\n"
                    f"{XINNUO},{make_credit_code(12)},7号楼,1F-101,300,10,规下,生产\n", encoding="utf-8")
    report = import_ledger(store, path)
    assert report.written and report.created == 2
    assert found(store, "jm", park.id) == found(store, "３ｆ３０１", park.id) == {JIAMEI}
    assert found(store, "xinnuo", park.id) == {XINNUO}


def test_migration_0011_gives_the_tenants_already_stored_their_keys(tmp_path):
    # The tenants are written on today's schema, then copied (the columns both have) into a file
    # as it was before tenant_search existed: the ORM of today cannot write to the old schema.
    today = Store.open(tmp_path / "today.db")
    park_id = add_park(today, "PH-001", n=9)["park"]
    add(today, park_id)
    today.close()
    path = tmp_path / "old.db"
    command.upgrade(migrations.alembic_config(path), "0010_notice_service")
    with sqlite3.connect(path) as old:
        old.execute("ATTACH DATABASE ? AS today", (str(tmp_path / "today.db"),))
        for table in ("park", "tenant"):
            columns = ", ".join(name for (name,) in old.execute(
                f"SELECT name FROM pragma_table_info('{table}') WHERE name IN "
                f"(SELECT name FROM today.pragma_table_info('{table}'))"))
            old.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM today.{table}")

    store = Store.open(path)  # migrates to 0011
    try:
        assert found(store, "jm", park_id) == {JIAMEI, JIAMING}
        assert found(store, "3F-301", park_id) == {JIAMEI}
        with store.read_connection() as conn:
            keys, tenants = conn.execute("SELECT (SELECT count(*) FROM tenant_search), count(*) FROM tenant").fetchone()
        assert keys == tenants == 4  # add_park's tenant too
    finally:
        store.close()


def test_tenants_that_arrive_by_sync_are_found_by_pinyin_and_room(served_hub, devices):
    app, url = served_hub
    a, b = devices.new("a"), devices.new("b")
    park_id = add_park(a, "PH-001", n=9)["park"]
    ids = add(a, park_id)
    token_a = enrol_device(app.state.engine, "a", None)[1]
    sync(a, url, token_a)
    token_b = enrol_device(app.state.engine, "b", None)[1]
    sync(b, url, token_b)  # an empty device: its first sync loads the hub's snapshot
    assert found(b, "jm") == {JIAMEI, JIAMING}
    assert found(b, "3f301", park_id) == {JIAMEI}

    values = tenant_as_input_of(a, ids[JIAMING]) | {"name": "平湖市华丰塑料有限公司", "unit_no": "3F-301"}
    save_tenant(a, park_id=park_id, data=TenantInput.model_validate(values), tenant_id=ids[JIAMING])
    sync(a, url, token_a)
    sync(b, url, token_b)  # later changes: applied one by one (sync/apply.py)
    assert found(b, "jm") == {JIAMEI}
    assert found(b, "3f301", park_id) == {JIAMEI, "平湖市华丰塑料有限公司"}
    assert found(b, "hfsl") == {"平湖市华丰塑料有限公司"}


async def test_the_ledger_search_box_finds_the_room_and_the_pinyin(store, park):
    add(store, park.id)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        ledger = await open_first_park(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"3f-301")
        await settle(app, pilot)
        assert [row.name for row in ledger.rows] == [JIAMEI]
        ledger.query_one("#search", Input).value = ""
        await pilot.press(*"jm")
        await settle(app, pilot)
        assert sorted(row.name for row in ledger.rows) == sorted([JIAMEI, JIAMING])
