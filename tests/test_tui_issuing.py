"""Issuing the 检查记录 from the inspection summary and the 复查意见书 from the re-inspection dialog (Pilot, 80×24)."""

from __future__ import annotations

import json

from sqlmodel import select
from textual.widgets import Input

from db.models import Inspection, Notice
from exports.notice_pdf import read_embedded
from exports.signing import TrustStore, verify_pdf
from inspect_app.app import make_app
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.inspection_summary import InspectionSummaryScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.services.inspections import load_inspection, pass_remaining, record_outcome, start_inspection
from inspect_app.services.notices import issue_rectification_notice
from tests import test_tui_notices as notices_tui
from tests.conftest import TODAY
from tests.test_notices import AGENCY
from tests.test_tui_notices import FIRE, NOW, SIZE, complete, count, inspect, settle, text_of

# The same fixtures as the rectification notice's TUI tests: an inspector profile, a tenant, a key.
inspector, tenant, keys, key = notices_tui.inspector, notices_tui.tenant, notices_tui.keys, notices_tui.key


def walked(store, park, tenant, inspector, fail=("B02",)) -> str:
    """An inspection with every item answered, not yet finished."""
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    for result in load_inspection(store, inspection_id).results:
        if result.code in fail:
            record_outcome(store, result.id, "fail", note="疏散通道堆放纸箱")
    pass_remaining(store, inspection_id)
    return inspection_id


def notices_of(store, kind: str) -> list[Notice]:
    with store.read() as session:
        return list(session.exec(select(Notice).where(Notice.kind == kind)).all())


def accompanied(store, inspection_id: str) -> str | None:
    with store.read() as session:
        return session.get(Inspection, inspection_id).accompanied_by


# --- 检查记录 from the inspection summary ---------------------------------------------------------


async def test_finishing_then_r_on_the_summary_issues_the_record_with_the_accompanying_person(
        store, park, tenant, inspector, key, tmp_path):
    inspection_id = walked(store, park, tenant, inspector)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InspectionScreen(inspection_id))
        await settle(app, pilot)
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        summary = app.screen
        assert isinstance(summary, InspectionSummaryScreen)
        field = summary.query_one("#summary-accompanied", Input)

        field.focus()
        field.value = "王\x07芳"  # a control character: refused next to the field, nothing written
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is summary
        assert "控制字符" in text_of(summary, "#row-accompanied_by .form-error")
        assert accompanied(store, inspection_id) is None

        field.value = "王芳"
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IssueNoticeScreen) and screen.kind == "inspection_record"
        assert accompanied(store, inspection_id) == "王芳"
        preview = text_of(screen, "#notice-text")
        assert "陪同人员：王芳" in preview and "检查人员：李明" in preview
        assert "检查时间：" in preview and "不符合 1 项" in preview and f"被检查单位：{tenant.name}" in preview
        assert "致：" not in preview
        assert text_of(screen, "#notice-missing") == "检查已结束，可以出具检查记录"
        assert text_of(screen, "#notice-title") == "出具检查记录 —— 预览"

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.issued is not None and screen.issued.kind == "inspection_record"
        assert text_of(screen, "#notice-status") == f"已出具检查记录 {screen.issued.number}"
        screen.query_one("#field-folder", Input).value = str(tmp_path / "out")
        await pilot.press("e")
        await pilot.pause()
        [pdf] = (tmp_path / "out").glob("*.pdf")
        result = verify_pdf(pdf.read_bytes(), TrustStore.from_directory(key), read_embedded)
        assert result.status == "authentic" and result.number == screen.issued.number

        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is summary
        await pilot.press("escape")  # leaving the summary keeps the name as typed
        await settle(app, pilot)
        assert not isinstance(app.screen, (InspectionSummaryScreen, InspectionScreen))
    [record] = notices_of(store, "inspection_record")
    assert record.inspection_id == inspection_id and record.tenant_id == tenant.id
    content = json.loads(record.content_json)
    assert len(content["results"]) == len(FIRE.items)
    assert accompanied(store, inspection_id) == "王芳"


async def test_r_from_the_buttons_of_a_summary_without_hazards_opens_the_record(store, park, tenant, inspector, key):
    inspection_id = walked(store, park, tenant, inspector, fail=())
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InspectionScreen(inspection_id))
        await settle(app, pilot)
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert isinstance(app.screen, InspectionSummaryScreen)
        assert not app.screen.query("#five")  # nothing to agree: no 五落实 button
        await pilot.press("r")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IssueNoticeScreen) and screen.inspection_id == inspection_id
        assert "陪同人员：（未填写" in text_of(screen, "#notice-text")
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.issued is not None
    assert len(notices_of(store, "inspection_record")) == 1


async def test_an_unfinished_inspection_has_no_record_to_issue(store, park, tenant, inspector, key):
    inspection_id = walked(store, park, tenant, inspector)  # answered, not finished
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen.record(inspection_id, now=NOW))
        await settle(app, pilot)
        screen = app.screen
        assert text_of(screen, "#notice-missing") == "检查尚未结束，不能出具检查记录"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.issued is None and text_of(screen, "#notice-status").startswith("未出具，未写入任何内容")
    assert count(store, Notice) == 0


# --- 复查意见书 from the re-inspection dialog -----------------------------------------------------


def noticed(store, park, tenant, inspector, keys_dir) -> tuple[list[str], str]:
    """Two hazards on an issued rectification notice; returns their ids and its number."""
    hazard_ids = inspect(store, park, tenant, inspector)
    complete(store, hazard_ids)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys_dir, now=NOW)
    return hazard_ids, issued.number


async def reinspect_from_hazards(app, pilot) -> ReinspectionScreen:
    await settle(app, pilot)
    await pilot.press("z")
    await settle(app, pilot)
    assert isinstance(app.screen, HazardsScreen)
    await pilot.press("r")
    await settle(app, pilot)
    assert isinstance(app.screen, ReinspectionScreen)
    return app.screen


async def test_saving_a_re_inspection_offers_the_opinion_and_yes_issues_it(store, park, tenant, inspector, key):
    hazard_ids, number = noticed(store, park, tenant, inspector, key)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await reinspect_from_hazards(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert number in str(app.screen.question)
        await pilot.press("y")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IssueNoticeScreen) and screen.kind == "reinspection_opinion"
        preview = text_of(screen, "#notice-text")
        assert f"答复：整改通知书 {number}" in preview
        assert f"复查（{TODAY.isoformat()}）：已整改（销号）" in preview
        assert "尚未复查" in preview  # the notice's other hazard
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.issued is not None and screen.issued.kind == "reinspection_opinion"
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)  # the re-inspection dialog closed with it
        assert dialog.outcome == "rectified"
    [opinion] = notices_of(store, "reinspection_opinion")
    content = json.loads(opinion.content_json)
    assert content["references"] == number
    assert sorted(e["outcome"]["result"] for e in content["hazards"] if e["outcome"]) == ["rectified"]
    assert len(content["hazards"]) == len(hazard_ids)


async def test_declining_the_offer_closes_the_dialog_and_issues_nothing(store, park, tenant, inspector, key):
    noticed(store, park, tenant, inspector, key)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await reinspect_from_hazards(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)
    assert notices_of(store, "reinspection_opinion") == []


async def test_o_before_any_re_inspection_previews_and_refuses_to_issue(store, park, tenant, inspector, key):
    _hazards, number = noticed(store, park, tenant, inspector, key)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await reinspect_from_hazards(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IssueNoticeScreen) and screen.notice_number == number
        assert text_of(screen, "#notice-missing") == f"通知书 {number} 所列隐患尚无复查记录"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.issued is None
        assert text_of(screen, "#notice-status").startswith("未出具，未写入任何内容")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is dialog  # back to the re-inspection, nothing recorded
        dialog.query_one("#reinspection-evidence_note", Input).focus()
        await pilot.press("ctrl+o")  # from a text field
        await settle(app, pilot)
        assert isinstance(app.screen, IssueNoticeScreen)
    assert notices_of(store, "reinspection_opinion") == []


async def test_a_hazard_on_no_notice_says_so_and_saving_offers_nothing(store, park, tenant, inspector, key):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("B02",))
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await reinspect_from_hazards(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert app.screen is dialog
        assert "尚未列入已出具的整改通知书" in text_of(dialog, "#reinspection-status")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)
    assert count(store, Notice) == 0


async def test_english_opinion_and_record_previews(store, park, tenant, inspector, key):
    hazard_ids, number = noticed(store, park, tenant, inspector, key)
    with store.read() as session:
        from db.models import Hazard

        inspection_id = session.get(Hazard, hazard_ids[0]).inspection_id
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen.opinion(number, now=NOW))
        await settle(app, pilot)
        assert text_of(app.screen, "#notice-title") == "Issue re-inspection opinion — preview"
        assert f"Answers rectification notice {number}" in text_of(app.screen, "#notice-text")
        assert "Not re-inspected yet" in text_of(app.screen, "#notice-text")
        await pilot.press("escape")
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen.record(inspection_id, now=NOW))
        await settle(app, pilot)
        assert text_of(app.screen, "#notice-missing") == "The inspection is finished: ready to issue the record"
        assert "Accompanied by: (not given" in text_of(app.screen, "#notice-text")
