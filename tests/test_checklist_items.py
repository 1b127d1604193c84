"""Check results name their checklist item (checklist_item, db/checklist_items.py) instead of copying it.

What must hold: a past inspection shows and prints the words it was started with after its template
changed; two devices that start the same template offline end with one item row and no refusal
(a real hub on loopback, SQLite and PostgreSQL); a first sync (snapshot) brings the items; a
result from a device not yet upgraded (its own copy, no reference) reads the same; migration 0019
moves every copy into items without losing a word.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func
from sqlmodel import select

import forms
from db import migrations
from db.checklist_items import item_id, items_of
from db.models import ChecklistItem, CheckResult, RejectedChange
from db.store import Store
from forms.checklist import builtin_templates, parse_template
from inspect_app.hub.storage import change as hub_log
from inspect_app.hub.storage import enrol_device
from inspect_app.hub.storage import row_state as hub_rows
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.maintenance import check_database
from inspect_app.services.notices import issue_inspection_record
from inspect_app.sync.client import sync_once
from inspect_app.sync.protocol import value_problem
from tests.conftest import TODAY
from tests.sync_helpers import sync
from tests.test_hub import add_inspector, add_park
from tests.test_hub_validation import county, full_row  # noqa: F401 - fixture
from tests.test_notices import AGENCY, NOW, inspector, keys  # noqa: F401 - fixtures

FIRE = builtin_templates()["fire_safety"]
NEW_WORDING = "安全出口（新版表述）不少于两个"


def edited_fire_template():
    """The fire template with one item's text rewritten, id and version unchanged (an office that
    edited its file in place instead of copying it to a new version)."""
    source = (Path(forms.__file__).parent / "templates" / "fire_safety.toml").read_bytes()
    old = FIRE.item("B01").text("zh_CN").encode()
    assert source.count(old) == 1
    return source.replace(old, NEW_WORDING.encode())


def items(store: Store) -> list[ChecklistItem]:
    with store.read() as session:
        return list(session.exec(select(ChecklistItem).order_by(ChecklistItem.id)))


def test_an_old_inspection_shows_and_prints_its_items_as_they_were_after_the_template_changed(
        store, park, inspector, keys, tmp_path, monkeypatch):  # noqa: F811 - fixtures
    tenant_id = _tenant(store, park.id)
    first = start_inspection(store, park_id=park.id, tenant_id=tenant_id, template=FIRE, inspector_ids=[inspector.id])
    results = {r.code: r.id for r in load_inspection(store, first).results}
    record_outcome(store, results["B01"], "fail", note=None)
    pass_remaining(store, first)
    finish_inspection(store, first, today=TODAY)
    old_text = FIRE.item("B01").text("zh_CN")

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "fire_safety.toml").write_bytes(edited_fire_template())
    monkeypatch.setenv("PARKINSPECT_TEMPLATES_DIR", str(folder))  # the office's file replaces the built-in one
    edited = parse_template(edited_fire_template())
    assert edited.version == FIRE.version and edited.item("B01").text("zh_CN") == NEW_WORDING

    shown = {r.code: r for r in load_inspection(store, first).results}
    assert shown["B01"].text == old_text and shown["B01"].category == FIRE.item("B01").category("zh_CN")
    record = issue_inspection_record(store, inspection_id=first, agency=AGENCY, keys_dir=tmp_path / "keys", now=NOW)
    printed = {r["code"]: r["text"] for r in record.content["results"]}
    assert printed["B01"] == old_text and len(printed) == len(FIRE.items)

    second = start_inspection(store, park_id=park.id, tenant_id=tenant_id, template=edited, inspector_ids=[inspector.id])
    assert {r.code: r.text for r in load_inspection(store, second).results}["B01"] == NEW_WORDING
    assert {r.code: r.text for r in load_inspection(store, first).results}["B01"] == old_text
    # One row per distinct item: the edited item is a second row, the other 30 are shared.
    assert len(items(store)) == len(FIRE.items) + 1
    with store.read() as session:
        copies = session.exec(select(CheckResult).where(CheckResult.item_text.is_not(None))).all()
    assert copies == []  # nothing copied into the results any more


def _tenant(store: Store, park_id: str) -> str:
    from forms.tenant import TenantInput
    from inspect_app.services.ledger import save_tenant
    from tests.conftest import tenant_values
    return save_tenant(store, park_id=park_id, data=TenantInput.model_validate(tenant_values())).id


def test_two_devices_start_the_same_template_offline_and_a_first_sync_gets_the_items(loopback_hub, devices):
    hub = loopback_hub
    a, b, c = devices.new("a"), devices.new("b"), devices.new("c")
    ids = add_park(a, "PH-001")
    ta = enrol_device(hub.state.engine, "a")[1]
    tb = enrol_device(hub.state.engine, "b")[1]
    inspector_a, inspector_b = add_inspector(a, "张三"), add_inspector(b, "李四")
    sync(a, hub.state.base, ta)
    sync(b, hub.state.base, tb, use_snapshot=False)

    # Offline, both start the fire checklist on the same tenant: each writes the same 31 item rows.
    made = {name: start_inspection(store, park_id=ids["park"], tenant_id=ids["tenant"], template=FIRE,
                                   inspector_ids=[who])
            for name, store, who in (("a", a, inspector_a), ("b", b, inspector_b))}
    assert [i.id for i in items(a)] == [i.id for i in items(b)]
    sync(a, hub.state.base, ta)
    sync(b, hub.state.base, tb)
    sync(a, hub.state.base, ta)

    for store in (a, b):
        with store.read() as session:
            assert session.exec(select(RejectedChange)).all() == []  # no refusal on either side
        assert len(items(store)) == len(FIRE.items)
    with hub.state.engine.connect() as conn:
        # Through the hub's tables (on PostgreSQL a table name is stored as a code: hub/compact_ids.py).
        held = conn.execute(select(func.count()).select_from(hub_rows)
                            .where(hub_rows.c.table_name == "checklist_item")).scalar()
        logged = conn.execute(select(func.count()).select_from(hub_log)
                              .where(hub_log.c.table_name == "checklist_item")).scalar()
    assert held == logged == len(FIRE.items)  # b's identical inserts were taken as done, not logged again

    tc = enrol_device(hub.state.engine, "c", [ids["park"]])[1]  # limited to the park: items are shared rows
    sync(c, hub.state.base, tc)  # a first sync: from the hub's merged rows
    assert [i.id for i in items(c)] == [i.id for i in items(a)]
    expected = [item.text("zh_CN") for item in FIRE.items]
    for store in (a, b, c):
        for inspection_id in made.values():
            assert [r.text for r in load_inspection(store, inspection_id).results] == expected


def test_a_result_from_a_device_not_yet_upgraded_carries_its_copy_and_reads_the_same(served_hub, devices):
    app, base = served_hub
    a, b = devices.new("a"), devices.new("b")
    ids = add_park(a, "PH-001")
    with a.transaction() as session:  # as the app wrote results before 0019: the copy, no reference
        session.add(CheckResult(inspection_id=ids["inspection"], item_code="B01", position=4, category="疏散",
                                item_text="安全出口数量足够（旧版）", default_severity="general", major_possible=True))
    with a.connect() as conn:  # and an older device's change has no key for the reference at all
        conn.execute("UPDATE change_log SET payload = json_remove(payload, '$.checklist_item_id') "
                     "WHERE table_name = 'check_result'")
    sync(a, base, enrol_device(app.state.engine, "a")[1])
    sync(b, base, enrol_device(app.state.engine, "b")[1], use_snapshot=False)
    with b.read() as session:
        assert session.exec(select(RejectedChange)).all() == []
    shown = {r.code: r for r in load_inspection(b, ids["inspection"]).results}
    assert shown["B01"].text == "安全出口数量足够（旧版）" and shown["B01"].major_possible is True


def test_an_item_whose_id_is_not_its_content_is_refused_by_both_ends():
    values = {"template_id": "fire_safety", "template_version": "2026.1", "item_code": "B01", "category": "疏散",
              "item_text": "安全出口数量足够", "default_severity": "general", "major_possible": False}
    right = item_id(*values.values())
    stamps = {"hlc": "1764150000000.00001.aa", "origin_device": "aa", "deleted": False,
              "created_at": "2026-11-26T00:00:00+00:00", "updated_at": "2026-11-26T00:00:00+00:00"}
    assert value_problem("checklist_item", "insert", right, {"id": right, **stamps, **values}) is None
    forged = {"id": right, **stamps, **values, "item_text": "其他文字"}
    problem = value_problem("checklist_item", "insert", right, forged)
    assert problem is not None and problem.code == "bad_row"
    assert value_problem("checklist_item", "update", right, {"item_text": "x", "hlc": stamps["hlc"]}) is None
    # (an update is refused as append_only by the hub and set aside by a device: tests/test_hub_validation.py)


def test_the_migration_moves_every_copy_into_items_and_keeps_every_text(tmp_path, migrated_file):
    path = tmp_path / "device.db"
    path.write_bytes(migrated_file.read_bytes())
    store = Store.open(path)
    ids = add_park(store, "PH-001")
    who = add_inspector(store, "张三")
    ledger = builtin_templates()["ledger_verification"]
    started = [start_inspection(store, park_id=ids["park"], tenant_id=ids["tenant"], template=template,
                                inspector_ids=[who]) for template in (FIRE, ledger, FIRE)]
    store.close()
    config = migrations.alembic_config(path)
    command.downgrade(config, "0018_tenant_flags")  # every result gets its copy back, as before 0019
    with sqlite3.connect(path) as conn:
        # A result started from an older wording of the same item (another office's file).
        conn.execute("UPDATE check_result SET item_text = '旧版：安全出口数量足够' WHERE inspection_id = ? "
                     "AND item_code = 'B01'", (started[2],))
        before = dict(((row[0]), row[1:]) for row in conn.execute(
            "SELECT id, category, item_text, default_severity, major_possible FROM check_result"))
        assert conn.execute("SELECT count(*) FROM check_result WHERE item_text IS NULL").fetchone()[0] == 0
    command.upgrade(config, "head")

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM check_result WHERE item_text IS NOT NULL "
                            "OR checklist_item_id IS NULL").fetchone()[0] == 0
        queued = conn.execute("SELECT count(*) FROM change_log WHERE table_name = 'checklist_item' "
                              "AND op = 'insert'").fetchone()[0]
    store = Store.open(path)
    try:
        with store.read() as session:
            results = session.exec(select(CheckResult)).all()
            now = {r.id: (v.category, v.text, v.default_severity, v.major_possible)
                   for r, v in ((r, items_of(session, [r])[r.id]) for r in results)}
        assert now == {key: (c, t, s, bool(m)) for key, (c, t, s, m) in before.items()}
        # The items of both templates once, the older wording as an item of its own, and add_park's
        # result (template version "1", with its own copy) one more.
        assert len(items(store)) == len(FIRE.items) + len(ledger.items) + 2 == queued
        assert {r.code: r.text for r in load_inspection(store, started[2]).results}["B01"] == "旧版：安全出口数量足够"
    finally:
        store.close()
    assert check_database(path)["ok"]  # the kept tables (hazard_key, report_fact) and the items too


def test_check_names_an_item_whose_words_are_not_its_id_and_a_result_naming_none(store, park, inspector):  # noqa: F811 - fixtures
    tenant_id = _tenant(store, park.id)
    started = start_inspection(store, park_id=park.id, tenant_id=tenant_id, template=FIRE,
                               inspector_ids=[inspector.id])
    path = store.path  # checked through a read-only connection of its own
    assert check_database(path)["ok"]
    with sqlite3.connect(path) as conn:  # as only a hand edit or a bug could
        conn.execute("UPDATE checklist_item SET item_text = '别的文字' WHERE item_code = 'B01'")
        conn.execute("UPDATE check_result SET checklist_item_id = NULL WHERE inspection_id = ? AND item_code = 'C01'",
                     (started,))
    assert check_database(path)["problems"] == [
        f"检查项目（模板 fire_safety 版本 {FIRE.version} 项目 B01）的内容与其编号不符：引用它的检查结果会显示别的文字",
        "1 条检查结果既无检查项目的文字，也未引用检查项目"]


@pytest.mark.parametrize("name", ["checklist_item"])
def test_checklist_items_are_shared_append_only_and_content_addressed(name):
    from db.models import APPEND_ONLY_TABLES
    from inspect_app.sync.protocol import CONTENT_ADDRESSED, RULES, SHARED_TABLES
    assert name in APPEND_ONLY_TABLES and name in SHARED_TABLES and name in CONTENT_ADDRESSED
    assert RULES[name].park == "shared"
    assert RULES["check_result"].park == "parent" and RULES["check_result"].parent_table == "inspection"


def test_a_device_upgraded_after_it_pulled_items_it_did_not_know_takes_them_at_its_next_sync(
        served_hub, devices, monkeypatch):
    from inspect_app.sync import apply as apply_module
    from inspect_app.sync.apply import set_aside_count
    from inspect_app.sync.retry import RETRIED_AT

    app, base = served_hub
    a, b = devices.new("a"), devices.new("b")
    ids = add_park(a, "PH-001")
    who = add_inspector(a, "张三")
    ta, tb = enrol_device(app.state.engine, "a")[1], enrol_device(app.state.engine, "b")[1]
    sync_once(a, base, ta)
    sync_once(b, base, tb)
    started = start_inspection(a, park_id=ids["park"], tenant_id=ids["tenant"], template=FIRE, inspector_ids=[who])
    record_outcome(a, {r.code: r.id for r in load_inspection(a, started).results}["B01"], "fail", note="锁闭")
    sync_once(a, base, ta)

    def as_before_0019(change):  # b's schema without checklist_item: what an older device refuses
        payload = change.get("payload") or {}
        if change.get("table") == "checklist_item":
            return "unknown_table: 'checklist_item' is not a synced table"
        if change.get("table") == "check_result" and "checklist_item_id" in payload:
            return "unknown_field: not columns of check_result: checklist_item_id"
        return real(change)

    real = apply_module.format_problem
    monkeypatch.setattr(apply_module, "format_problem", as_before_0019)
    sync_once(b, base, tb)
    assert set_aside_count(b) == 2 * len(FIRE.items)  # the items and the results; the outcome waits
    assert load_inspection(b, started).results == []
    monkeypatch.setattr(apply_module, "format_problem", real)
    with b.connect() as conn:  # the retry last ran at b's older revision
        conn.execute("UPDATE local_setting SET value = '0018_tenant_flags' WHERE key = ?", (RETRIED_AT,))

    summary = sync_once(b, base, tb)  # upgraded: the set-aside changes are taken again, once
    assert summary.set_aside_total == 0 and summary.applied >= 2 * len(FIRE.items) + 1
    shown = {r.code: r for r in load_inspection(b, started).results}
    assert [r.text for r in load_inspection(b, started).results] == [item.text("zh_CN") for item in FIRE.items]
    assert shown["B01"].outcome == "fail" and shown["B01"].note == "锁闭"
    assert check_database(b.path)["problems"] == []


def test_the_hub_checks_a_hostile_devices_items_and_takes_an_identical_one_as_done(county):  # noqa: F811
    from tests.test_hub_validation import hub_state

    office, crafter, engine, one = county["office"], county["crafter"], county["engine"], county["one"]
    started = start_inspection(office, park_id=one["park"], tenant_id=one["tenant"], template=FIRE,
                               inspector_ids=[county["inspector"]])
    assert sync_once(office, county["base"], county["office_token"]).rejected == 0
    held = next(item for item in items(office) if item.item_code == "B01")
    payload = {**full_row(office, ChecklistItem, held.id), "hlc": crafter.store.clock.tick(),
               "origin_device": crafter.store.device_id}

    before = hub_state(engine, "checklist_item", held.id)
    crafter.accepted("checklist_item", held.id, "insert", payload)  # the same item started offline
    assert hub_state(engine, "checklist_item", held.id) == before  # neither logged nor merged again

    forged = {**payload, "item_text": "安全出口可以锁闭"}
    assert crafter.refused("checklist_item", held.id, "insert", forged, engine) == "bad_row"
    other = item_id(FIRE.id, FIRE.version, "B01", held.category, "安全出口可以锁闭", held.default_severity,
                    held.major_possible)
    assert crafter.refused("checklist_item", held.id, "update", {"item_text": "安全出口可以锁闭"},
                           engine) == "append_only"
    result = next(r for r in load_inspection(office, started).results if r.code == "B01")
    assert crafter.refused("check_result", result.id, "update", {"checklist_item_id": other},
                           engine) == "unknown_parent"  # names no item the hub holds
    crafter.accepted("checklist_item", other, "insert", {**forged, "id": other})  # its id is its content
    assert [r.text for r in load_inspection(office, started).results] == [i.text("zh_CN") for i in FIRE.items]
