"""Issuing a rectification notice from the TUI: preview, refusal, issue, export, print (Pilot, 80×24)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import func, select
from textual.widgets import Input

from db.models import Hazard, Notice, NoticeCounter
from exports.notice_pdf import read_embedded
from exports.signing import TrustStore, create_device_key, load_device_key, verify_pdf
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from forms.rectification import RectificationInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.inspection_summary import InspectionSummary, InspectionSummaryScreen, NewHazard
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.notices import NoticesScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.services import notices
from inspect_app.services.hazards import save_rectification
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.notices import set_device_block
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values

KEYS_SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # signing keys are valid from then on (notices check it)

SIZE = (80, 24)
FIRE = builtin_templates()["fire_safety"]
NOW = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)
FIVE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理疏散通道堆放物",
        "funds_yuan": "0", "funds_reason": "自行整改无需资金", "deadline": "2026-12-20",
        "contingency_plan": "整改期间专人值守，配备灭火器"}


@pytest.fixture
def inspector(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


@pytest.fixture
def tenant(store, park):
    return save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))


@pytest.fixture
def keys(tmp_path, monkeypatch, store):
    directory = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(directory))
    return directory


@pytest.fixture
def key(keys, store):
    create_device_key(keys, common_name="李明 平湖市经济和信息化局", device_id=store.device_id,
                      now=KEYS_SINCE)  # valid before the fixed issue dates
    return keys


def inspect(store, park, tenant, inspector, codes=("B02", "D01")) -> list[str]:
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    for result in load_inspection(store, inspection_id).results:
        if result.code in codes:
            record_outcome(store, result.id, "fail", note=f"{result.code} 现场发现：疏散通道堆放纸箱")
    pass_remaining(store, inspection_id)
    return finish_inspection(store, inspection_id, today=TODAY)


def complete(store, hazard_ids, **changes) -> None:
    for hazard_id in hazard_ids:
        save_rectification(store, hazard_id, RectificationInput.model_validate({**FIVE, **changes}), today=TODAY)


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_from_hazards(app, pilot) -> IssueNoticeScreen:
    await settle(app, pilot)
    await pilot.press("z")
    await settle(app, pilot)
    assert isinstance(app.screen, HazardsScreen)
    await pilot.press("n")
    await settle(app, pilot)
    assert isinstance(app.screen, IssueNoticeScreen)
    return app.screen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_the_preview_names_what_is_missing_and_issuing_is_refused_with_nothing_written(
        store, park, tenant, inspector, key):
    set_device_block(store, "A07")
    first, second = inspect(store, park, tenant, inspector)
    complete(store, [first])
    complete(store, [second], contingency_plan="")
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_from_hazards(app, pilot)
        assert sorted(screen.hazard_ids) == sorted([first, second])
        preview = text_of(screen, "#notice-text")
        assert "责改〔2026〕第A07-0001号" in preview
        assert tenant.name in preview and "张伟" in preview and "2026-12-20" in preview
        missing = text_of(screen, "#notice-missing")
        assert "五落实不完整" in missing and "整改预案" in missing
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert text_of(screen, "#notice-status").startswith("未出具，未写入任何内容")
        await pilot.press("e")  # nothing to export before issuing
        await pilot.pause()
    assert count(store, Notice) == 0
    assert count(store, NoticeCounter) == 0


async def test_issue_then_export_a_verifiable_pdf_and_print_without_a_printer(
        store, park, tenant, inspector, key, tmp_path, monkeypatch):
    set_device_block(store, "A07")
    hazard_ids = inspect(store, park, tenant, inspector)
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_from_hazards(app, pilot)
        assert text_of(screen, "#notice-missing") == "五落实已齐全，可以出具"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.issued is not None
        number = screen.issued.number
        assert number.endswith("责改〔2026〕第A07-0001号")
        assert number in text_of(screen, "#notice-status")
        assert screen.query_one("#row-folder").display

        out = tmp_path / "out"
        screen.query_one("#field-folder", Input).value = str(out)
        await pilot.press("e")
        await pilot.pause()
        [pdf_path] = out.glob("*.pdf")
        assert str(pdf_path) in text_of(screen, "#notice-status")
        result = verify_pdf(pdf_path.read_bytes(), TrustStore.from_directory(key), read_embedded)
        assert result.status == "authentic", result.reason
        assert result.number == number

        monkeypatch.setattr(notices.shutil, "which", lambda _name: None)
        monkeypatch.setattr(notices.sys, "platform", "linux")
        await pilot.press("p")
        await pilot.pause()
        status = text_of(screen, "#notice-status")
        assert "无法打印" in status and "没有可用的打印命令" in status
        # Shown whole at 80x24: where the PDF went is not cut off (it comes first, and the line wraps).
        line = screen.query_one("#notice-status")
        needed = line.get_content_height(line.size, line.size, line.content_region.width)
        assert line.content_region.height >= needed and status.index(str(pdf_path)) < status.index("无法打印")

        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)
        # Both hazards are on the notice now: n shows the notice issued from their inspection.
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticesScreen)
        assert [r.number for r in app.screen.rows] == [number]
    with store.read() as session:
        notice = session.exec(select(Notice)).one()
        assert notice.number == number and notice.kind == "rectification"
        assert all(session.get(Hazard, h).notice_id == notice.id for h in hazard_ids)


async def test_without_a_key_the_screen_offers_to_create_one_then_issues(store, park, tenant, inspector, keys):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("B02",))
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen(hazard_ids, now=NOW))
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is screen and screen.issued is not None
        assert screen.issued.issued_at == NOW
    assert load_device_key(keys) is not None
    assert count(store, Notice) == 1


async def test_declining_the_key_writes_nothing(store, park, tenant, inspector, keys):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("B02",))
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen(hazard_ids, now=NOW))
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("ctrl+s", "n")
        await settle(app, pilot)
        assert app.screen is screen and screen.issued is None
        assert "签名密钥" in text_of(screen, "#notice-status")
    assert load_device_key(keys) is None
    assert count(store, Notice) == 0 and count(store, NoticeCounter) == 0


async def test_from_the_five_implementations_form_n_issues_for_the_hazards_tenant(
        store, park, tenant, inspector, key):
    hazard_ids = inspect(store, park, tenant, inspector)
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_ids[0]))
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IssueNoticeScreen) and sorted(screen.hazard_ids) == sorted(hazard_ids)
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.issued is not None
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, RectificationScreen)
        assert screen.issued.number in str(app.screen.query_one("#hazard-summary").render())


async def test_the_inspection_summary_opens_the_preview_of_its_new_hazards(store, park, tenant, inspector, key):
    hazard_ids = inspect(store, park, tenant, inspector)
    summary = InspectionSummary(subject=tenant.name, passed=29, failed=2, not_applicable=0,
                                hazards=[NewHazard(h, "B02", "general", "堆放纸箱") for h in hazard_ids])
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InspectionSummaryScreen(summary))
        await settle(app, pilot)
        await pilot.click("#notice")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IssueNoticeScreen) and screen.hazard_ids == hazard_ids
        assert "五落实不完整" in text_of(screen, "#notice-missing")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, InspectionSummaryScreen)
    assert count(store, Notice) == 0


async def test_english_labels(store, park, tenant, inspector, key):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("B02",))
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen(hazard_ids, now=NOW))
        await settle(app, pilot)
        screen = app.screen
        assert "Number (assigned on issue):" in text_of(screen, "#notice-text")
        assert "The five implementations are incomplete" in text_of(screen, "#notice-missing")
        assert text_of(screen, "#notice-status") == "Ctrl+S or Enter issues; nothing is written before that"
        shown = {a.binding.description for a in screen.active_bindings.values() if a.binding.show}
        assert {"Issue", "Close"} <= shown
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen, "#notice-status").startswith("Not issued, nothing written")
    assert count(store, Notice) == 0
