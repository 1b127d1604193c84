"""Data-changed notifications (screens/base.py): a save posts one DataChanged to the app, and the
screens in the stack that show that kind read again — at once when in front, else when shown again;
a screen that does not show it, or a return with nothing saved, reads nothing."""

from __future__ import annotations

from textual.widgets import DataTable

from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.base import HAZARD, SETTINGS, TENANT, DataChanged
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.services.ledger import save_tenant
from tests.conftest import TODAY, tenant_values
from tests.pilot import settle
from tests.test_tui import with_profile

SIZE = (80, 24)


def add_tenant(store, park, n: int) -> None:
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))


def park_tenants(app) -> str:
    parks = app.screen_stack[1]
    assert isinstance(parks, ParkListScreen)
    return str(parks.query_one("#parks", DataTable).get_row_at(0)[2])


async def test_a_save_refreshes_the_screen_in_front_at_once_and_the_one_below_when_shown(store, park):
    add_tenant(store, park, 1)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        ledger = app.screen
        assert isinstance(ledger, LedgerScreen)
        assert ledger.query_one("#ledger", DataTable).row_count == 1 and park_tenants(app) == "1"

        # Written behind the screens' backs (as a sync or another screen does), then announced.
        add_tenant(store, park, 2)
        app.post_message(DataChanged({TENANT}))
        await settle(app, pilot)
        assert ledger.query_one("#ledger", DataTable).row_count == 2  # in front: at once
        assert park_tenants(app) == "1"  # below: not yet read again
        assert app.screen_stack[1]._stale

        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert park_tenants(app) == "2"  # shown again: read again, once
        assert not app.screen._stale


async def test_a_kind_a_screen_does_not_show_and_a_plain_return_read_nothing(store, park, monkeypatch):
    add_tenant(store, park, 1)
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        ledger = app.screen
        reloads: list[str] = []
        monkeypatch.setattr(ledger, "reload", lambda **_: reloads.append("ledger"))
        app.post_message(DataChanged({SETTINGS}))  # the ledger shows no settings
        await settle(app, pilot)
        assert reloads == []
        assert app.screen_stack[1]._stale  # the park list shows the agency warning

        app.screen_stack[1]._stale = False
        loads: list[str] = []
        monkeypatch.setattr(app.screen_stack[1], "load", lambda: loads.append("parks"))
        await pilot.press("escape")  # nothing was saved: the park list does not read again
        await settle(app, pilot)
        assert loads == []
        app.post_message(DataChanged({HAZARD}))
        await settle(app, pilot)
        assert loads == ["parks"]
