"""At 80x24: the received changes this device set aside (c then a) and the possible duplicate
tenants (c then p: merge with 1/2 after a confirmation, d for different companies)."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from db.models import Tenant
from inspect_app.app import make_app
from inspect_app.screens.conflicts import SetAsideChangesScreen
from inspect_app.screens.duplicates import DuplicatesScreen
from inspect_app.services.duplicates import possible_duplicates
from inspect_app.sync.apply import apply_page
from inspect_app.sync.changes import outbox_page
from tests.conftest import TODAY
from tests.pilot import settle
from tests.test_duplicates import twin
from tests.test_sync_merge import make_park, make_tenant, rows
from tests.test_sync_set_aside import evil_update
from tests.test_tui_sync import SIZE, status_text, with_profile


def cells(table: DataTable, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_set_aside_changes_are_counted_and_listed_with_their_reason(devices):
    a, b = devices.new("a"), with_profile(devices.new("b"))
    park = make_park(a)
    tenant = make_tenant(a, park.id)
    apply_page(b, outbox_page(a, 0, 100))
    apply_page(b, [evil_update(1, "tenant", tenant.id, {"name": None}, {"name": tenant.hlc})])
    app = make_app(b, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "未能采用 1 条（c 再按 a）" in status_text(app)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, SetAsideChangesScreen)
        table = app.screen.query_one("#set-aside", DataTable)
        assert cells(table, 0)[1:] == ["修改", "企业 测试企业1"]
        detail = str(app.screen.query_one("#set-aside-detail", Static).render())
        assert detail.startswith("必填的字段被改成了空（") and "name" in detail


async def test_the_duplicates_screen_merges_one_pair_and_marks_another_distinct(devices):
    store = with_profile(devices.new("a"))
    park = make_park(store)
    kept = make_tenant(store, park.id, 1)
    merged = twin(store, park.id, 2, code_of=1, name="重复登记的企业")
    first, second = make_tenant(store, park.id, 3), twin(store, park.id, 4, code_of=3, name="分公司")
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, DuplicatesScreen)
        table = app.screen.query_one("#duplicates", DataTable)
        assert table.row_count == 2
        row = next(i for i in range(2) if cells(table, i)[2] == "重复登记的企业")
        table.move_cursor(row=row)
        await settle(app, pilot)
        assert "检查 0 次" in str(app.screen.query_one("#duplicate-detail", Static).render())
        await pilot.press("1")  # keep the first (older) row: asks first
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert table.row_count == 1 and cells(table, 0)[2] == "分公司"
        await pilot.press("d")
        await settle(app, pilot)
        assert table.row_count == 0
        assert "没有疑似重复的企业" in str(app.screen.query_one("#duplicates-status", Static).render())
    assert rows(store, Tenant, id=merged.id)[0].merged_into == kept.id
    assert {t.distinct_code for t in rows(store, Tenant) if t.id in (first.id, second.id)} == {first.credit_code}
    assert possible_duplicates(store) == []
