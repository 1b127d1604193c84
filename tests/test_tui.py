"""The TUI driven with Textual's Pilot, as an inspector would use it with the keyboard."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Input

from db.models import ChangeLog, Inspector, Tenant
from forms.inspector import InspectorInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.ledger import PAGE_SIZE, LedgerScreen
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.screens.profile import ProfileScreen
from inspect_app.screens.tenant_form import TenantFormScreen
from inspect_app.screens.tenant_leaving import TenantLeavingScreen
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, make_credit_code, tenant_values
from tests.pilot import settle

SIZE = (80, 24)


def add_tenants(store, park, count: int, **overrides) -> None:
    for n in range(1, count + 1):
        save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n, **overrides)))


def with_profile(store) -> None:
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))



def change_count(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(ChangeLog)).one()


async def open_first_park(app, pilot) -> LedgerScreen:
    await settle(app, pilot)
    assert isinstance(app.screen, ParkListScreen)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, LedgerScreen)
    return app.screen


async def test_search_edit_refuse_bad_code_fix_and_save(store, park):
    add_tenants(store, park, 12)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        table = ledger.query_one("#ledger", DataTable)
        assert table.row_count == 12

        await pilot.press("slash")
        await pilot.press(*"公司7")
        await settle(app, pilot)
        assert [r.name for r in ledger.rows] == ["平湖测试精密机械有限公司7"]

        await pilot.press("enter")  # search -> table
        await pilot.press("enter")  # open the tenant
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, TenantFormScreen)

        code = form.query_one("#field-credit_code", Input)
        good_code = code.value
        bad_code = good_code[:-1] + ("0" if good_code[-1] != "0" else "1")
        code.value = bad_code
        form.query_one("#field-headcount", Input).value = "40"
        before = change_count(store)
        await pilot.press("ctrl+s")
        await pilot.pause()

        row = form.query_one("#row-credit_code")
        assert row.has_class("-invalid")
        assert f"最后一位应为 {good_code[-1]}" in str(row.query_one(".form-error").render())
        assert isinstance(app.screen, TenantFormScreen)
        assert change_count(store) == before  # refused: nothing written
        with store.read() as session:
            assert session.exec(select(Tenant).where(Tenant.credit_code == make_credit_code(7))).one().headcount == 35

        await pilot.press("ctrl+s")  # the same value again: the message stays
        await pilot.pause()
        assert row.has_class("-invalid")
        code.value = good_code
        await pilot.pause()
        assert not row.has_class("-invalid")  # being corrected: the old message no longer applies
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)

    with store.read() as session:
        tenant = session.exec(select(Tenant).where(Tenant.credit_code == good_code)).one()
        assert tenant.headcount == 40
        entry = session.exec(select(ChangeLog).where(ChangeLog.row_id == tenant.id, ChangeLog.op == "update")).one()
        assert entry.payload["headcount"] == 40
        assert entry.device_id == store.device_id
    assert change_count(store) == before + 2  # the tenant update and its audit event


async def test_add_tenant_from_the_ledger(store, park):
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_park(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, TenantFormScreen)
        sublet = form.query_one("#field-sublet")
        assert str(sublet.render()).startswith("[ ]")  # ticked or not is told by a mark, not a colour
        sublet.value = True
        assert str(sublet.render()).startswith("[X]")
        sublet.value = False
        await pilot.press("ctrl+s")  # empty form: required fields refused
        await pilot.pause()
        assert form.query_one("#row-name").has_class("-invalid")
        assert form.query_one("#row-credit_code").has_class("-invalid")
        for field, value in {"name": "平湖市新添五金制品有限公司", "credit_code": make_credit_code(99).lower(),
                             "rented_area_m2": "800㎡", "headcount": "２０"}.items():
            form.query_one(f"#field-{field}", Input).value = value
        form.query_one("#field-lease_use").value = "storage"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert [r.name for r in app.screen.rows] == ["平湖市新添五金制品有限公司"]
    with store.read() as session:
        tenant = session.exec(select(Tenant)).one()
        assert (tenant.credit_code, tenant.rented_area_m2, tenant.headcount) == (make_credit_code(99), 800, 20)


async def test_a_tenant_added_under_a_search_is_shown_with_the_cursor_on_it(store, park):
    add_tenants(store, park, 5)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        await pilot.press("slash", *"公司3", "enter")
        await settle(app, pilot)
        assert len(ledger.rows) == 1
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        for field, value in {"name": "平湖市新添五金制品有限公司", "credit_code": make_credit_code(99),
                             "rented_area_m2": "800", "headcount": "20"}.items():
            form.query_one(f"#field-{field}", Input).value = value
        form.query_one("#field-lease_use").value = "storage"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is ledger
        assert ledger.query_one("#search", Input).value == ""
        assert len(ledger.rows) == 6
        assert ledger._selected().name == "平湖市新添五金制品有限公司"


async def test_first_run_asks_for_the_inspector_profile(store, park):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        app.screen.query_one("#profile-name", Input).value = "王芳"
        app.screen.query_one("#profile-id_number", Input).value = "!"
        app.screen.query_one("#profile-agency", Input).value = "平湖市应急管理局"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.query_one("#row-id_number").has_class("-invalid")
        app.screen.query_one("#profile-id_number", Input).value = "ZJ-2020-0187"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert "王芳" in app.sub_title
    with store.read() as session:
        inspector = session.exec(select(Inspector)).one()
    assert (inspector.name, inspector.id_number) == ("王芳", "ZJ-2020-0187")
    assert store.actor_id == inspector.id


async def test_editing_a_saved_profile_offers_back_not_later(store, park):
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        shown = " ".join(str(s.render()) for s in app.screen.query(".status-line"))
        footer = {b.description for b in app.screen._bindings.key_to_bindings["escape"]}
        assert "稍后" not in shown and "返回" in shown
        assert footer == {"返回"}


async def test_mark_tenant_left_asks_the_day_it_left(store, park):
    add_tenants(store, park, 3)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        first = ledger.rows[0]
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, TenantLeavingScreen)
        await pilot.press("escape")  # changed my mind
        await settle(app, pilot)
        assert len(ledger.rows) == 3
        await pilot.press("l")
        await settle(app, pilot)
        day = app.screen.query_one("#leaving-left_on", Input)
        assert day.value == TODAY.isoformat()  # today unless told otherwise
        before = change_count(store)
        day.value = "2099-01-01"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TenantLeavingScreen)  # a day to come is refused, nothing written
        assert "不能晚于今天" in str(app.screen.query_one("#row-left_on .form-error").render())
        assert change_count(store) == before
        day.value = "2026-10-31"
        await pilot.press("enter")
        await settle(app, pilot)
        assert [r.id for r in ledger.rows if r.id == first.id] == []
        await pilot.press("h")  # show those who left too
        await settle(app, pilot)
        assert any(r.id == first.id and r.status == "left" for r in ledger.rows)
        ledger.query_one("#ledger", DataTable).move_cursor(row=[r.id for r in ledger.rows].index(first.id))
        before = change_count(store)
        await pilot.press("l")  # already left: said, not silently ignored
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert any("2026-10-31" in str(n.message) for n in app._notifications)
        assert change_count(store) == before
    with store.read() as session:
        tenant = session.get(Tenant, first.id)
    assert (tenant.status, tenant.left_on) == ("left", date(2026, 10, 31))


async def test_large_ledger_loads_a_page_at_a_time(store, park):
    add_tenants(store, park, PAGE_SIZE + 30)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        table = ledger.query_one("#ledger", DataTable)
        assert table.row_count == PAGE_SIZE
        assert ledger.total == PAGE_SIZE + 30
        for _ in range(10):  # page down to the end of the first window, as a person would
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert table.row_count == PAGE_SIZE + 30
        assert len({r.id for r in ledger.rows}) == PAGE_SIZE + 30


async def test_sort_by_area_and_filter_by_scale(store, park):
    for n, (area, scale) in enumerate([("500", "规下"), ("3000", "规上"), ("1200", "规下")], start=1):
        save_tenant(store, park_id=park.id, data=TenantInput.model_validate(
            tenant_values(n, rented_area_m2=area, scale=scale)))
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        ledger.sort_by("rented_area_m2", descending=True)
        await settle(app, pilot)
        assert [r.rented_area_m2 for r in ledger.rows] == [3000, 1200, 500]
        await pilot.press("r")
        await settle(app, pilot)
        assert [r.rented_area_m2 for r in ledger.rows] == [500, 1200, 3000]
        ledger.query_one("#scale-filter").value = "above"
        await settle(app, pilot)
        assert [r.scale for r in ledger.rows] == ["above"]


async def test_search_across_all_parks_needs_a_park_to_add(store, park):
    add_tenants(store, park, 5)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await settle(app, pilot)
        ledger = app.screen
        assert isinstance(ledger, LedgerScreen) and ledger.park_id is None
        assert ledger.focused is ledger.query_one("#search", Input)
        await pilot.press(*make_credit_code(3)[-4:].lower())
        await settle(app, pilot)
        assert [r.credit_code for r in ledger.rows] == [make_credit_code(3)]
        await pilot.press("escape")  # the first Escape clears the search
        await settle(app, pilot)
        assert len(ledger.rows) == 5
        await pilot.press("down")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)  # no park chosen: nothing opened


@pytest.mark.parametrize("language, header, status", [("zh_CN", "面积㎡", "共 2 家"), ("en", "Area m²", "2 tenants")])
async def test_ledger_speaks_the_chosen_language(store, park, language, header, status):
    add_tenants(store, park, 2)
    with_profile(store)
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        labels = [str(c.label) for c in ledger.query_one("#ledger", DataTable).columns.values()]
        assert header in labels
        assert status in str(ledger.query_one("#ledger-status").render())


async def test_ledger_survives_a_resize_and_keeps_its_rows(store, park):
    add_tenants(store, park, 30)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        await pilot.resize_terminal(60, 16)
        await settle(app, pilot)
        await pilot.resize_terminal(140, 40)
        await settle(app, pilot)
        table = ledger.query_one("#ledger", DataTable)
        assert table.row_count == 30
        assert table.size.width == 140


async def test_command_palette_offers_the_ledger_actions(store, park):
    add_tenants(store, park, 1)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        ledger = await open_first_park(app, pilot)
        titles = [command.title for command in app.get_system_commands(ledger)]
        assert {"新增企业", "标记迁出", "按出租面积(㎡)排序", "检查员信息", "退出"} <= set(titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"zzqq")
        await pilot.pause(0.8)  # Textual waits half a second before saying nothing matched
        palette_text = " ".join(str(option.prompt) for option in app.screen.query_one(CommandList).options)
        assert "没有匹配的命令" in palette_text
        assert "No matches" not in palette_text
