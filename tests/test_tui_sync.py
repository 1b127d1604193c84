"""Sync in the TUI at 80x24: the status line, F6 (a real hub on loopback), the conflicts screen
(restore and dismiss write the database) and the refused changes."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from db.models import Conflict, Tenant
from forms.inspector import InspectorInput
from inspect_app.app import make_app
from inspect_app.config import hub_file
from inspect_app.screens.conflicts import ConflictsScreen, RejectedChangesScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.services.profile import save_profile
from inspect_app.sync.changes import outbox_page, push_cursor, record_rejected
from inspect_app.sync.client import sync_once
from inspect_app.sync.hub_settings import save_hub
from tests.conftest import TODAY
from tests.pilot import settle
from tests.test_sync_client import (  # noqa: F401 - fixtures
    edit,
    enrol,
    hub,
    hub_count,
    in_process_transport,
    live_hub,
    park_with_tenants,
)
from tests.test_sync_merge import rows, snapshot

SIZE = (80, 24)
HUB = "http://hub"


def with_profile(store):
    """An inspector profile, so that the app opens on the park list (not the first-run form)."""
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    return store


def status_text(app) -> str:
    return str(app.screen.query_one("#sync-status", Static).render())


def notifications(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_never_connected_says_so_and_f6_without_a_hub_says_how(devices):  # noqa: F811 - fixtures
    a = with_profile(devices.new("a"))
    park_with_tenants(a, 2)
    app = make_app(a, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # Never synced with any hub: nothing is "waiting", so no pending count.
        assert status_text(app) == "未连接中心服务器 · 数据只在本机"
        await pilot.press("f6")
        await settle(app, pilot)
        assert any("parkinspect sync --hub" in n for n in notifications(app))
        await pilot.press("enter")  # the ledger has the line too
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert status_text(app) == "未连接中心服务器 · 数据只在本机"
    assert push_cursor(a, HUB) == (0, 0)


async def test_f6_syncs_in_the_background_and_the_status_line_follows(hub, live_hub, devices):  # noqa: F811 - fixtures
    a = with_profile(devices.new("a"))
    park_with_tenants(a, 2)
    pending = len(outbox_page(a, 0, 100))
    save_hub(hub_file(), a.device_id, live_hub, enrol(hub, "a"))
    app = make_app(a, today=TODAY, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert status_text(app) == f"Pending {pending} · never synced · F6 sync"
        await pilot.press("f6")
        await settle(app, pilot)
        assert status_text(app).startswith("Pending 0 · last sync ")
        assert any(f"Pushed {pending}, pulled 0, conflicts 0" in n for n in notifications(app))
    assert hub_count(hub) == pending


async def test_a_refused_token_is_reported_and_nothing_moves(hub, live_hub, devices):  # noqa: F811 - fixtures
    a = with_profile(devices.new("a"))
    park_with_tenants(a, 1)
    save_hub(hub_file(), a.device_id, live_hub, "forged")
    app = make_app(a, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        assert any(n.startswith("同步失败") and "令牌" in n for n in notifications(app))
        assert status_text(app).startswith("待同步 ")
    assert hub_count(hub) == 0


def two_conflicts(hub, devices):  # noqa: F811 - fixtures
    """Device b holds two conflicts on one tenant: contact phone and headcount."""
    a, b = devices.new("a"), with_profile(devices.new("b"))
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    _, tenants = park_with_tenants(a, 1)
    transport = in_process_transport(hub)
    sync_once(a, HUB, token_a, transport=transport)
    sync_once(b, HUB, token_b, transport=transport)
    tenant_id = tenants[0].id
    edit(b, Tenant, tenant_id, contact_phone="13800000002", headcount=20)  # b first: a's later stamps win
    edit(a, Tenant, tenant_id, contact_phone="13800000001", headcount=10)
    sync_once(a, HUB, token_a, transport=transport)
    sync_once(b, HUB, token_b, transport=transport)
    return a, b, tenant_id, token_a, token_b


async def test_the_conflicts_screen_restores_a_losing_value_and_dismisses_another(hub, devices):  # noqa: F811 - fixtures
    a, b, tenant_id, token_a, token_b = two_conflicts(hub, devices)
    assert rows(b, Tenant)[0].contact_phone == "13800000001"
    app = make_app(b, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "冲突 2 条（c）" in status_text(app)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictsScreen)
        table = app.screen.query_one("#conflicts", DataTable)
        shown = {tuple(str(cell) for cell in table.get_row_at(i))[:4] for i in range(table.row_count)}
        assert ("企业 测试企业1", "联系电话", "13800000002", "13800000001") in shown
        assert ("企业 测试企业1", "租赁区域总人数", "20", "10") in shown
        phone_row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[1]) == "联系电话")
        table.move_cursor(row=phone_row)
        await pilot.press("r")
        await settle(app, pilot)
        assert table.row_count == 1
        await pilot.press("d")
        await settle(app, pilot)
        assert table.row_count == 0
        await pilot.press("escape")
        await settle(app, pilot)
        assert "冲突" not in status_text(app)
    tenant = rows(b, Tenant)[0]
    assert (tenant.contact_phone, tenant.headcount) == ("13800000002", 10)  # restored; kept
    conflicts = rows(b, Conflict)
    assert [(c.field, c.resolved) for c in conflicts] == [("headcount", True)]  # the phone's settled (removed)
    # The restore and the dismissal are ordinary changes: they travel, and a ends the same.
    transport = in_process_transport(hub)
    sync_once(b, HUB, token_b, transport=transport)
    sync_once(a, HUB, token_a, transport=transport)
    assert snapshot(a) == snapshot(b)


async def test_refused_changes_are_listed_with_their_reason(devices):  # noqa: F811 - fixtures
    a = with_profile(devices.new("a"))
    park_with_tenants(a, 1)
    seq = outbox_page(a, 0, 100)[-1]["device_seq"]
    record_rejected(a, [{"device_seq": seq, "code": "park_not_assigned", "message": "park not assigned"}])
    app = make_app(a, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "被拒绝 1 条" in status_text(app)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, RejectedChangesScreen)
        table = app.screen.query_one("#rejected", DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[1:] == ["新增", "企业 测试企业1", "本机没有被分配这个园区，不能修改其中的记录"]


def test_pending_is_what_the_hub_has_not_acknowledged(devices):  # noqa: F811 - fixtures
    from inspect_app.services.sync_status import sync_status
    from inspect_app.sync.changes import mark_pushed
    from tests.test_sync_merge import make_park, make_tenant

    a = devices.new("a")
    make_tenant(a, make_park(a).id)
    written = len(outbox_page(a, 0, 10_000))
    assert sync_status(a, hub_file()).pending == written > 0
    assert sync_status(a, hub_file()).never_connected
    mark_pushed(a, "https://hub.example", written - 2)
    assert sync_status(a, hub_file()).pending == 2
    assert not sync_status(a, hub_file()).never_connected  # once it has synced, the count is what shows
    mark_pushed(a, "https://hub.example", written)
    assert sync_status(a, hub_file()).pending == 0
