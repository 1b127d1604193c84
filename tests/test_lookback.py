"""回头看 and the due list: the last result per checklist item, repeat hazards (hazards list, notice
PDF, overview), last-inspected and unfinished marks on the ledger, a notice's service on the
hazards list, and the due list with its reasons and building/floor order (Pilot at 80×24)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from textual.widgets import DataTable

from db.models import Inspection
from exports.signing import create_device_key
from forms.checklist import builtin_templates
from forms.inspection_due import DueRules, floor_of, risk_class
from forms.inspector import InspectorInput
from forms.rectification import RectificationInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.config import inspection_due_rules
from inspect_app.screens.due import DueScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.screens.tenant_form import TenantFormScreen
from inspect_app.services.hazards import HazardQuery, list_hazards, record_reinspection, save_rectification
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.lookback import due_list
from inspect_app.services.notice_service import record_service
from inspect_app.services.notices import Agency, issue_rectification_notice, notice_pdf
from inspect_app.services.park_overview import park_overview
from inspect_app.services.profile import save_profile
from tests.conftest import tenant_values
from tests.pilot import settle

SIZE = (80, 24)
FIRE = builtin_templates()["fire_safety"]
AGENCY = Agency(name="平湖市经济和信息化局", short="平经信安整")
TODAY = date(2026, 11, 26)


@pytest.fixture
def me(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


def add_tenant(store, park, n: int, **values):
    return save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n, **values)))


def inspect(store, park, tenant, me, *, on: date, fails=(), finish=True) -> list[str]:
    """An inspection of `tenant` started on `on` (China date) failing `fails`; the hazard ids."""
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE, inspector_ids=[me.id])
    with store.transaction() as session:  # as if started that morning (02:00 UTC = 10:00 in China)
        session.get(Inspection, inspection_id).started_at = datetime(on.year, on.month, on.day, 2, 0, tzinfo=UTC)
    for result in load_inspection(store, inspection_id).results:
        if result.code in fails:
            record_outcome(store, result.id, "fail", note=f"{result.code} 现场发现问题")
    if not finish:
        return []
    pass_remaining(store, inspection_id)
    return finish_inspection(store, inspection_id, today=on)


def close(store, hazard_id: str, me, on: date) -> None:
    record_reinspection(store, hazard_id, outcome="rectified", on=on, evidence_note="已整改", new_deadline=None,
                        inspector_ids=[me.id])


@pytest.fixture
def history(store, park, me):
    """A tenant failed B02 on 2026-03-02 (rectified 03-20) and again on 2026-06-10 (rectified 06-20);
    D01 passed both times. The second B02 hazard is a repeat."""
    tenant = add_tenant(store, park, 1, name="平湖市佳嘉精密机械有限公司")
    first = inspect(store, park, tenant, me, on=date(2026, 3, 2), fails=("B02",))
    close(store, first[0], me, date(2026, 3, 20))
    second = inspect(store, park, tenant, me, on=date(2026, 6, 10), fails=("B02",))
    return tenant, first[0], second[0]


async def detail_of(screen: InspectionScreen, pilot, code: str) -> str:
    index = next(i for i, r in enumerate(screen.results) if r.code == code)
    screen.query_one("#items", DataTable).move_cursor(row=index)
    await pilot.pause()
    return str(screen.query_one("#detail").render())


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
async def test_each_checklist_item_shows_the_tenants_last_result(store, park, me, history, lang):
    tenant, _, second = history
    close(store, second, me, date(2026, 6, 20))
    inspect(store, park, tenant, me, on=TODAY, finish=False)  # the one now walked (resumed by `i`)
    app = make_app(store, today=TODAY, language=lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        await pilot.press("i")
        await settle(app, pilot)
        walk = app.screen
        assert isinstance(walk, InspectionScreen)
        b02 = await detail_of(walk, pilot, "B02")
        d01 = await detail_of(walk, pilot, "D01")
    if lang == "zh_CN":
        assert "上次不合格 2026-06-10，第 2 次；已整改 2026-06-20" in b02
        assert "上次合格 2026-06-10" in d01
    else:
        assert "Last: failed 2026-06-10, failure no. 2; rectified 2026-06-20" in b02
        assert "Last: passed 2026-06-10" in d01


def test_a_hazard_found_again_while_the_earlier_one_is_open_is_no_repeat(store, park, me):
    tenant = add_tenant(store, park, 2)
    first = inspect(store, park, tenant, me, on=date(2026, 3, 2), fails=("B02",))
    again = inspect(store, park, tenant, me, on=date(2026, 4, 2), fails=("B02",))
    close(store, first[0], me, date(2026, 4, 5))  # closed only after the second finding
    rows, _ = list_hazards(store, HazardQuery(park_id=park.id, today=TODAY))
    assert {r.id: r.repeat for r in rows}[again[0]] == 0


@pytest.fixture
def keys(tmp_path, store):
    directory = tmp_path / "keys"
    create_device_key(directory, common_name="李明 平湖市经济和信息化局", device_id=store.device_id,
                      now=datetime(2026, 1, 1, tzinfo=UTC))
    return directory


FIVE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理通道，搬离纸箱",
        "funds_yuan": "0", "funds_reason": "自行整改，无需资金", "deadline": "2026-06-30",
        "contingency_plan": "整改期间专人值守，配备灭火器"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
async def test_a_repeat_is_flagged_on_the_hazard_the_notice_and_the_overview(store, park, me, history, keys, tmp_path):
    tenant, first, second = history
    rows, _ = list_hazards(store, HazardQuery(park_id=park.id, today=TODAY))
    assert {r.id: r.repeat for r in rows} == {first: 0, second: 2}
    assert park_overview(store, park.id, today=TODAY).park.figures.repeat_hazards == 1

    save_rectification(store, second, RectificationInput.model_validate(FIVE), today=date(2026, 6, 10))
    issued = issue_rectification_notice(store, hazard_ids=[second], agency=AGENCY, keys_dir=keys,
                                        now=datetime(2026, 6, 11, 2, 0, tzinfo=UTC))
    assert issued.content["hazards"][0]["repeat"] == 2
    path = tmp_path / "notice.pdf"
    path.write_bytes(notice_pdf(store, issued.number)[1])
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "（重复发现，第2次）" in text

    # The hazards list: the repeat mark and the notice issued, then served, with its number and day.
    app = make_app(store, today=date(2026, 6, 12))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        table = app.screen.query_one("#hazards", DataTable)
        row = table.get_row(second)
        assert str(row[-1]).startswith("复2 ")
        assert "已发" in [str(c) for c in row]
        assert "重复发现，第 2 次" in str(app.screen.query_one("#hazard-detail").render())
        table.move_cursor(row=table.get_row_index(second))
        await pilot.press("enter")  # its 五落实: the header says it came back
        await settle(app, pilot)
        assert "重复发现，第 2 次" in str(app.screen.query_one("#hazard-summary").render())
    record_service(store, issued.number, {"method": "直接送达", "recipient": "张伟", "served_on": "2026-06-12"},
                   today=date(2026, 6, 12))
    app = make_app(store, today=date(2026, 6, 12))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        assert "已送达" in [str(c) for c in app.screen.query_one("#hazards", DataTable).get_row(second)]
        assert f"通知书 {issued.number} 已送达 2026-06-12" in str(app.screen.query_one("#hazard-detail").render())
    # Closed, it is no longer counted among the open repeats.
    close(store, second, me, date(2026, 6, 20))
    assert park_overview(store, park.id, today=TODAY).park.figures.repeat_hazards == 0


async def test_the_ledger_shows_last_inspected_and_an_unfinished_mark(store, park, me):
    done = add_tenant(store, park, 1, name="平湖市佳嘉精密机械有限公司")
    inspect(store, park, done, me, on=date(2026, 9, 3))
    open_one = add_tenant(store, park, 2, name="平湖市鑫诺五金制品有限公司")
    inspect(store, park, open_one, me, on=date(2026, 11, 20), finish=False)
    never = add_tenant(store, park, 3, name="平湖市宏达包装有限公司")
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        table = app.screen.query_one("#ledger", DataTable)
        column = table.get_column_index("last_inspected")
        assert str(table.get_row(done.id)[column]) == "26-09-03"
        assert str(table.get_row(open_one.id)[column]) == "▶"
        assert str(table.get_row(never.id)[column]) == ""


def test_risk_class_floor_and_config():
    assert risk_class("A", [], False) == "high"
    assert risk_class(None, ["lithium"], False) == "high"
    assert risk_class(None, [], True) == "high"
    assert risk_class("C", [], False) == "medium"
    assert risk_class(None, ["dust"], False) == "medium"
    assert risk_class("D", [], False) == "low"
    assert [floor_of(u) for u in ("3F-301", "5层东", "1201", "B1", None, "12F")] == [3, 5, 12, None, None, 12]
    rules = inspection_due_rules({"interval_days": {"high": 14, "bogus": 3, "low": 0}, "deadline_within_days": 3,
                                  "typo": 1})
    assert rules == DueRules(interval_days={"high": 14, "medium": 90, "low": 180}, deadline_within_days=3)
    assert inspection_due_rules("not a table") == DueRules()


@pytest.fixture
def due_park(store, park, me):
    """Five tenants: one never inspected (high risk, 2号楼 5F), one inspected 100 days ago (medium:
    due), one inspected 100 days ago but low risk (not due), one with a hazard deadline in 3 days
    (10号楼), one inspected last week (not due)."""
    never = add_tenant(store, park, 1, name="甲 从未检查", building="2号楼", unit_no="5F-501",
                       risk_points="锂电池")
    stale = add_tenant(store, park, 2, name="乙 超期", building="2号楼", unit_no="201")
    low = add_tenant(store, park, 3, name="丙 低风险", building="2号楼", unit_no="101", risk_points="")
    soon = add_tenant(store, park, 4, name="丁 期限将到", building="10号楼", unit_no="1F-101")
    recent = add_tenant(store, park, 5, name="戊 刚检查", building="1号楼", unit_no="101")
    inspect(store, park, stale, me, on=date(2026, 8, 18))  # 100 days before TODAY
    assert [r.reasons for r in due_list(store, park.id, today=TODAY, rules=DueRules())
            if r.tenant_id == low.id] == [("never",)]  # never inspected: due whatever its class
    inspect(store, park, low, me, on=date(2026, 8, 18))
    hazard = inspect(store, park, soon, me, on=date(2026, 11, 1), fails=("B02",))[0]
    save_rectification(store, hazard, RectificationInput.model_validate({**FIVE, "deadline": "2026-11-29"}),
                       today=date(2026, 11, 1))
    inspect(store, park, recent, me, on=date(2026, 11, 19))
    return never, stale, soon


def test_due_list_says_why_each_tenant_is_due(store, park, due_park):
    never, stale, soon = due_park
    rows = due_list(store, park.id, today=TODAY, rules=DueRules())
    assert [(r.tenant_id, r.reasons) for r in rows] == [
        (soon.id, ("deadline",)), (never.id, ("never",)), (stale.id, ("interval",))]
    assert [r.risk for r in rows] == ["medium", "high", "medium"]
    by_place = due_list(store, park.id, today=TODAY, rules=DueRules(), by_place=True)
    assert [r.tenant_id for r in by_place] == [stale.id, never.id, soon.id]  # 2号楼 2F, 2号楼 5F, 10号楼
    # A longer interval for medium risk takes the stale tenant off; a shorter window the deadline.
    rules = DueRules(interval_days={"high": 30, "medium": 120, "low": 180}, deadline_within_days=2)
    assert [r.tenant_id for r in due_list(store, park.id, today=TODAY, rules=rules)] == [never.id]


async def test_the_due_list_screen_sorts_by_building_and_floor_and_opens_the_tenant(store, park, due_park,
                                                                                    monkeypatch):
    never, stale, soon = due_park
    monkeypatch.setattr("inspect_app.config._config_file", lambda: {})
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        await pilot.press("u")
        await settle(app, pilot)
        due = app.screen
        assert isinstance(due, DueScreen)
        table = due.query_one("#due", DataTable)
        assert [str(k.value) for k in table.rows] == [soon.id, never.id, stale.id]
        why = [str(table.get_row(k)[-1]) for k in (soon.id, never.id, stale.id)]
        assert why == ["整改期限 2026-11-29（还有 3 天）", "从未检查", "距上次检查 100 天（中风险）"]
        await pilot.press("b")
        await settle(app, pilot)
        assert [str(k.value) for k in table.rows] == [stale.id, never.id, soon.id]
        assert "按楼栋、楼层" in str(due.query_one("#due-status").render())
        table.move_cursor(row=1)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TenantFormScreen)
        assert app.screen.tenant_id == never.id
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        # The same list from the ledger.
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, DueScreen)
        assert len(app.screen.rows) == 3
