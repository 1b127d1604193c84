"""The county's rules in the TUI, driven with Pilot at 80×24 in Chinese and English on the hand-made
park of tests/test_rules72.py: the buildings screen (`b` on the ledger: add, edit, a refused save),
the results on the ledger row, its detail line and the tenant's form, the park and county overview
counts, `g` turning a result into a hazard (directly, or through the chooser) that the hazards list
shows, and a notice issued for such a hazard (it has no inspection)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from db.models import Building, Hazard, Notice
from inspect_app.app import make_app
from inspect_app.screens.building_form import BuildingFormScreen
from inspect_app.screens.buildings import BuildingsScreen
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.overview import CountyOverviewScreen, ParkOverviewScreen
from inspect_app.screens.rule_results import RuleResultsScreen
from inspect_app.screens.tenant_form import TenantFormScreen
from inspect_app.services.notices import issue_rectification_notice
from inspect_app.services.rules import hazard_from_result
from tests.conftest import TODAY
from tests.pilot import settle
from tests.test_notices import AGENCY, FIVE, NOW, keys  # noqa: F401
from tests.test_rules72 import county  # noqa: F401
from tests.test_tui_fit import footer_problems, message_problems, table_problems

SIZE = (80, 24)
LANGUAGES = ["zh_CN", "en"]
WORDS = {  # what each language shows, for the assertions
    "zh_CN": {"sublet_basis": "第八条", "line": "违反规则 1 条", "made": "已按规则结果生成隐患",
              "exists": "尚未销号", "overview": "违反规则 7 条", "none": "未发现违反规则的情形"},
    "en": {"sublet_basis": "Art. 8", "line": "1 rule broken", "made": "Hazard made from the rule",
           "exists": "already has an unclosed hazard", "overview": "7 rule results", "none": "No rule broken"},
}


def whole(app) -> list[str]:
    return [p for p in footer_problems(app.screen) + table_problems(app.screen) + message_problems(app, app.screen)]


async def open_ledger(app, pilot, park):
    app.push_screen(LedgerScreen(park.id))
    await settle(app, pilot)
    return app.screen, app.screen.query_one("#ledger", DataTable)


async def move_to(app, pilot, table, tenant_id: str) -> None:
    table.move_cursor(row=table.get_row_index(tenant_id))
    await settle(app, pilot)


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def hazards_of(store, tenant_id: str) -> list[Hazard]:
    with store.read() as session:
        return list(session.exec(select(Hazard).where(Hazard.tenant_id == tenant_id)).all())


@pytest.mark.parametrize("language", LANGUAGES)
async def test_ledger_marks_results_and_g_makes_a_hazard_the_hazards_list_shows(language, store, park, county):  # noqa: F811
    words = WORDS[language]
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ledger, table = await open_ledger(app, pilot, park)
        assert "rules" in [str(k.value) for k in table.columns]  # the mark column is in view at 80 columns
        assert str(table.get_cell(county["class_up"], "rules")) == "2"
        assert str(table.get_cell(county["sublet"], "rules")) == "1"
        assert str(table.get_cell(county["agreed"], "rules")) == ""
        assert not whole(app), whole(app)

        await move_to(app, pilot, table, county["sublet"])
        line = str(ledger.query_one("#ledger-rules", Static).render())
        assert words["line"] in line and "g" in line
        await pilot.press("g")  # one result: the hazard at once, the article its legal basis
        await settle(app, pilot)
        made = hazards_of(store, county["sublet"])
        assert [h.legal_basis for h in made] == ["消防〔2023〕72号 第八条"] and made[0].item_code == "R72_SUBLET"
        assert any(words["made"] in n for n in notices(app))
        await pilot.press("g")  # again: refused, nothing written
        await settle(app, pilot)
        assert len(hazards_of(store, county["sublet"])) == 1
        assert any(words["exists"] in n for n in notices(app))

        await move_to(app, pilot, table, county["class_up"])
        await pilot.press("g")  # two results: the chooser, each with its article
        await settle(app, pilot)
        assert isinstance(app.screen, RuleResultsScreen)
        assert not whole(app), whole(app)
        await pilot.press("down", "enter")  # the second: the shared building without a manager
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert [h.item_code for h in hazards_of(store, county["class_up"])] == ["R72_MANAGER"]
        await pilot.press("g", "escape")  # the chooser closed without a choice writes nothing
        await settle(app, pilot)
        assert len(hazards_of(store, county["class_up"])) == 1

        await pilot.press("z")  # the hazards list shows both, with their findings
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)
        listed = {str(k.value) for k in app.screen.query_one("#hazards", DataTable).rows}
        assert {h.id for h in hazards_of(store, county["sublet"]) + hazards_of(store, county["class_up"])} <= listed


@pytest.mark.parametrize("language", LANGUAGES)
async def test_buildings_screen_adds_and_edits_and_the_ledger_follows(language, store, park, county):  # noqa: F811
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ledger, table = await open_ledger(app, pilot, park)
        assert str(table.get_cell(county["crowded"], "rules")) == "1"  # 3号楼 not recorded: no building rule
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, BuildingsScreen)
        buildings = app.screen.query_one("#buildings", DataTable)
        assert buildings.row_count == 2 and str(buildings.get_cell_at((0, 1))) == "2"  # 1号楼: two tenants
        assert not whole(app), whole(app)

        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, BuildingFormScreen) and app.focused is form.query_one("#field-name", Input)
        assert not whole(app), whole(app)
        await pilot.press("ctrl+s")  # no name: refused with its message, nothing written
        await settle(app, pilot)
        assert app.screen is form and form.query_one("#row-name").has_class("-invalid")
        await pilot.press(*"3号楼")
        form.query_one("#field-design_hazard_class", Select).value = "C"
        form.query_one("#field-floors", Input).value = "5"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, BuildingsScreen) and buildings.row_count == 3
        with store.read() as session:
            added = session.exec(select(Building).where(Building.name == "3号楼")).one()
        assert (added.design_hazard_class, added.floors, added.manager_name) == ("C", 5, None)

        # 3号楼 is now shared by six tenants with no manager: the ledger shows the new results.
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is ledger
        assert str(table.get_cell(county["crowded"], "rules")) == "2"

        await pilot.press("b")
        await settle(app, pilot)
        buildings = app.screen.query_one("#buildings", DataTable)
        buildings.move_cursor(row=buildings.get_row_index(added.id))
        await pilot.press("enter")  # edit: name the manager
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, BuildingFormScreen) and form.query_one("#field-name", Input).value == "3号楼"
        form.query_one("#field-manager_name", Input).value = "赵六"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert str(table.get_cell(county["crowded"], "rules")) == "1"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_tenant_form_lists_each_result_with_its_article(language, store, park, county):  # noqa: F811
    words = WORDS[language]
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(TenantFormScreen(park_id=park.id, tenant_id=county["class_up"]))
        await settle(app, pilot)
        shown = str(app.screen.query_one("#form-rules", Static).render())
        assert len(shown.splitlines()) == 2
        assert ("第十五条至第二十条" if language == "zh_CN" else "Arts. 15-20") in shown
        assert ("第七条" if language == "zh_CN" else "Art. 7") in shown
        app.pop_screen()
        app.push_screen(TenantFormScreen(park_id=park.id, tenant_id=county["agreed"]))
        await settle(app, pilot)
        assert str(app.screen.query_one("#form-rules", Static).render()) == words["none"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_overviews_count_results_per_park(language, store, park, county):  # noqa: F811
    words = WORDS[language]
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(ParkOverviewScreen(park.id))
        await settle(app, pilot)
        assert words["overview"] in str(app.screen.query_one(".overview-status", Static).render())
        assert not whole(app), whole(app)
        app.pop_screen()
        app.push_screen(CountyOverviewScreen())
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        # The column is in view at 80 columns in Chinese; in English the wider columns before it push
        # it out (FitDataTable shows whole columns only), and a wider terminal shows it.
        index = [str(key) for _label, key in table._all_columns].index("rules")
        assert str(table._all_rows[park.id][index]) == "7"
        if language == "zh_CN":
            assert str(table.get_cell(park.id, "rules")) == "7"


def test_a_notice_is_issued_for_a_rule_hazard_with_the_article_as_its_basis(store, park, county, keys):  # noqa: F811
    from forms.rectification import RectificationInput
    from inspect_app.services.hazards import save_rectification

    hazard_id = hazard_from_result(store, park.id, county["sublet"], "R72_SUBLET", today=TODAY)
    save_rectification(store, hazard_id, RectificationInput.model_validate(FIVE), today=TODAY)
    issued = issue_rectification_notice(store, hazard_ids=[hazard_id], agency=AGENCY, keys_dir=keys, now=NOW)
    with store.read() as session:
        notice = session.exec(select(Notice).where(Notice.number == issued.number)).one()
        assert session.get(Hazard, hazard_id).notice_id == notice.id
    content = json.loads(notice.content_json)
    assert content["inspection"] is None
    assert content["hazards"][0]["legal_basis"] == "消防〔2023〕72号 第八条"


async def test_a_ledgers_many_findings_are_left_out_of_the_collectors_passes_until_it_closes(store, park, county,  # noqa: F811
                                                                                           monkeypatch):
    """Past SET_ASIDE_FROM findings (lowered here to this park's few), the ledger's findings are
    frozen with everything alive (gc.freeze) while it is open, and let go when it closes."""
    import gc

    from inspect_app.services import collector

    monkeypatch.setattr(collector, "SET_ASIDE_FROM", 1)
    taken_back = []
    monkeypatch.setattr("inspect_app.screens.ledger.take_back", lambda: taken_back.append(gc.get_freeze_count()))
    app = make_app(store, today=TODAY)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            ledger, table = await open_ledger(app, pilot, park)
            assert ledger.rules_set_aside and ledger.rule_results and gc.get_freeze_count() > 0
            assert str(table.get_cell(county["class_up"], "rules")) == "2"  # the ledger works as before
            await pilot.press("escape")
            await settle(app, pilot)
            assert not isinstance(app.screen, LedgerScreen)
            assert ledger.rule_results is None and len(taken_back) == 1
    finally:
        gc.unfreeze()  # take_back was replaced: the rest of this test process is not left frozen


def test_what_was_let_go_while_set_aside_is_collected_when_taken_back(monkeypatch):
    """A structure with a cycle (a screen's widgets), alive when set aside and let go after: the
    collector never sees it while frozen; taken back, it is collected."""
    import gc
    import weakref

    from inspect_app.services import collector

    class Node:
        pass

    monkeypatch.setattr(collector, "SET_ASIDE_FROM", 1)
    node = Node()
    node.me = node
    gone = weakref.ref(node)
    try:
        assert collector.set_aside(1) and not collector.set_aside(0)
        del node
        gc.collect()
        assert gone() is not None  # frozen: out of the collector's passes
        collector.take_back()
        assert gone() is None
    finally:
        gc.unfreeze()
