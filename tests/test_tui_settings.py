"""The settings screen (F3, 80×24): the agency and thresholds saved into config.toml, refusals next
to their field, the park list's warning while no agency is set, issuing with the new short name;
and the status line of a database that never met a hub (Pilot)."""

from __future__ import annotations

import tomllib

from rich.cells import cell_len
from textual.widgets import Checkbox, Input, Static, TextArea

from inspect_app import config
from inspect_app.app import make_app
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.screens.settings import SettingsScreen
from inspect_app.services.demo import generate_demo
from inspect_app.services.notices import set_device_block
from tests import test_tui_notices as notices_tui
from tests.conftest import TODAY
from tests.test_tui_notices import SIZE, complete, inspect, open_from_hazards, settle, text_of

inspector, tenant, keys, key = notices_tui.inspector, notices_tui.tenant, notices_tui.keys, notices_tui.key


def warning(app) -> str | None:
    line = app.screen.query_one("#agency-warning", Static)
    return str(line.render()) if line.has_class("-shown") else None


def field(screen, name: str):
    return screen.query_one(f"#settings-{name}")


async def test_f3_saves_the_agency_the_warning_goes_and_the_next_notice_carries_the_short_name(
        store, park, tenant, inspector, key):
    set_device_block(store, "A07")
    complete(store, inspect(store, park, tenant, inspector))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # The profile names an agency, but no short name: numbers would carry the placeholder.
        assert "园检安整" in warning(app) and "F3" in warning(app)
        await pilot.press("f3")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert screen.focused is field(screen, "name")
        await pilot.press(*"平湖市经开区消安委")
        field(screen, "short").value = "平 经"  # a space would split the number: refused
        field(screen, "basis").text = "《中华人民共和国消防法》第十六条\n《浙江省消防条例》"
        field(screen, "decline_pct").value = "150"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
        assert "单位简称用于文书编号开头" in text_of(screen, "#row-short .form-error")
        assert "不能大于 100" in text_of(screen, "#row-decline_pct .form-error")
        assert text_of(screen, "#settings-status") == "有 2 项需要修改，未保存"
        assert screen.focused is field(screen, "short")
        assert not config.config_path().exists()

        field(screen, "short").value = "平经开消"
        field(screen, "decline_pct").value = "25"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert warning(app) is None
        with config.config_path().open("rb") as handle:
            written = tomllib.load(handle)
        assert written["agency"] == {"name": "平湖市经开区消安委", "short": "平经开消",
                                     "basis": ["《中华人民共和国消防法》第十六条", "《浙江省消防条例》"]}
        assert written["risk_flags"] == {"decline_pct": 25}

        await pilot.press("f3")  # reopened: what was saved
        await settle(app, pilot)
        screen = app.screen
        assert field(screen, "name").value == "平湖市经开区消安委" and field(screen, "short").value == "平经开消"
        assert field(screen, "basis").text == "《中华人民共和国消防法》第十六条\n《浙江省消防条例》"
        assert field(screen, "decline_pct").value == "25" and field(screen, "administrative_organ").value
        await pilot.press("escape")  # nothing changed: closes at once
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)

        issue = await open_from_hazards(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert issue.issued is not None
        assert issue.issued.number == "平经开消责改〔2026〕第A07-0001号"
        assert issue.issued.content["agency"]["name"] == "平湖市经开区消安委"


async def test_without_any_agency_the_park_list_names_f3_and_the_palette_opens_settings(store, park):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("escape")  # the first-run profile: later
        await settle(app, pilot)
        assert warning(app) == "未设置出具单位，无法出具通知书。按 F3 设置单位名称和简称"
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press(*"单位设置")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        field(app.screen, "name").value = "平湖市应急管理局"
        await pilot.press("escape")  # changed: asks before discarding
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert not config.config_path().exists()
        assert warning(app) is not None


async def test_labels_fit_in_chinese(store, park, inspector):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        for row in app.screen.query("FormRow"):
            assert cell_len(row.label) <= 24, row.label


async def test_english_at_80_by_24(store, park, inspector):
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert warning(app).startswith("No agency short name:")
        await pilot.press("f3")
        await settle(app, pilot)
        screen = app.screen
        assert "Office settings" in text_of(screen, ".screen-title")
        assert isinstance(field(screen, "basis"), TextArea)
        assert isinstance(field(screen, "administrative_organ"), Checkbox)
        field(screen, "zombie_quarters").value = "9"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert text_of(screen, "#row-zombie_quarters .form-error") == "May not be more than 4"
        assert screen.query_one("#row-zombie_quarters").region.bottom <= 24  # scrolled into view
        # Every label fits its 26 columns (padding 1 each side): none is cut at 80 columns.
        for row in screen.query("FormRow"):
            assert cell_len(row.label) <= 24, row.label
        assert isinstance(field(screen, "name"), Input)


async def test_a_demo_database_that_never_met_a_hub_shows_not_connected(store):
    generate_demo(store, parks=1, tenants_per_park=5, seed=7, today=TODAY)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        status = str(app.screen.query_one("#sync-status", Static).render())
        assert status == "未连接中心服务器 · 数据只在本机"
        assert "待同步" not in status


async def test_the_app_reads_config_toml_once_and_again_only_when_f3_saves(store, park, inspector):
    """The settings are read when the app starts and handed down (app.settings): a config.toml
    changed behind the app's back changes nothing on screen; saving in F3 reloads them once and
    every screen showing settings reads again."""
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        started = app.settings
        assert started.agency == {} and warning(app) is not None
        config.config_path().parent.mkdir(parents=True, exist_ok=True)
        config.config_path().write_text('[agency]\nname = "改了"\nshort = "改了"\n', encoding="utf-8")
        app.screen.refresh_data()  # the park list reads again: with the settings it was given
        await settle(app, pilot)
        assert warning(app) is not None and app.settings is started

        await pilot.press("f3")
        await settle(app, pilot)
        assert field(app.screen, "short").value == "改了"  # the settings screen shows the file
        field(app.screen, "short").value = "平经开消"
        field(app.screen, "decline_pct").value = "25"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert app.settings is not started and app.settings.db_path == started.db_path
        assert app.settings.agency["short"] == "平经开消" and app.settings.risk_flags.decline_pct == 25
        assert warning(app) is None
