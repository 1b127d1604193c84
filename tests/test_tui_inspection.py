"""The inspection flow in the TUI, driven with Pilot at 80×24 as an inspector would on site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select
from textual.widgets import DataTable, Input, SelectionList

from db.attachment_files import attachments_dir
from db.models import (
    Attachment,
    AttachmentLink,
    AuditEvent,
    ChangeLog,
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    RectificationItem,
)
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.inspection_summary import InspectionSummaryScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.screens.start_inspection import StartInspectionScreen
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values
from tests.images import PNG
from tests.pilot import settle

SIZE = (80, 24)
FIRE = builtin_templates()["fire_safety"]
CODES = list(FIRE.codes())


@pytest.fixture
def me(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


@pytest.fixture
def colleague(store):
    with store.transaction() as session:
        inspector = Inspector(name="王芳", id_number="33048220200187", agency="平湖市经济和信息化局")
        session.add(inspector)
    return inspector


@pytest.fixture
def tenant(store, park):
    # As the demo writes them: a manufacturer with dust and hot work among its risk points.
    return save_tenant(store, park_id=park.id, data=TenantInput.model_validate(
        tenant_values(1, name="平湖市新埭精工五金制品有限公司", risk_points="粉尘、动火作业、电气线路老化")))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "B02 通道堆放.png"
    path.write_bytes(PNG)
    return path



def count(store, model, *where) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


async def open_ledger(app, pilot) -> LedgerScreen:
    await settle(app, pilot)
    assert isinstance(app.screen, ParkListScreen)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, LedgerScreen)
    return app.screen


async def start_from_ledger(app, pilot) -> InspectionScreen:
    await open_ledger(app, pilot)
    await pilot.press("i")
    await settle(app, pilot)
    if isinstance(app.screen, StartInspectionScreen):
        await pilot.press("enter")
        await settle(app, pilot)
    assert isinstance(app.screen, InspectionScreen)
    return app.screen


def cursor(screen: InspectionScreen) -> int:
    return screen.query_one("#items", DataTable).cursor_row


def status_text(screen: InspectionScreen) -> str:
    return str(screen.query_one("#inspection-status").render())


async def type_into_editor(screen: InspectionScreen, pilot, text: str) -> None:
    editor = screen.query_one("#editor-input", Input)
    assert screen.focused is editor
    editor.value = text
    await pilot.press("enter")
    await pilot.pause()


async def paste_into_picker(app, pilot, text: str) -> None:
    """`a` opened the photo picker: paste a path into its box and press Enter."""
    from inspect_app.screens.photo_picker import PhotoPickerScreen

    picker = app.screen
    assert isinstance(picker, PhotoPickerScreen)
    box = picker.query_one("#picker-path", Input)
    box.focus()
    box.value = text
    await pilot.press("enter")
    await settle(app, pilot)


async def test_a_whole_inspection_with_two_failures_a_photo_and_the_rest_passed(store, park, tenant, me, colleague,
                                                                               photo):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        start = app.screen
        assert isinstance(start, StartInspectionScreen)
        assert "平湖市新埭精工五金制品有限公司" in str(start.query_one("#start-subject").render())
        inspectors = start.query_one("#start-inspectors", SelectionList)
        assert inspectors.selected == [me.id]  # this device's inspector is preselected
        assert start.focused is inspectors and inspectors.highlighted == 1  # ... the cursor on the colleague
        await pilot.press("space", "enter")
        await settle(app, pilot)
        walk = app.screen
        assert isinstance(walk, InspectionScreen)
        assert cursor(walk) == 0

        for _ in range(CODES.index("B02")):
            await pilot.press("p")
        assert cursor(walk) == CODES.index("B02")
        await pilot.press("f")  # a failure asks what was wrong
        await pilot.pause()
        await type_into_editor(walk, pilot, "二楼疏散通道堆放纸箱")
        assert cursor(walk) == CODES.index("B03")
        await pilot.press("up", "a")
        await settle(app, pilot)
        await paste_into_picker(app, pilot, str(photo))  # a pasted path is attached as it is
        assert app.screen is walk
        assert "照片 1 张" in str(walk.query_one("#detail").render())

        for _ in range(CODES.index("D01") - CODES.index("B02")):
            await pilot.press("down")
        await pilot.press("f")
        await pilot.pause()
        await type_into_editor(walk, pilot, "仓库电线私拉乱接")
        await pilot.press("up", "a")  # the same photo again: stored once, linked twice
        await settle(app, pilot)
        await paste_into_picker(app, pilot, str(photo))
        assert app.screen is walk
        assert "已查 8/31 · 不合格 2" in str(walk.query_one("#inspection-progress").render())

        await pilot.press("P")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert "已查 31/31" in str(walk.query_one("#inspection-progress").render())
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        summary = app.screen
        assert isinstance(summary, InspectionSummaryScreen)
        assert (summary.summary.passed, summary.summary.failed, summary.summary.not_applicable) == (29, 2, 0)
        assert [h.code for h in summary.summary.hazards] == ["B02", "D01"]
        await pilot.press("escape")
        await settle(app, pilot)
        ledger = app.screen
        assert isinstance(ledger, LedgerScreen)
        assert ledger.rows[0].open_hazards == 2

    with store.read() as session:
        inspection = session.exec(select(Inspection)).one()
        assert inspection.status == "finished" and inspection.finished_at is not None
        assert inspection.inspector_ids == [me.id, colleague.id]
        assert (inspection.template_id, inspection.template_version) == (FIRE.id, FIRE.version)
        results = {r.item_code: r for r in session.exec(select(CheckResult))}
        assert len(results) == len(CODES)
        assert sorted(code for code, r in results.items() if r.outcome == "fail") == ["B02", "D01"]
        assert all(r.outcome == "pass" for code, r in results.items() if code not in ("B02", "D01"))
        assert results["B02"].note == "二楼疏散通道堆放纸箱"
        hazards = {h.item_code: h for h in session.exec(select(Hazard))}
        assert sorted(hazards) == ["B02", "D01"]
        assert hazards["B02"].description == "二楼疏散通道堆放纸箱"  # the note is the finding
        assert hazards["B02"].tenant_id == tenant.id and hazards["B02"].found_on == TODAY
        for code, hazard in hazards.items():
            assert hazard.check_result_id == results[code].id
            assert hazard.severity == FIRE.item(code).default_severity
            item = session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard.id)).one()
            assert item.deadline == TODAY + timedelta(days=FIRE.item(code).deadline_days())
        links = session.exec(select(AttachmentLink)).all()
        assert sorted(link.owner_id for link in links) == sorted([results["B02"].id, results["D01"].id])
        assert {link.owner_table for link in links} == {"check_result"}
        stored = session.exec(select(Attachment)).one()
        events = session.exec(select(AuditEvent)).all()
    assert len(list(attachments_dir(store).rglob(f"{stored.sha256}*"))) == 1
    assert stored.original_name == photo.name
    audited = {(e.table_name, e.action) for e in events}
    assert {("inspection", "insert"), ("inspection", "update"), ("check_result", "update"), ("hazard", "insert"),
            ("rectification_item", "insert")} <= audited
    assert {e.actor_id for e in events if e.table_name in ("inspection", "check_result", "hazard")} == {me.id}


async def test_an_inspection_left_half_done_resumes_after_closing_the_app(store, park, tenant, me):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        walk = await start_from_ledger(app, pilot)
        await pilot.press("p", "n", "p")
        await pilot.pause()
        assert cursor(walk) == 3
        await pilot.press("escape")  # leaves; the inspection stays open
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
    assert count(store, Inspection, Inspection.status == "in_progress") == 1

    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        walk = app.screen
        assert isinstance(walk, InspectionScreen)  # no start dialog: straight back into it
        assert cursor(walk) == 3  # at item 4, the first unanswered one
        assert [r.outcome for r in walk.results[:4]] == ["pass", "na", "pass", None]
        await pilot.press("p")
        await pilot.pause()
    assert count(store, Inspection) == 1
    assert count(store, CheckResult, CheckResult.outcome.is_not(None)) == 4


async def test_finishing_with_unanswered_items_is_refused_and_writes_nothing(store, park, tenant, me):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        walk = await start_from_ledger(app, pilot)
        await pilot.press("p", "p")
        await pilot.press("down", "down")
        await pilot.pause()
        before = count(store, ChangeLog)
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert isinstance(app.screen, InspectionScreen)
        assert "还有 29 项未检查（从 A03 开始），不能结束检查" in status_text(walk)
        assert cursor(walk) == 2  # taken to the first unanswered item
        assert count(store, ChangeLog) == before
    assert count(store, Inspection, Inspection.status == "in_progress") == 1
    assert count(store, Hazard) == 0


async def test_the_inspection_screens_speak_english(store, park, tenant, me):
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        start = app.screen
        assert isinstance(start, StartInspectionScreen)
        assert "Inspecting: 平湖市新埭精工五金制品有限公司" in str(start.query_one("#start-subject").render())
        assert "Fire-safety inspection" in str(start.query_one("#start-template").render_line(0))
        await pilot.press("enter")
        await settle(app, pilot)
        walk = app.screen
        assert isinstance(walk, InspectionScreen)
        labels = [str(c.label) for c in walk.query_one("#items", DataTable).columns.values()]
        assert labels == ["Code", "Category", "Item", "Result"]
        await pilot.press("p", "n")
        await pilot.pause()
        table = walk.query_one("#items", DataTable)
        assert [str(table.get_cell_at((row, 3))) for row in (0, 1)] == ["✓ pass", "— n/a"]
        assert str(table.get_cell_at((0, 2))).startswith("No unauthorised change of use")
        assert "2/31 checked · 0 failed" in str(walk.query_one("#inspection-progress").render())
        await pilot.press("f")
        await pilot.pause()
        assert "What was wrong" in walk.query_one("#editor-input", Input).placeholder
        await pilot.press(*"pan")  # typed into the note, not taken as pass / n/a
        await pilot.pause()
        assert walk.query_one("#editor-input", Input).value == "pan"
        assert [r.outcome for r in walk.results[:4]] == ["pass", "na", "fail", None]
        await pilot.press("enter")
        await pilot.pause()
        assert walk.results[2].note == "pan" and cursor(walk) == 3


async def test_a_bad_photo_path_is_explained_and_nothing_is_written(store, park, tenant, me, tmp_path):
    not_a_photo = tmp_path / "notes.png"
    not_a_photo.write_text("这不是照片")
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        walk = await start_from_ledger(app, pilot)
        before = count(store, ChangeLog)
        await pilot.press("a")
        await settle(app, pilot)
        picker = app.screen
        await paste_into_picker(app, pilot, str(tmp_path / "IMG_0012.jpg"))
        error = picker.query_one("#picker-status")
        assert error.has_class("-error") and "找不到这个文件夹或文件" in str(error.render())
        assert app.screen is picker  # still there to correct the path
        await paste_into_picker(app, pilot, str(not_a_photo))
        assert "只能附加照片" in str(error.render()) and app.screen is picker
        await pilot.press("escape")  # give up: the picker closes, the inspection stays
        await pilot.pause()
        assert app.screen is walk
        assert count(store, ChangeLog) == before
    assert count(store, Attachment) == 0 and count(store, AttachmentLink) == 0
    assert not attachments_dir(store).exists() or not any(attachments_dir(store).rglob("*.*"))


async def test_starting_needs_an_inspector_and_common_areas_start_from_the_park_list(store, park, me):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")  # on the park list: the park's common areas
        await settle(app, pilot)
        start = app.screen
        assert isinstance(start, StartInspectionScreen)
        assert "平湖经济开发区小微企业园 公共区域" in str(start.query_one("#start-subject").render())
        start.query_one("#start-inspectors", SelectionList).deselect_all()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is start
        assert "请至少选择一名检查人员" in str(start.query_one("#start-error").render())
        assert count(store, Inspection) == 0
        start.query_one("#start-inspectors", SelectionList).select_all()
        await pilot.press("enter")
        await settle(app, pilot)
        walk = app.screen
        assert isinstance(walk, InspectionScreen)
        assert walk.view.tenant_id is None and walk.view.subject.endswith("公共区域")
    with store.read() as session:
        assert session.exec(select(Inspection)).one().inspector_ids == [me.id]


async def finish_with_two_failures(app, pilot) -> InspectionSummaryScreen:
    walk = await start_from_ledger(app, pilot)
    for key in ("f", "escape", "f", "escape", "P", "y", "ctrl+f"):  # Esc: no note this time
        await pilot.press(key)
        await pilot.pause()
    await settle(app, pilot)
    assert [r.outcome for r in walk.results[:3]] == ["fail", "fail", "pass"]
    assert isinstance(app.screen, InspectionSummaryScreen)
    return app.screen


async def test_the_summary_goes_on_to_the_five_implementations_of_the_new_hazards(store, park, tenant, me):
    rectification = pytest.importorskip("inspect_app.screens.rectification")
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        summary = await finish_with_two_failures(app, pilot)
        new_hazards = [h.id for h in summary.summary.hazards]
        await pilot.press("enter")  # the focused button: 填写五落实
        await settle(app, pilot)
        assert isinstance(app.screen, rectification.RectificationScreen)
        assert app.screen.hazard_ids == new_hazards
        assert not any(isinstance(s, InspectionScreen) for s in app.screen_stack)  # ledger underneath


async def test_without_the_rectification_screen_the_summary_says_so(store, park, tenant, me, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "inspect_app.screens.rectification" else real_find_spec(name, *a))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await finish_with_two_failures(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert any("五落实表单尚未提供" in str(n.message) for n in app._notifications)
    assert count(store, Hazard) == 2
