"""County and park overview screens, driven with the keyboard at 80x24."""

from __future__ import annotations

from datetime import timedelta

from rich.cells import cell_len
from textual.widgets import DataTable, Sparkline, Static

from db.models import Hazard, Park, QuarterlyReport, RectificationItem, Tenant
from forms.inspector import InspectorInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.overview import (
    CountyOverviewScreen,
    ParkOverviewScreen,
    TenantFlagsScreen,
    bar,
    clamped,
)
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values
from tests.pilot import settle

SIZE = (80, 24)


def tenant_named(store, name: str) -> Tenant:
    from sqlmodel import select

    with store.read() as session:
        return session.exec(select(Tenant).where(Tenant.name == name)).one()


def setup_park(store, park: Park) -> None:
    """Three tenants: 1 steady, 2 declining (300 -> 150), 3 with an overdue hazard; a second park."""
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    for n in (1, 2, 3):
        save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
    steady, declining, overdue = (tenant_named(store, f"平湖测试精密机械有限公司{n}") for n in (1, 2, 3))
    with store.transaction() as session:
        for tenant, before, now in ((steady, 200, 220), (declining, 300, 150)):
            session.add(QuarterlyReport(tenant_id=tenant.id, year=2025, quarter=3, output_value_wan=before,
                                        electricity_kwh=before * 500))
            session.add(QuarterlyReport(tenant_id=tenant.id, year=2026, quarter=3, output_value_wan=now,
                                        electricity_kwh=now * 500))
        hazard = Hazard(park_id=park.id, tenant_id=overdue.id, location="3号楼", description="安全出口锁闭",
                        severity="major", status="open", found_on=TODAY - timedelta(days=40))
        session.add(hazard)
        session.flush()
        session.add(RectificationItem(hazard_id=hazard.id, deadline=TODAY - timedelta(days=10), status="open"))
        session.add(Park(code="PH-002", name="第二小微企业园", district="平湖市", street="钟埭街道",
                         function_type="manufacturing", developer_type="government", land_area_mu=30,
                         floor_area_m2=20_000))


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def test_bar_in_eighths():
    assert bar(0, 100) == ""
    assert bar(100, 100, 4) == "████"
    assert bar(50, 100, 4) == "██"
    assert bar(1, 100, 4) == "▏"  # something, however small
    assert bar(45, 100, 4) == "█▊"  # 1.8 cells: one full, six eighths


def test_a_detail_longer_than_its_lines_ends_in_an_ellipsis():
    short = "平湖市鼎华电器有限公司：3 项隐患整改逾期"
    assert clamped(short, 78, 2) == short
    long = ("平湖市鼎华电器有限公司：3 项隐患整改逾期，最早整改期限 2026-10-14；台账核查不符（2026-04-26），"
            "未通过：L01 企业名称与营业执照一致（现场：门牌为鼎华电器）、L07 未擅自改变厂房使用性质")
    lines = clamped(long, 78, 2).split("\n")
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(cell_len(line) <= 78 for line in lines)
    assert long.startswith(lines[0].rstrip()) and "L01" in lines[1]  # the text as far as it fits
    assert clamped("台账核查不符" * 40, 11, 2) == "台账核查不\n符台账核查…"  # 5 wide characters a line, then "…"


async def test_county_overview_from_the_park_list_then_a_park_then_a_tenant(store, park):
    setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        await pilot.press("o")
        await settle(app, pilot)
        county = app.screen
        assert isinstance(county, CountyOverviewScreen)
        assert "2026年第三季度" in text_of(county, ".overview-title")
        assert "风险标记 2 家：产值下滑 1；隐患逾期 1" in text_of(county, ".overview-summary")
        table = county.query_one(DataTable)
        assert table.row_count == 2
        assert [p.code for p in county.rows] == ["PH-001", "PH-002"]
        assert county.query_one(Sparkline).data[-1] == 370  # 220 + 150 万元 in 2026Q3

        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ParkOverviewScreen)
        # flagged tenants first; the declining one shows its explanation under the table
        assert [len(r.flags) for r in screen.rows] == [1, 1, 0]
        table = screen.query_one(DataTable)
        table.move_cursor(row=[r.name for r in screen.rows].index("平湖测试精密机械有限公司2"))
        await pilot.pause()
        assert "产值同比下降 50%（2025年第三季度 300 万元 → 2026年第三季度 150 万元）" in text_of(
            screen, ".overview-detail")

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TenantFlagsScreen)
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "产值下滑" in shown and "产值同比下降 50%" in shown
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is county


async def test_park_overview_from_the_ledger_in_english(store, park):
    setup_park(store, park)
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        app.screen.query_one("#ledger", DataTable).focus()
        await pilot.press("o")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ParkOverviewScreen)
        overdue = next(r for r in screen.rows if r.flags and r.flags[0].kind == "overdue_hazards")
        screen.query_one(DataTable).move_cursor(row=screen.rows.index(overdue))
        await pilot.pause()
        assert "1 hazard past the rectification deadline (1 major)" in text_of(screen, ".overview-detail")
        assert "2026 Q3" in text_of(screen, ".overview-title")


async def test_quarters_move_back_and_not_past_the_last_complete_one(store, park):
    setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        county = app.screen
        await pilot.press("right_square_bracket")  # 2026Q4 is still under way
        await settle(app, pilot)
        assert str(county.quarter) == "2026Q3"
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert str(county.quarter) == "2026Q2"
        assert "2026年第二季度" in text_of(county, ".overview-title")
        assert "风险标记 1 家：隐患逾期 1" in text_of(county, ".overview-summary")  # no 2025Q2 to decline from


async def test_sorting_the_county_by_output(store, park):
    setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down")  # the cursor on PH-002: the overview opens on it
        await pilot.press("o")
        await settle(app, pilot)
        county = app.screen
        assert county.query_one(DataTable).cursor_row == 1
        await pilot.press("s")
        await pilot.pause()
        assert county.sort == "output"
        assert [p.code for p in county.rows] == ["PH-001", "PH-002"]  # 370 万元 before nothing
        assert "按产值排序" in text_of(county, ".overview-status")
