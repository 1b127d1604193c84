"""The quarterly grid driven with the keyboard: figures for two tenants saved as each row is left,
a bad value refused beside its row with nothing written, warnings shown without blocking, the
quarter switched with [ and ], and the saved figures there again when the grid is reopened."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Static

from db.models import QuarterlyReport
from forms.i18n import set_language
from forms.quarterly import QuarterlyInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.screens.quarterly import QuarterlyScreen
from inspect_app.services.ledger import save_tenant
from inspect_app.services.quarterly import save_quarter
from inspect_app.widgets.grid_input import GridInput
from tests.conftest import TODAY, tenant_values
from tests.pilot import settle
from tests.test_tui import with_profile

SIZE = (80, 24)


def stored(store) -> dict[tuple[str, int, int], QuarterlyReport]:
    with store.read() as session:
        return {(r.tenant_id, r.year, r.quarter): r for r in session.exec(select(QuarterlyReport))}


def setup_park(store, park):
    tenants = [save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n))) for n in (1, 2)]
    with_profile(store)
    return sorted(tenants, key=lambda tenant: tenant.name)  # the grid's order


async def open_grid(app, pilot) -> QuarterlyScreen:
    await settle(app, pilot)
    assert isinstance(app.screen, ParkListScreen)
    await pilot.press("q")
    await settle(app, pilot)
    assert isinstance(app.screen, QuarterlyScreen)
    return app.screen


async def type_cells(pilot, *cells: str) -> None:
    """Type each cell and press Enter after it (Enter moves to the next cell)."""
    for text in cells:
        await pilot.press(*text, "enter")


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_enter_two_tenants_refuse_a_bad_value_and_reopen(store, park):
    first, second = setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        assert screen.quarter == (2026, 3)  # collected in November: the last complete quarter
        assert (screen.row, screen.column) == (0, 0)
        assert isinstance(app.focused, GridInput)

        await type_cells(pilot, "120", "5万度", "300", "4.8", "招工难")
        await settle(app, pilot)  # the last Enter left the row: it was checked and saved
        saved = stored(store)[(first.id, 2026, 3)]
        assert (saved.output_value_wan, saved.electricity_kwh, saved.water_t, saved.tax_wan, saved.difficulties) == (
            120.0, 50000.0, 300.0, 4.8, "招工难")
        assert screen.rows[0].state == "saved"
        assert screen.rows[0].typed["electricity_kwh"] == "50000"  # shown as stored
        assert (screen.row, screen.column) == (1, 0)

        await type_cells(pilot, "-80")
        await pilot.press(*"abc", "up")  # leaving the row: checked, refused, nothing written
        await settle(app, pilot)
        bad = screen.rows[1]
        assert bad.state == "error" and (screen.row, screen.column) == (1, 0)  # back on the first bad cell
        message = text_of(screen, "#q-message")
        assert "不能为负数" in message and "“abc”不是数字" in message
        assert (second.id, 2026, 3) not in stored(store)
        cell = screen.query_one(DataTable).get_cell(second.id, "output_value_wan")
        assert "red" in str(cell.style)

        await type_cells(pilot, "80", "40000")  # the cell's text is selected: typing replaces it
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        row = stored(store)[(second.id, 2026, 3)]
        assert (row.output_value_wan, row.electricity_kwh) == (80.0, 40000.0)
        assert bad.state == "saved" and bad.errors == {}

        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        screen = await open_grid(app, pilot)
        assert [screen.rows[0].typed[n] for n in ("output_value_wan", "electricity_kwh", "difficulties")] == [
            "120", "50000", "招工难"]
        assert screen.rows[1].typed["output_value_wan"] == "80"
        assert "2/2" in text_of(screen, "#q-status")


async def test_a_warning_is_shown_but_the_row_is_saved(store, park):
    first, _second = setup_park(store, park)
    save_quarter(store, tenant_id=first.id, quarter=(2026, 2), data=QuarterlyInput(output_value_wan=10))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        assert app.focused.placeholder == "10"  # last quarter's figure, for comparison
        await type_cells(pilot, "500", "", "", "", "")
        await settle(app, pilot)
        assert screen.rows[0].state == "warning"
        assert "50 倍" in text_of(screen, "#q-message")  # shown on the next row, where the cursor is
        assert stored(store)[(first.id, 2026, 3)].output_value_wan == 500.0


async def test_brackets_switch_quarter_and_the_row_is_saved_first(store, park):
    first, _second = setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        await pilot.press(*"77")
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert screen.quarter == (2026, 4)
        assert stored(store)[(first.id, 2026, 3)].output_value_wan == 77.0
        assert screen.rows[0].typed["output_value_wan"] == "" and app.focused.placeholder == "77"
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(app, pilot)
        assert screen.quarter == (2026, 2)
        assert "2026年第二季度" in text_of(screen, "#q-title")


async def test_escape_on_a_refused_row_undoes_it_and_writes_nothing(store, park):
    setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        await pilot.press(*"abc", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, QuarterlyScreen) and screen.rows[0].state == "error"
        await pilot.press("escape")  # the second Esc puts the row back as stored
        assert screen.rows[0].typed["output_value_wan"] == "" and screen.rows[0].state == ""
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert stored(store) == {}


async def test_ctrl_q_saves_the_row_being_typed_before_the_app_closes(store, park):
    first, _second = setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_grid(app, pilot)
        await pilot.press(*"88", "ctrl+q")
        await settle(app, pilot)
    assert stored(store)[(first.id, 2026, 3)].output_value_wan == 88.0


async def test_ctrl_q_on_a_refused_row_keeps_the_app_open_and_writes_nothing(store, park):
    setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        await pilot.press(*"abc", "ctrl+q")
        await settle(app, pilot)
        assert app.is_running and app.screen is screen and screen.rows[0].state == "error"
    assert stored(store) == {}


async def test_the_grid_in_english(store, park):
    setup_park(store, park)
    set_language("en")
    app = make_app(store, today=TODAY, language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        await pilot.press(*"x1", "down")
        await settle(app, pilot)
        assert "2026 Q3" in text_of(screen, "#q-title")
        assert "Output: \"x1\" is not a number" in text_of(screen, "#q-message")


async def test_the_palette_offers_the_quarters_with_figures(store, park):
    first, _second = setup_park(store, park)
    save_quarter(store, tenant_id=first.id, quarter=(2025, 4), data=QuarterlyInput(output_value_wan=5))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        commands = {command.title: command for command in screen.palette_commands()}
        assert "转到 2025年第四季度" in commands
        commands["转到 2025年第四季度"].callback()
        await settle(app, pilot)
        assert screen.quarter == (2025, 4) and screen.rows[0].typed["output_value_wan"] == "5"


async def test_a_click_on_a_cell_moves_the_editor_there_and_saves_the_row_left(store, park):
    first, _second = setup_park(store, park)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_grid(app, pilot)
        await pilot.press(*"12")
        await pilot.click("#q-table", offset=(40, 2))  # the header is line 0: line 2 is the second tenant
        await settle(app, pilot)
        assert screen.row == 1 and isinstance(app.focused, GridInput)
        assert stored(store)[(first.id, 2026, 3)].output_value_wan == 12.0
