"""The star screen of a park at 80×24 in zh and en: opened from the park overview with one key,
its automatic figures the overview's own, a typed item's points saved with evidence (a refusal
shown in the form's message line, nothing written), the form written as .xlsx and PDF through the
export path dialog. Dataset: tests/test_stars.py's park (today 2026-11-26, year 2026 on 2026Q3)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from db.models import StarScore
from inspect_app.app import make_app
from inspect_app.screens.export_path import ExportPathScreen
from inspect_app.screens.overview import ParkOverviewScreen
from inspect_app.screens.stars import StarScoreScreen, StarScreen
from inspect_app.services.stars import automatic_figures
from inspect_app.services.stars_export import figure_text
from tests.conftest import TODAY
from tests.test_stars import park  # noqa: F401  (fixture)
from tests.test_tui_fit import footer_problems, screen_lines, table_problems
from tests.test_tui_notices import SIZE, inspector, settle  # noqa: F401  (fixture)


def scores(store) -> list[tuple[str, float, str | None]]:
    with store.read() as session:
        return [(row.item_code, row.points, row.evidence) for row in session.exec(select(StarScore)).all()]


async def open_stars(app, pilot, park_id: str) -> StarScreen:
    await settle(app, pilot)
    app.push_screen(ParkOverviewScreen(park_id))
    await settle(app, pilot)
    overview = app.screen
    await pilot.press("t")
    await settle(app, pilot)
    assert isinstance(app.screen, StarScreen)
    return overview, app.screen


def row_of(screen: StarScreen, code: str) -> int:
    return screen.keys.index(("item", code))


@pytest.mark.parametrize("language, auto_word", [("zh_CN", "自动"), ("en", "auto")])
async def test_the_star_screen_shows_the_overviews_figures(language, auto_word, store, park, inspector):  # noqa: F811
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        overview, screen = await open_stars(app, pilot, park.id)
        assert not footer_problems(screen) + table_problems(screen)
        assessment = screen.assessment
        # the automatic figures are the overview's (same quarter): 20% vacant, 50% 规上, 75% closed
        assert assessment.quarter == overview.overview.quarter
        figures = overview.overview.park.figures
        assert assessment.figures["vacancy_rate"] == figures.vacant_area_m2 / figures.floor_area_m2 == 0.2
        assert assessment.figures["above_share"] == figures.above_tenant_share == 0.5
        assert assessment.figures["hazard_closure_rate"] == figures.hazard_closure_rate == 0.75
        assert assessment.figures["overdue_major"] == figures.hazards.overdue_major == 1
        assert assessment.figures["late_notices"] == figures.late_notices
        assert assessment.figures["annual_tax_per_mu"] == figures.annual_tax_per_mu
        assert assessment.figures == automatic_figures(figures, _mujun(store, park))  # and the 亩均 A+B share
        # shown on screen: every dimension with its points against its maximum, automatic items with the figure
        text = "\n".join(screen_lines(app))
        table = screen.query_one(DataTable)
        for dimension in assessment.dimensions[:3]:
            assert dimension.dimension.name(language) in text
        vacancy = next(s for s in assessment.items if s.item.source == "vacancy_rate")
        cells = table.get_row_at(row_of(screen, vacancy.item.code))
        assert str(cells[4]) == f"{auto_word} {figure_text('vacancy_rate', 0.2)}"
        assert f"{vacancy.points:.1f}" == str(cells[1]) and f"{vacancy.item.points:g}" == str(cells[2])
        summary = str(screen.query_one(".stars-summary", Static).render())
        assert f"{assessment.total:.1f}" in summary and f"{assessment.next_star[1]:.1f}" in summary


def _mujun(store, park):  # noqa: F811
    from inspect_app.services.mujun import mujun_classes

    return mujun_classes(store, 2026, park_id=park.id)


@pytest.mark.parametrize("language, refusal", [("zh_CN", "得分应为 0 到 10 之间的数字"),
                                               ("en", "Points must be a number from 0 to 10")])
async def test_a_typed_item_is_saved_and_a_refusal_writes_nothing(language, refusal, store, park, inspector):  # noqa: F811
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        _, screen = await open_stars(app, pilot, park.id)
        before = screen.assessment.total
        table = screen.query_one(DataTable)
        # an automatic item: Enter opens nothing
        auto = next(s for s in screen.assessment.items if s.automatic)
        table.move_cursor(row=row_of(screen, auto.item.code))
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        table.move_cursor(row=row_of(screen, "S1"))
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, StarScoreScreen)
        form.query_one("#star-points", Input).value = "60"
        form.query_one("#star-evidence", Input).value = "配套设施照片"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form and scores(store) == []
        status = str(form.query_one("#star-status", Static).render())
        assert refusal in status
        assert refusal in str(form.query_one("#row-points .form-error", Static).render())
        # points above 0 without evidence: refused too, under the evidence field
        form.query_one("#star-points", Input).value = "6"
        form.query_one("#star-evidence", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form and scores(store) == []
        assert form.query_one("#row-evidence").has_class("-invalid")
        form.query_one("#star-evidence", Input).value = "配套设施照片"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
        assert scores(store) == [("S1", 6.0, "配套设施照片")]
        assert screen.assessment.total == pytest.approx(before + 6)
        assert str(screen.query_one(DataTable).get_row_at(row_of(screen, "S1"))[1]) == "6.0"


async def test_the_form_is_written_as_xlsx_and_pdf(store, park, inspector, tmp_path):  # noqa: F811
    app = make_app(store, language="zh_CN", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        _, screen = await open_stars(app, pilot, park.id)
        for name in ("自评.xlsx", "自评.pdf"):
            await pilot.press("x")
            await settle(app, pilot)
            dialog = app.screen
            assert isinstance(dialog, ExportPathScreen)
            path_input = dialog.query_one("#export-path", Input)
            path_input.value = str(tmp_path / name)
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.screen is screen
        book = load_workbook(tmp_path / "自评.xlsx")
        assert book.worksheets[0].cell(1, 1).value == "PH-301 星级园 星级自评 2026" or book.worksheets[0].title
        dimensions = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
        assert len(dimensions) == len(screen.assessment.dimensions)
        assert (tmp_path / "自评.pdf").read_bytes().startswith(b"%PDF")
