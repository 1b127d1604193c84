"""From a finished inspection to an issued notice with few keys (Pilot, 80×24): the 五落实 walk
ending on the notice, Ctrl+S and N in the form, defaults for the five, the summary's deadlines,
`n` on the hazards list, the cursor after a 复查, discarding an unfinished inspection, and the
day's team on the start dialog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Select, SelectionList

from db.errors import UserError
from db.models import AttachmentLink, ChangeLog, CheckResult, Inspection, Inspector, Notice, RectificationItem
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.screens.deadlines import DeadlinesScreen
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.inspection_summary import InspectionSummaryScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.notices import NoticesScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.screens.start_inspection import StartInspectionScreen
from inspect_app.services.attachments import attach_file
from inspect_app.services.hazards import get_hazard, parse_deadline_change
from inspect_app.services.inspections import (
    discard_inspection,
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from tests.conftest import TODAY, tenant_values
from tests.pilot import settle
from tests.test_tui_notices import FIRE, FIVE, SIZE, complete, inspect
from tests.test_tui_notices import inspector as inspector  # noqa: F401 (fixture)
from tests.test_tui_notices import key as key  # noqa: F401 (fixture)
from tests.test_tui_notices import keys as keys  # noqa: F401 (fixture)


@pytest.fixture
def tenant(store, park):
    """A tenant whose ledger has no contact: the responsible person is typed on the first hazard."""
    return save_tenant(store, park_id=park.id,
                       data=TenantInput.model_validate(tenant_values(1, contact_name="", contact_phone="")))


def value(screen, name: str) -> str:
    return screen.query_one(f"#field-{name}", Input).value


def fill(screen, **values: str) -> None:
    for name, text in values.items():
        screen.query_one(f"#field-{name}", Input).value = text


async def walk_from_summary(app, pilot, hazard_ids) -> RectificationScreen:
    """The 五落实 walk as the summary opens it."""
    from inspect_app.screens.inspection import open_rectification

    await settle(app, pilot)
    open_rectification(app, hazard_ids)
    await settle(app, pilot)
    assert isinstance(app.screen, RectificationScreen)
    return app.screen


# --- the walk ends on the notice; Ctrl+S goes on; defaults --------------------------------------------


async def test_the_walk_reuses_what_hazard_one_got_and_ends_on_the_notice(store, park, tenant, inspector, key):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("B02", "D01", "E03"))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        form = await walk_from_summary(app, pilot, hazard_ids)
        assert value(form, "responsible_person") == ""  # no contact in the ledger: typed once, here
        assert form.focused is form.query_one("#field-responsible_person")
        fill(form, **FIVE)
        await pilot.press("ctrl+s")  # in a walk Ctrl+S saves and goes on, as Ctrl+N does
        await settle(app, pilot)
        assert app.screen is form and form.hazard_id == hazard_ids[1]
        assert get_hazard(store, hazard_ids[0], TODAY).missing == []

        # Hazard 2: person, phone and plan come from hazard 1; measures are offered, not filled.
        assert (value(form, "responsible_person"), value(form, "responsible_phone")) == ("张伟", "13812345678")
        assert value(form, "contingency_plan") == FIVE["contingency_plan"]
        assert value(form, "measures") == ""
        assert form.focused is form.query_one("#field-measures")
        await pilot.press(*"清理")  # the first hazard's measures start so: offered as a completion
        await settle(app, pilot)
        measures = form.query_one("#field-measures", Input)
        assert measures._suggestion == FIVE["measures"]
        await pilot.press("right")  # → takes it
        assert measures.value == FIVE["measures"]
        fill(form, funds_yuan="0", funds_reason="自行整改")
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert form.hazard_id == hazard_ids[2]
        fill(form, measures="更换灭火器", funds_yuan="300")
        await pilot.press("ctrl+n")  # the last: on to the notice of the three
        await settle(app, pilot)
        notice = app.screen
        assert isinstance(notice, IssueNoticeScreen)
        assert notice.hazard_ids == hazard_ids
        assert "可以出具" in str(notice.query_one("#notice-missing").render())
    with store.read() as session:
        items = {i.hazard_id: i for i in session.exec(select(RectificationItem))}
    assert {items[h].responsible_person for h in hazard_ids} == {"张伟"}  # the defaults were saved
    assert items[hazard_ids[2]].contingency_plan == FIVE["contingency_plan"]


async def test_the_tenants_contact_is_the_default_responsible_person(store, park, inspector):
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(
        tenant_values(2, contact_name="王建国", contact_phone="13905731234")))
    [hazard_id] = inspect(store, park, tenant, inspector, codes=("B02",))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        form = await walk_from_summary(app, pilot, [hazard_id])
        assert (value(form, "responsible_person"), value(form, "responsible_phone")) == ("王建国", "13905731234")
        assert form.focused is form.query_one("#field-measures")  # the first field still to fill
        value_before = get_hazard(store, hazard_id, TODAY).responsible
        assert value_before is None  # offered, not written until saved


async def test_ctrl_s_on_one_hazard_saves_and_stays(store, park, tenant, inspector):
    [hazard_id] = inspect(store, park, tenant, inspector, codes=("B02",))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        form = app.screen
        fill(form, **FIVE)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form  # saved, and still here to go on (r, d, n…)
        assert "已保存" in str(form.query_one("#form-status").render())
    assert get_hazard(store, hazard_id, TODAY).missing == []


async def test_n_in_the_form_saves_a_valid_form_then_opens_the_notice(store, park, tenant, inspector, key):
    [hazard_id] = inspect(store, park, tenant, inspector, codes=("B02",))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        form = app.screen
        fill(form, **{**FIVE, "responsible_phone": "123"})
        await pilot.press("escape", "n")  # Esc leaves the field; n asks for the notice
        await settle(app, pilot)
        assert app.screen is form  # a refused save: the reason under the field, nothing written
        assert "手机" in str(form.query_one("#row-responsible_phone").query_one(".form-error").render())
        assert get_hazard(store, hazard_id, TODAY).responsible is None
        fill(form, responsible_phone="13812345678")
        form.query_one("#hazard-summary").focus()
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, IssueNoticeScreen)
        assert app.screen.hazard_ids == [hazard_id]
    assert get_hazard(store, hazard_id, TODAY).missing == []


# --- the summary's deadlines -----------------------------------------------------------------------


async def test_the_summary_shows_each_deadline_and_d_changes_them_all(store, park, tenant, inspector):
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    for result in load_inspection(store, inspection_id).results:
        if result.code in ("B02", "D01"):
            record_outcome(store, result.id, "fail", note=f"{result.code} 堆放纸箱")
    pass_remaining(store, inspection_id)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InspectionScreen(inspection_id))
        await settle(app, pilot)
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        summary = app.screen
        assert isinstance(summary, InspectionSummaryScreen)
        lines = [str(line.render()) for line in summary.query(".hazard-line")]
        for line, code in zip(lines, ("B02", "D01"), strict=True):
            preset = TODAY + timedelta(days=FIRE.item(code).deadline_days())
            assert f"期限 {preset.isoformat()}" in line
        await pilot.press("d")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DeadlinesScreen)
        await pilot.press(*"2026-11-25", "enter")  # yesterday: refused, nothing written
        await settle(app, pilot)
        assert app.screen is dialog
        assert "早于今天" in str(dialog.query_one("#deadlines-error").render())
        dialog.query_one("#deadlines-input", Input).value = "+10"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is summary
        wanted = (TODAY + timedelta(days=10)).isoformat()
        assert all(f"期限 {wanted}" in str(line.render()) for line in summary.query(".hazard-line"))
        hazard_ids = [h.id for h in summary.summary.hazards]
    assert {get_hazard(store, h, TODAY).deadline for h in hazard_ids} == {TODAY + timedelta(days=10)}


def test_a_new_deadline_is_a_date_or_plus_days_and_never_before_today():
    assert parse_deadline_change("+15", TODAY) == TODAY + timedelta(days=15)
    assert parse_deadline_change("+ 7 天", TODAY) == TODAY + timedelta(days=7)
    assert parse_deadline_change("2026/12/31", TODAY).isoformat() == "2026-12-31"
    assert parse_deadline_change("+0", TODAY) == TODAY
    for bad in ("", "soon", "-3", "2026-11-25", "2026-13-01"):
        with pytest.raises(UserError):
            parse_deadline_change(bad, TODAY)


# --- the hazards list: one key to the notice, the cursor after a 复查 --------------------------------


async def test_n_on_a_hazard_opens_its_inspections_notice_then_the_notice_list(store, park, tenant, inspector, key):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("B02", "D01"))
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        hazards = app.screen
        assert isinstance(hazards, HazardsScreen)
        assert "通知书" in str(app.screen.query_one("Footer").render()) or any(
            b.key == "n" and b.show for b in hazards._bindings.key_to_bindings.get("n", []))
        await pilot.press("n")  # none issued yet: the issue screen for the inspection's hazards
        await settle(app, pilot)
        issue = app.screen
        assert isinstance(issue, IssueNoticeScreen)
        assert sorted(issue.hazard_ids) == sorted(hazard_ids)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        number = issue.issued.number
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is hazards
        await pilot.press("n")  # issued: the notice list, only this inspection's documents
        await settle(app, pilot)
        listing = app.screen
        assert isinstance(listing, NoticesScreen)
        assert [r.number for r in listing.rows] == [number]
        assert tenant.name in str(listing.query_one("#notices-title").render())


async def test_after_a_reinspection_the_cursor_stays_where_it_was(store, park, tenant, inspector):
    hazard_ids = inspect(store, park, tenant, inspector, codes=("A01", "B02", "D01"))
    complete(store, hazard_ids)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        hazards = app.screen
        table = hazards.query_one("#hazards", DataTable)
        table.move_cursor(row=1)
        second = hazards.rows[1].id
        await pilot.press("r")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ReinspectionScreen)
        dialog.query_one("#reinspection-outcome", Select).value = "not_rectified"
        dialog.query_one("#reinspection-evidence_note", Input).value = "仍未整改"
        dialog.query_one("#reinspection-new_deadline", Input).value = "2027-01-15"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        if app.screen is not hazards:  # the offer of the opinion: not now
            await pilot.press("n")
            await settle(app, pilot)
        assert app.screen is hazards
        assert hazards.selected().id == second  # still open: the cursor stayed on it (it moved down)

        index = table.cursor_row
        following = hazards.rows[index + 1].id if index + 1 < len(hazards.rows) else hazards.rows[index - 1].id
        await pilot.press("r")
        await settle(app, pilot)
        dialog = app.screen
        dialog.query_one("#reinspection-outcome", Select).value = "rectified"
        dialog.query_one("#reinspection-evidence_note", Input).value = "已整改"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        if app.screen is not hazards:
            await pilot.press("n")
            await settle(app, pilot)
        assert second not in [r.id for r in hazards.rows]  # closed: it left the "not closed" list
        assert hazards.selected().id == following  # the row that took its place, not the first row
        assert table.cursor_row == min(index, len(hazards.rows) - 1)


# --- discarding an unfinished inspection ---------------------------------------------------------------


async def test_x_discards_an_unfinished_inspection_after_a_confirm_naming_tenant_and_day(
        store, park, tenant, inspector, tmp_path):
    from PIL import Image

    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    first = load_inspection(store, inspection_id).results[0]
    record_outcome(store, first.id, "fail", note="堆放纸箱")
    photo = tmp_path / "p.png"
    Image.new("RGB", (4, 4)).save(photo)
    attach_file(store, path=photo, owner_table="check_result", owner_id=first.id)
    with store.read() as session:
        started = session.get(Inspection, inspection_id).started_at
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InspectionScreen(inspection_id))
        await settle(app, pilot)
        walk = app.screen
        await pilot.press("X")
        await settle(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        from forms import china_time

        assert tenant.name in confirm.question and china_time.local(started).date().isoformat() in confirm.question
        await pilot.press("n")  # no: nothing happens
        await settle(app, pilot)
        assert app.screen is walk
        await pilot.press("X")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is not walk
    with store.read() as session:
        inspection = session.get(Inspection, inspection_id)
        results = session.exec(select(CheckResult).where(CheckResult.inspection_id == inspection_id)).all()
        links = session.exec(select(AttachmentLink)).all()
        deletes = session.exec(select(ChangeLog).where(ChangeLog.op == "delete")).all()
    assert inspection.deleted and all(r.deleted for r in results) and all(link.deleted for link in links)
    # Each tombstone is a change in the outbox: sync carries the discard to the hub and the other devices.
    assert {(c.table_name, c.row_id) for c in deletes} >= {("inspection", inspection_id),
                                                           *(("check_result", r.id) for r in results),
                                                           *(("attachment_link", link.id) for link in links)}


def test_a_finished_inspection_can_never_be_discarded(store, park, tenant, inspector):
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    pass_remaining(store, inspection_id)
    finish_inspection(store, inspection_id, today=TODAY)
    with pytest.raises(UserError) as refused:
        discard_inspection(store, inspection_id)
    assert refused.value.key == "errors.inspection_discard_finished"
    with store.read() as session:
        assert not session.get(Inspection, inspection_id).deleted
        assert session.exec(select(Notice)).all() == []


# --- the team of the day ---------------------------------------------------------------------------------


async def test_the_second_inspector_is_remembered_for_the_day(store, park, inspector):
    with store.transaction() as session:
        colleague = Inspector(name="王芳", id_number="33048220200187", agency="平湖市经济和信息化局")
        session.add(colleague)
    first, second = (save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
                     for n in (3, 4))

    async def start(today, tenant) -> list[str]:
        app = make_app(store, today=today)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.push_screen(StartInspectionScreen(park_id=park.id, tenant_id=tenant.id, subject=tenant.name))
            await settle(app, pilot)
            dialog = app.screen
            selected = list(dialog.query_one("#start-inspectors", SelectionList).selected)
            dialog.query_one("#start-inspectors", SelectionList).select(colleague.id)  # the pair of the day
            await pilot.press("enter")
            await settle(app, pilot)
            assert not isinstance(app.screen, StartInspectionScreen)  # started
        return selected

    assert await start(TODAY, first) == [inspector.id]  # the day's first inspection: only me
    assert sorted(await start(TODAY, second)) == sorted([inspector.id, colleague.id])  # remembered
    with store.read() as session:
        discard = session.exec(select(Inspection.id).where(Inspection.tenant_id == second.id)).one()
    discard_inspection(store, discard)
    assert await start(TODAY + timedelta(days=1), second) == [inspector.id]  # a new day: asked again
