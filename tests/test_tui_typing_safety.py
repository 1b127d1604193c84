"""No key binding acts while a person types, and fast typing or a paste keeps field boundaries.

Keys are posted to the app in one burst, as a terminal delivers a fast typist's, tmux's or a
barcode scanner's keys: all of them queued before the first is handled (Pilot's `press` waits
for the app between keys and would hide the races these tests are about).
"""

from __future__ import annotations

import importlib
import pkgutil
import string

import pytest
from textual import events
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Input

import inspect_app.screens
import inspect_app.widgets
from db.models import AuditEvent, ChangeLog
from inspect_app.app import ParkInspectApp, make_app
from inspect_app.screens.building_form import BuildingFormScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.export_path import ExportPathScreen
from inspect_app.screens.import_default import ImportDefaultScreen
from inspect_app.screens.inspection import InspectionScreen, open_rectification
from inspect_app.screens.inspection_summary import InspectionSummary, InspectionSummaryScreen, NewHazard
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.ledger_import import LedgerImportScreen
from inspect_app.screens.notices import NoticeServiceScreen
from inspect_app.screens.photo_picker import PhotoPickerScreen
from inspect_app.screens.profile import ProfileScreen
from inspect_app.screens.quarterly import QuarterlyScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.screens.settings import SettingsScreen
from inspect_app.screens.tenant_form import TenantFormScreen
from inspect_app.services.notices import issue_rectification_notice
from tests import test_tui_notices as notices_tui
from tests.conftest import TODAY
from tests.test_notices import AGENCY
from tests.test_tui_issuing import walked
from tests.test_tui_notices import NOW, SIZE, complete, count, inspect, settle

inspector, tenant, keys, key = notices_tui.inspector, notices_tui.tenant, notices_tui.keys, notices_tui.key

def bound_characters() -> str:
    """Every character some screen, widget or the app binds as a key: the only characters that could
    act instead of being typed (one not bound anywhere cannot fire a binding)."""
    keys = set()
    for package in (inspect_app.screens, inspect_app.widgets):
        for module in pkgutil.iter_modules(package.__path__):
            for value in vars(importlib.import_module(f"{package.__name__}.{module.name}")).values():
                if isinstance(value, type) and issubclass(value, DOMNode):
                    keys.update(k.strip() for b in value.BINDINGS if isinstance(b, Binding) for k in b.key.split(","))
    keys.update(k for b in ParkInspectApp.BINDINGS for k in b.key.split(","))
    return "".join(sorted(k for k in keys if len(k) == 1 and k.isprintable()))


# Every letter, and every other character bound somewhere (digits of the duplicates screen, P).
TYPED = "".join(sorted(set(string.ascii_lowercase) | set(bound_characters())))


def burst(app, keys) -> None:
    """Queue `keys` (characters, or key names such as "tab") at once, as a terminal read delivers them."""
    for k in keys:
        character = k if len(k) == 1 else {"tab": "\t", "space": " "}.get(k)
        app.post_message(events.Key(k, character))


def written(store) -> tuple[int, int]:
    return count(store, ChangeLog), count(store, AuditEvent)


def text_inputs(screen) -> list[Input]:
    return [w for w in screen.query(Input) if w.display and not w.disabled and w.focusable]


# --- every letter into every text field of every screen -----------------------------------------


def screens_with_text_fields(store, park, tenant, hazards, notice_number, inspection_id, tmp_path):
    """(name, factory, prepare keys) for each screen with a text field; the keys put a hidden field on show."""
    summary = InspectionSummary(subject=tenant.name, passed=29, failed=1, not_applicable=0,
                                hazards=[NewHazard(hazards[0], "B02", "general", "堆放纸箱")],
                                inspection_id=inspection_id)
    return [
        ("ledger", lambda: LedgerScreen(park.id), ()),
        ("tenant form (add)", lambda: TenantFormScreen(park_id=park.id, tenant_id=None), ()),
        ("building form (add)", lambda: BuildingFormScreen(park_id=park.id, park_label=park.name, building_id=None),
         ()),
        ("profile", lambda: ProfileScreen(), ()),
        ("settings", lambda: SettingsScreen(), ()),
        ("五落实", lambda: RectificationScreen(hazards[0]), ()),
        ("re-inspection", lambda: ReinspectionScreen(hazards[0]), ()),
        ("notice", lambda: IssueNoticeScreen([hazards[0]], now=NOW), ()),
        ("notice service", lambda: NoticeServiceScreen(notice_number), ()),
        ("inspection note", lambda: InspectionScreen(inspection_id), ("e",)),
        ("inspection summary", lambda: InspectionSummaryScreen(summary), ()),
        ("export path", lambda: ExportPathScreen("导出", tmp_path / "台账.xlsx"), ()),
        ("ledger import", lambda: LedgerImportScreen(park.id, park.name), ()),
        ("import default", lambda: ImportDefaultScreen(["scale", "building"], {}), ()),
        ("quarterly grid", lambda: QuarterlyScreen(park.id), ()),
        ("photo picker", lambda: PhotoPickerScreen("check_result", inspection_id, "B02"), ()),
    ]


async def test_every_character_typed_into_every_text_field_of_every_screen_stays_text(
        store, park, tenant, inspector, key, tmp_path):
    hazards = inspect(store, park, tenant, inspector)
    complete(store, hazards[1:])
    notice_number = issue_rectification_notice(store, hazard_ids=hazards[1:], agency=AGENCY, keys_dir=key,
                                               now=NOW).number
    inspection_id = walked(store, park, tenant, inspector)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        checked = []
        for name, factory, prepare in screens_with_text_fields(store, park, tenant, hazards, notice_number,
                                                               inspection_id, tmp_path):
            screen = factory()
            app.push_screen(screen)
            await settle(app, pilot)
            burst(app, prepare)
            await settle(app, pilot)
            stack = list(app.screen_stack)
            before = written(store)
            fields = text_inputs(screen)
            assert fields, name
            for field in fields:
                field.focus()
                await pilot.pause()
                burst(app, TYPED)
                await pilot.pause()
                assert app.screen_stack == stack, (name, field.id, app.screen)
                assert app.focused is field, (name, field.id)
                assert written(store) == before, (name, field.id)
                checked.append((name, field.id))
            app.pop_screen()  # leave without saving
            await settle(app, pilot)
            assert screen not in app.screen_stack, name
        assert len(checked) >= 30  # every screen above, each of its text fields


# --- item 1: the 五落实 of a 1-hazard inspection opens in 整改责任人 ------------------------------


async def test_the_five_of_a_single_new_hazard_open_in_the_first_field_to_fill_and_take_a_name(
        store, park, tenant, inspector):
    (hazard,) = inspect(store, park, tenant, inspector, codes=("B02",))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = written(store)
        open_rectification(app, [hazard])  # what F on the inspection summary does
        # The name is typed straight after F, before the form has even been built.
        burst(app, [*"Wang", "space", *"Jianguo", "space", *"dny"])
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RectificationScreen)
        # The first field still to fill: the responsible person and phone are offered from the
        # tenant's contact, so that is the measures.
        assert app.focused is screen.query_one("#field-measures", Input)
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
        assert written(store) == before
        # Every key landed in the field, in order; none opened anything.
        assert screen.query_one("#field-measures", Input).value == "Wang Jianguo dny"


async def test_a_complete_hazard_opens_on_its_summary_where_its_letter_keys_act(store, park, tenant, inspector):
    hazards = inspect(store, park, tenant, inspector)
    complete(store, hazards)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazards[0]))
        await settle(app, pilot)
        assert app.focused is app.screen.query_one("#hazard-summary")


# --- confirm dialogs: a stray letter cannot answer ------------------------------------------------


async def test_a_y_typed_before_the_dialog_showed_does_not_answer_it(store, park, tenant, inspector):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        form = TenantFormScreen(park_id=park.id, tenant_id=tenant.id)
        app.push_screen(form)
        await settle(app, pilot)
        burst(app, [*"abc", "escape", *"yy"])  # Esc meant "leave the field"; the name goes on
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)  # discard the changes?
        assert form.query_one("#field-name", Input).value.endswith("abcyy")
        await pilot.press("n")  # read and answered: keep editing
        await settle(app, pilot)
        assert app.screen is form
        typed_ahead = events.Key("y", "y")  # typed before the question is on screen, delivered after
        await pilot.press("escape")
        await settle(app, pilot)
        app.post_message(typed_ahead)
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert form not in app.screen_stack
    assert written_name(store, tenant.id) == tenant.name  # discarded: nothing written


def written_name(store, tenant_id: str) -> str:
    from db.models import Tenant

    with store.read() as session:
        return session.get(Tenant, tenant_id).name


# --- item 2: Tab between fields in a burst, and paste ---------------------------------------------


@pytest.mark.parametrize("opener", ["profile", "tenant form"])
async def test_text_tab_text_tab_text_in_one_burst_fills_three_fields(store, park, opener):
    app = make_app(store, today=TODAY)  # no inspector yet: the first run asks for the profile
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        if opener == "tenant form":
            app.pop_screen()
            app.push_screen(TenantFormScreen(park_id=park.id, tenant_id=None))
            await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ProfileScreen if opener == "profile" else TenantFormScreen)
        burst(app, [*"AAA", "tab", *"BBB", "tab", *"CCC", "shift+tab", *"DD"])
        await settle(app, pilot)
        values = [w.value for w in screen.query(Input)][:3]
        assert values == ["AAA", "DD", "CCC"]  # back in a filled field, typing replaces it (all selected)


async def test_enter_between_fields_in_one_burst_keeps_each_field(store, park):
    """On the forms where Enter goes to the next field (profile, settings), as Tab does."""
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ProfileScreen)
        burst(app, [*"AAA", "enter", *"BBB", "enter", *"CCC"])
        await settle(app, pilot)
        assert [w.value for w in screen.query(Input)][:3] == ["AAA", "BBB", "CCC"]


async def test_ctrl_s_right_after_the_last_character_saves_what_was_typed(store, park):
    """Ctrl+S queued behind the tail of the last field (a fast typist, a scanner's suffix) saves the
    whole text: the save waits for the keys typed before it."""
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        burst(app, [*"Wang", "tab", *"ZJ-2020-0187", "tab", *"平湖市经济和信息化局", "ctrl+s"])
        await settle(app, pilot)
        assert not isinstance(app.screen, ProfileScreen)
    from sqlmodel import select

    from db.models import Inspector
    with store.read() as session:
        saved = session.exec(select(Inspector)).one()
    assert (saved.name, saved.agency) == ("Wang", "平湖市经济和信息化局")


async def test_slash_then_a_name_in_one_burst_searches_and_never_acts_as_the_ledgers_keys(store, park):
    """`/` and the search typed at once (tmux, a fast typist): the letters are the search, and never
    the ledger's keys (m imports, l marks as left, d writes a dossier)."""
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(LedgerScreen(park.id))
        await settle(app, pilot)
        ledger = app.screen
        burst(app, ["slash", *"mld"])
        await settle(app, pilot)
        assert app.screen is ledger and ledger.query_one("#search", Input).value == "mld"


async def test_enter_then_i_in_one_burst_opens_the_park_and_inspects_its_first_tenant(store, park, tenant,
                                                                                      inspector):
    """Enter on the park list and `i` typed at once (bindings.py, rule 8): the ledger opens and the `i`
    is its key, inspecting the first tenant once the rows are there; it is neither typed into the
    ledger's search box nor taken by the park list being left (a common-area inspection)."""
    from inspect_app.screens.park_list import ParkListScreen
    from inspect_app.screens.start_inspection import StartInspectionScreen

    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        burst(app, ["enter", "i"])
        await settle(app, pilot)
        assert isinstance(app.screen, StartInspectionScreen), type(app.screen).__name__
        assert tenant.name in str(app.screen.query_one("#start-subject").render())
        ledger = app.screen_stack[-2]
        assert isinstance(ledger, LedgerScreen) and ledger.query_one("#search", Input).value == ""
        assert [type(s) for s in app.screen_stack[1:-1]] == [ParkListScreen, LedgerScreen]


async def test_two_row_keys_before_the_rows_arrive_open_one_screen(store, park, tenant, inspector):
    """`Enter i i` in one burst: the ledger keeps one waiting row action, so one start dialog opens."""
    from inspect_app.screens.start_inspection import StartInspectionScreen

    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        burst(app, ["enter", "i", "i"])
        await settle(app, pilot)
        assert [type(s) for s in app.screen_stack].count(StartInspectionScreen) == 1


async def test_f_and_the_note_in_one_burst_keep_the_note(store, park, tenant, inspector):
    """`f` and the failure's note typed at once (tmux, a fast typist): the note is kept, and the
    keys after its Enter are the list's again."""
    from inspect_app.services.inspections import load_inspection, start_inspection
    from tests.test_tui_notices import FIRE

    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InspectionScreen(inspection_id))
        await settle(app, pilot)
        burst(app, ["f", *"blocked exit", "enter"])
        await settle(app, pilot)
        burst(app, ["p"])
        await settle(app, pilot)
    first, second = load_inspection(store, inspection_id).results[:2]
    assert (first.outcome, first.note) == ("fail", "blocked exit")
    assert second.outcome == "pass"  # after the note, the keys are the list's again


async def test_a_pasted_or_scanned_credit_code_lands_in_the_focused_field_only(store, park):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.pop_screen()
        form = TenantFormScreen(park_id=park.id, tenant_id=None)
        app.push_screen(form)
        await settle(app, pilot)
        burst(app, [*"甲", "tab"])
        await settle(app, pilot)
        assert app.focused.id == "field-credit_code"
        app.post_message(events.Paste("91330482MA2B3C4D5X\n"))
        # A scanner types the code and its Tab; the person goes on typing in the next field.
        await settle(app, pilot)
        burst(app, ["tab", *"Li"])
        await settle(app, pilot)
        values = {w.id: w.value for w in form.query(Input)}
        assert values["field-name"] == "甲"
        assert values["field-credit_code"] == "91330482MA2B3C4D5X"
        assert values["field-contact_name"] == "Li"
        assert all(v == "" for k, v in values.items() if k not in {"field-name", "field-credit_code",
                                                                  "field-contact_name"})


def test_no_plain_character_binding_is_a_priority_one():
    """Rule 1 of inspect_app/bindings.py: a priority binding would act before a focused field sees the key."""
    import importlib
    import pkgutil

    import inspect_app.screens as screens_package
    from inspect_app.app import ParkInspectApp
    from inspect_app.bindings import is_printable_key

    classes = [ParkInspectApp]
    for module in pkgutil.iter_modules(screens_package.__path__):
        loaded = importlib.import_module(f"inspect_app.screens.{module.name}")
        classes += [c for c in vars(loaded).values() if isinstance(c, type) and hasattr(c, "BINDINGS")]
    offending = [(c.__name__, b.key) for c in classes for b in c.BINDINGS
                 if getattr(b, "priority", False) and any(is_printable_key(k) for k in b.key.split(","))]
    assert offending == []

