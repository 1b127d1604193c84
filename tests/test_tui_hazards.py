"""Hazards, 五落实, re-inspection and the audit trail in the TUI, driven with Pilot at 80×24."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select
from textual.widgets import DataTable, Input, Select

from db.models import AuditEvent, ChangeLog, Hazard, Notice, Park, RectificationItem, Reinspection
from forms.checklist import builtin_templates
from forms.i18n import catalogue
from forms.inspector import InspectorInput
from forms.rectification import HazardInput, RectificationInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.audit import AuditScreen
from inspect_app.screens.hazards import PAGE_SIZE, HazardsScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.services.attachments import files_of
from inspect_app.services.hazards import get_hazard, record_reinspection, save_hazard, save_rectification
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values
from tests.images import PNG
from tests.pilot import settle

SIZE = (80, 24)
FIRE = builtin_templates()["fire_safety"]
FIVE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理疏散通道堆放物",
        "funds_yuan": "0", "funds_reason": "自行整改无需资金", "deadline": "2026-12-20",
        "contingency_plan": "整改期间专人值守，配备灭火器"}


@pytest.fixture
def inspector(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


@pytest.fixture
def tenant(store, park):
    return save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))


def inspect(store, park, tenant, inspector, codes=("B02", "D01"), *, on=TODAY) -> list[str]:
    """A finished fire-safety inspection with the given items failed; returns the hazard ids."""
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id if tenant else None, template=FIRE,
                                     inspector_ids=[inspector.id])
    for result in load_inspection(store, inspection_id).results:
        if result.code in codes:
            record_outcome(store, result.id, "fail", note=f"{result.code} 现场发现：疏散通道堆放纸箱，安全出口被货物部分遮挡")
    pass_remaining(store, inspection_id)
    return finish_inspection(store, inspection_id, today=on)



def count(store, model, *where) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def item_of(store, hazard_id) -> RectificationItem:
    with store.read() as session:
        return session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard_id,
                                                            RectificationItem.status != "superseded")).one()


def error_of(screen, field: str) -> str:
    row = screen.query_one(f"#row-{field}")
    return str(row.query_one(".form-error").render()) if row.has_class("-invalid") else ""


async def open_hazards(app, pilot) -> HazardsScreen:
    await settle(app, pilot)
    await pilot.press("z")
    await settle(app, pilot)
    assert isinstance(app.screen, HazardsScreen)
    return app.screen


def fill(screen, values: dict[str, str]) -> None:
    for name, value in values.items():
        screen.query_one(f"#field-{name}", Input).value = value


# --- 五落实 -----------------------------------------------------------------------------------


async def test_a_bad_phone_is_refused_next_to_the_field_then_the_fix_is_saved_and_audited(
        store, park, tenant, inspector):
    first, _second = inspect(store, park, tenant, inspector)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        hazards = await open_hazards(app, pilot)
        assert {r.id for r in hazards.rows} == {first, _second}
        hazards.query_one("#hazards", DataTable).move_cursor(row=[r.id for r in hazards.rows].index(first))
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, RectificationScreen) and form.hazard_id == first
        assert "尚缺：" in str(form.query_one("#missing").render())

        fill(form, {**FIVE, "responsible_phone": "1381234567"})
        before = count(store, ChangeLog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "手机号码应为 11 位" in error_of(form, "responsible_phone")
        assert app.screen is form
        assert count(store, ChangeLog) == before  # refused: nothing written
        assert item_of(store, first).responsible_person is None
        # Only the phone is wrong, so responsibility is the one part still missing.
        assert str(form.query_one("#missing").render()) == "尚缺：整改责任（责任人及电话）"

        form.query_one("#field-responsible_phone", Input).value = "138 1234 5678"
        await pilot.pause()
        assert str(form.query_one("#missing").render()) == "五落实已齐全，可以出具整改通知书"
        await pilot.press("ctrl+s")  # saved; the form stays (Esc goes back to the list)
        await settle(app, pilot)
        assert app.screen is form
        await pilot.press("escape", "escape")  # out of the field, then back to the list
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)
        # Read again after the save while the form covered it, the list keeps its full widths
        # (it once came back with every column 5 cells wide).
        table = app.screen.query_one("#hazards", DataTable)
        assert max(column.get_render_width(table) for column in table.columns.values()) > 12

    item = item_of(store, first)
    assert (item.responsible_person, item.responsible_phone, item.funds_yuan, item.funds_reason) == (
        "张伟", "13812345678", 0, "自行整改无需资金")
    assert item.deadline.isoformat() == "2026-12-20"
    assert get_hazard(store, first, TODAY).missing == []
    with store.read() as session:
        log = session.exec(select(ChangeLog).where(ChangeLog.row_id == item.id, ChangeLog.op == "update")).one()
        audit = session.exec(select(AuditEvent).where(AuditEvent.row_id == item.id,
                                                      AuditEvent.action == "update")).one()
    assert log.payload["responsible_phone"] == "13812345678" and log.actor_id == inspector.id
    assert audit.before["responsible_person"] is None and audit.after["responsible_person"] == "张伟"
    assert audit.actor_id == inspector.id and audit.origin_device == store.device_id


async def test_zero_funds_without_a_reason_is_refused_next_to_the_reason(store, park, tenant, inspector):
    hazard_id = inspect(store, park, tenant, inspector, codes=("B02",))[0]
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        form = app.screen
        fill(form, {**FIVE, "funds_reason": ""})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "整改资金为 0 时请说明原因" in error_of(form, "funds_reason")
        assert app.screen is form
    assert item_of(store, hazard_id).measures is None


async def test_a_hazard_under_an_issued_notice_refuses_a_new_description(store, park, tenant, inspector):
    hazard_id = inspect(store, park, tenant, inspector, codes=("B02",))[0]
    with store.transaction() as session:
        notice = Notice(number="平经信安整〔2026〕A07-0001号", kind="rectification", park_id=park.id, tenant_id=tenant.id,
                        device_block="A07", year=2026, sequence=1, content_json="{}", content_sha256="0" * 64)
        session.add(notice)
        session.flush()
        session.get(Hazard, hazard_id).notice_id = notice.id
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        form = app.screen
        assert "平经信安整〔2026〕A07-0001号" in str(form.query_one("#hazard-summary").render())
        form.query_one("#field-description", Input).value = "另一种说法"
        before = count(store, ChangeLog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "已写入整改通知书" in error_of(form, "description")
        assert count(store, ChangeLog) == before


async def test_walking_new_hazards_saves_each_and_opens_the_next(store, park, tenant, inspector):
    ids = inspect(store, park, tenant, inspector)
    app = make_app(store, today=TODAY)
    results = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(ids[0], ids), results.append)
        await settle(app, pilot)
        form = app.screen
        # The tenant's contact is offered as the responsible person: the form opens in measures.
        assert form.focused is form.query_one("#field-measures")
        assert form.query_one("#field-responsible_person", Input).value == tenant.contact_name
        assert "1/2" in str(form.query_one("#rectification-title").render())
        fill(form, FIVE)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.screen is form and form.hazard_id == ids[1]
        assert "2/2" in str(form.query_one("#rectification-title").render())
        assert form.query_one("#field-responsible_person", Input).value == "张伟"  # as given on hazard 1
        fill(form, {**FIVE, "responsible_person": "王强"})
        await pilot.press("ctrl+n")  # the last one: saved, and the walk goes on to the notice
        await settle(app, pilot)
        assert app.screen is not form
        assert isinstance(app.screen, IssueNoticeScreen) and app.screen.hazard_ids == ids
    assert results == [ids[1]]
    assert [item_of(store, i).responsible_person for i in ids] == ["张伟", "王强"]


async def test_mark_pending_review_from_the_summary(store, park, tenant, inspector):
    hazard_id = inspect(store, park, tenant, inspector, codes=("B02",))[0]
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        form = app.screen
        # Something to fill in: the form opens in the first empty field of the five (the
        # responsible person is the tenant's contact, offered).
        assert form.focused is form.query_one("#field-measures")
        await pilot.press("escape", "tab")  # into the form: the first field, no stop on the scrolling container
        assert form.focused is form.query_one("#field-location")
        await pilot.press("end", "d")  # typed into the field, not an action
        assert form.query_one("#field-location", Input).value.endswith("d")
        await pilot.press("escape")  # out of the field: the letters act again
        assert form.focused is form.query_one("#hazard-summary") and form.changed
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is form  # unsaved change: save first
        form.query_one("#field-location", Input).value = form.initial["location"]
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, RectificationScreen)
        assert "待复查" in str(app.screen.query_one("#hazard-summary").render())
    assert item_of(store, hazard_id).status == "pending_review"


# --- 复查 -------------------------------------------------------------------------------------


async def test_reinspection_closes_one_hazard_and_reschedules_the_other(store, park, tenant, inspector):
    rectified, not_rectified = inspect(store, park, tenant, inspector)
    later = TODAY + timedelta(days=20)
    app = make_app(store, today=later)
    async with app.run_test(size=SIZE) as pilot:
        hazards = await open_hazards(app, pilot)
        hazards.query_one("#hazards", DataTable).move_cursor(row=[r.id for r in hazards.rows].index(rectified))
        await pilot.press("r")  # straight from the list
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ReinspectionScreen)
        assert dialog.query_one("#reinspection-inspected_on", Input).value == later.isoformat()
        dialog.query_one("#reinspection-evidence_note", Input).value = "通道已清理"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is hazards
        assert rectified not in {r.id for r in hazards.rows}  # closed: out of the not-closed view

        hazards.query_one("#hazards", DataTable).move_cursor(row=[r.id for r in hazards.rows].index(not_rectified))
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, RectificationScreen)
        await pilot.press("escape", "r")  # it opened in its first empty field: Esc, then R acts
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#reinspection-outcome", Select).value = "not_rectified"
        await pilot.press("ctrl+s")  # no new deadline: refused
        await pilot.pause()
        assert "新整改期限" in error_of(dialog, "new_deadline")
        assert count(store, Reinspection) == 1
        dialog.query_one("#reinspection-new_deadline", Input).value = "2027-01-15"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert "2027-01-15" in str(form.query_one("#hazard-summary").render())

    with store.read() as session:
        closed = session.get(Hazard, rectified)
        outcomes = {r.outcome: r for r in session.exec(select(Reinspection))}
    assert closed.status == "closed" and item_of(store, rectified) is not None
    assert outcomes["rectified"].evidence_note == "通道已清理" and outcomes["rectified"].inspected_on == later
    assert outcomes["rectified"].inspector_ids == [inspector.id]
    assert outcomes["not_rectified"].new_deadline.isoformat() == "2027-01-15"
    kept = item_of(store, not_rectified)
    assert (kept.status, kept.deadline.isoformat()) == ("open", "2027-01-15")
    assert get_hazard(store, rectified, later).status == "closed"


async def test_a_bad_photo_path_leaves_the_reinspection_recorded_and_can_be_corrected(
        store, park, tenant, inspector, tmp_path):
    hazard_id = inspect(store, park, tenant, inspector, codes=("B02",))[0]
    photo = tmp_path / "IMG_0012.png"
    photo.write_bytes(PNG)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(ReinspectionScreen(hazard_id))
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#reinspection-photo", Input).value = str(tmp_path / "missing.png")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "找不到文件" in error_of(dialog, "photo")
        assert app.screen is dialog and count(store, Reinspection) == 1
        dialog.query_one("#reinspection-photo", Input).value = str(photo)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not dialog
    assert count(store, Reinspection) == 1  # the retry attached the photo, it did not record twice
    with store.read() as session:
        reinspection = session.exec(select(Reinspection)).one()
    assert [f.original_name for f in files_of(store, "reinspection", reinspection.id)] == ["IMG_0012.png"]


# --- the hazards view -------------------------------------------------------------------------


@pytest.fixture
def second_park(store):
    with store.transaction() as session:
        park = Park(code="PH-002", name="新埭镇小微企业园", district="平湖市", street="新埭镇",
                    function_type="manufacturing", developer_type="government", land_area_mu=60,
                    floor_area_m2=40000)
        session.add(park)
    return park


async def test_the_hazards_view_filters_by_status_severity_and_park_and_jumps_to_the_tenant(
        store, park, second_park, tenant, inspector):
    old = TODAY - timedelta(days=60)  # deadlines long past: overdue
    overdue = inspect(store, park, tenant, inspector, codes=("B02", "A01"), on=old)
    exit_blocked = get_hazard(store, overdue[0], TODAY)
    save_hazard(store, exit_blocked.id, HazardInput(location=exit_blocked.location,
                                                    description=exit_blocked.description, severity="重大"))
    recent = inspect(store, park, tenant, inspector, codes=("D01",))
    other_tenant = save_tenant(store, park_id=second_park.id, data=TenantInput.model_validate(tenant_values(2)))
    elsewhere = inspect(store, second_park, other_tenant, inspector, codes=("B03",))
    record_reinspection(store, recent[0], outcome="rectified", on=TODAY, evidence_note=None, new_deadline=None,
                        inspector_ids=[inspector.id])
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        hazards = await open_hazards(app, pilot)
        assert {r.id for r in hazards.rows} == {*overdue, *elsewhere}  # closed ones are left out at first
        assert [r.deadline for r in hazards.rows] == sorted(r.deadline for r in hazards.rows)
        table = hazards.query_one("#hazards", DataTable)
        assert str(table.get_row_at(0)[1]) == "逾期"

        hazards.query_one("#status-filter", Select).value = "overdue"
        await settle(app, pilot)
        assert {r.id for r in hazards.rows} == set(overdue) and {r.status for r in hazards.rows} == {"overdue"}

        hazards.query_one("#severity-filter", Select).value = "major"
        await settle(app, pilot)
        assert [r.id for r in hazards.rows] == [exit_blocked.id]

        hazards.query_one("#severity-filter", Select).value = Select.NULL
        hazards.query_one("#status-filter", Select).value = "closed"
        await settle(app, pilot)
        assert [r.id for r in hazards.rows] == recent

        hazards.query_one("#status-filter", Select).value = Select.NULL
        hazards.query_one("#park-filter", Select).value = second_park.id
        await settle(app, pilot)
        assert [r.id for r in hazards.rows] == elsewhere
        assert "PH-002" in str(hazards.query_one("#hazards-title").render())
        assert "park" not in [str(k.value) for k in table.columns]  # one park: no park column

        await pilot.press("t")
        await settle(app, pilot)
        ledger = app.screen
        assert isinstance(ledger, LedgerScreen) and ledger.park_id == second_park.id
        assert ledger.query_one("#search", Input).value == other_tenant.name
        assert [r.id for r in ledger.rows] == [other_tenant.id]


async def test_the_ledger_opens_the_hazards_of_its_park(store, park, second_park, tenant, inspector):
    mine = inspect(store, park, tenant, inspector, codes=("B02",))
    other_tenant = save_tenant(store, park_id=second_park.id, data=TenantInput.model_validate(tenant_values(2)))
    inspect(store, second_park, other_tenant, inspector, codes=("B03",))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # PH-001's ledger
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        hazards = app.screen
        assert isinstance(hazards, HazardsScreen)
        assert [r.id for r in hazards.rows] == mine
        assert hazards.query_one("#park-filter", Select).value == park.id
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)


async def test_common_area_hazards_have_no_tenant_to_jump_to(store, park, inspector):
    inspect(store, park, None, inspector, codes=("C01",))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        hazards = await open_hazards(app, pilot)
        assert str(hazards.query_one("#hazards", DataTable).get_row_at(0)[4]) == "公共区域"
        await pilot.press("t")
        await settle(app, pilot)
        assert app.screen is hazards


# --- the audit trail --------------------------------------------------------------------------


async def test_the_history_shows_who_changed_what_before_and_after(store, park, tenant, inspector):
    hazard_id = inspect(store, park, tenant, inspector, codes=("B02",))[0]
    old_deadline = item_of(store, hazard_id).deadline
    save_rectification(store, hazard_id, RectificationInput.model_validate(FIVE), today=TODAY)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        audit = app.screen
        assert isinstance(audit, AuditScreen)
        changes = {(line.field, audit._change(line)) for line in audit.lines}
        assert ("responsible_person", "（空） → 张伟") in changes
        assert ("deadline", f"{old_deadline.isoformat()} → 2026-12-20") in changes
        table = audit.query_one("#audit", DataTable)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[1] == "李明" and first[2] == store.device_id[:4] and first[3] == "整改项 修改"
        detail = str(audit.query_one("#audit-detail").render())
        assert store.device_id in detail and "李明" in detail
        # the creation of the hazard is there too, at the end (oldest last)
        assert any(line.entry.table_name == "hazard" and line.entry.action == "insert" for line in audit.lines)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, RectificationScreen)


# --- English ----------------------------------------------------------------------------------


async def test_the_hazard_screens_speak_english(store, park, tenant, inspector):
    hazard_id = inspect(store, park, tenant, inspector, codes=("B02",), on=TODAY - timedelta(days=60))[0]
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        hazards = await open_hazards(app, pilot)
        table = hazards.query_one("#hazards", DataTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "Deadline", "Status", "Sev.", "Park", "Tenant", "Notice", "Hazard"]
        assert str(table.get_row_at(0)[1]) == "Overdue"
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert form.hazard_id == hazard_id
        labels = [str(label.render()) for label in form.query(".form-label")]
        assert "Responsible person *" in labels and "Contingency plan *" in labels
        # The tenant's contact is offered as the responsible person: measures come first.
        assert str(form.query_one("#missing").render()).startswith("Still missing: measures")
        await pilot.press("escape", "r")  # out of the first empty field, where it opened: R acts
        await settle(app, pilot)
        assert "Re-inspection" in str(app.screen.query_one("#reinspection-title").render())


async def test_the_hazards_view_loads_a_page_at_a_time_and_survives_a_resize(store, park, tenant, inspector):
    every_item = tuple(FIRE.codes())
    for _ in range(4):  # 4 × 31 failures: more than a page
        inspect(store, park, tenant, inspector, codes=every_item)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        hazards = await open_hazards(app, pilot)
        table = hazards.query_one("#hazards", DataTable)
        assert table.row_count == PAGE_SIZE and hazards.total.count == 4 * len(every_item)
        for _ in range(8):
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert table.row_count == hazards.total.count
        assert len({r.id for r in hazards.rows}) == hazards.total.count
        await pilot.resize_terminal(120, 30)
        await settle(app, pilot)
        assert table.row_count == hazards.total.count
        wide = max(len(str(table.get_row_at(i)[-1])) for i in range(table.row_count))
        await pilot.resize_terminal(*SIZE)
        await settle(app, pilot)
        assert max(len(str(table.get_row_at(i)[-1])) for i in range(table.row_count)) < wide


async def test_the_park_list_and_the_ledger_offer_the_hazards_view_in_the_palette(store, park, inspector):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "隐患" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert "隐患" in [c.title for c in app.get_system_commands(app.screen)]


SCREENS = ("hazards", "rectification", "reinspection", "audit")


@pytest.mark.parametrize("module", SCREENS)
def test_every_catalogue_key_the_hazard_screens_name_exists(module):
    source = (Path(__file__).parent.parent / "inspect_app" / "screens" / f"{module}.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'"(tui\.[a-z_.]+[a-z_])"', source))
    assert keys
    assert sorted(k for k in keys if k not in catalogue("zh_CN")) == []
