"""The issue's end-to-end test: an inspector's day, then the re-inspection weeks later, all in the TUI.

A demo-like tenant is inspected from the ledger with two failures; the summary goes on to the
五落实 of both hazards; later (a new app, a later 'today') one hazard is re-inspected as
rectified and the other as not rectified with a new deadline. Database state and audit events
are checked at the end.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select
from textual.widgets import DataTable, Input, Select

from db.models import AuditEvent, Hazard, Inspection, RectificationItem, Reinspection
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from inspect_app.app import make_app
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.inspection_summary import InspectionSummaryScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.screens.reinspection import ReinspectionScreen
from inspect_app.services.demo import generate_demo
from inspect_app.services.hazards import get_hazard
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY
from tests.pilot import settle

SIZE = (80, 24)
CODES = list(builtin_templates()["fire_safety"].codes())
FIVE = {
    "responsible_person": "张伟",
    "responsible_phone": "13812345678",
    "measures": "清理通道，搬离纸箱",
    "funds_yuan": "0",
    "funds_reason": "自行整改，无需资金",
    "contingency_plan": "整改期间专人值守，配备灭火器",
}



async def fail_current(walk: InspectionScreen, pilot, note: str) -> None:
    await pilot.press("f")
    await pilot.pause()
    walk.query_one("#editor-input", Input).value = note
    await pilot.press("enter")
    await pilot.pause()


async def test_inspect_fill_five_implementations_then_reinspect(store):
    generate_demo(store, parks=1, tenants_per_park=3, seed=7, today=TODAY)
    me = save_profile(
        store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局")
    )

    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the park's ledger
        await settle(app, pilot)
        ledger = app.screen
        assert isinstance(ledger, LedgerScreen)
        tenant = ledger.rows[0]
        await pilot.press("i")
        await settle(app, pilot)
        if not isinstance(app.screen, InspectionScreen):  # the start dialog (a resumed one skips it)
            await pilot.press("enter")
            await settle(app, pilot)
        walk = app.screen
        assert isinstance(walk, InspectionScreen)
        walk.query_one("#items", DataTable).move_cursor(row=CODES.index("B02"))
        await fail_current(walk, pilot, "二楼疏散通道堆放纸箱")
        walk.query_one("#items", DataTable).move_cursor(row=CODES.index("D01"))
        await fail_current(walk, pilot, "仓库电线私拉乱接")
        await pilot.press("P", "y")  # everything else passes
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert isinstance(app.screen, InspectionSummaryScreen)
        await pilot.press("enter")  # 填写五落实
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, RectificationScreen)
        first, second = form.hazard_ids
        for deadline in ("2026-12-10", "2026-12-20"):
            for name, value in {**FIVE, "deadline": deadline}.items():
                form.query_one(f"#field-{name}", Input).value = value
            await pilot.press("ctrl+n")
            await settle(app, pilot)
        assert isinstance(app.screen, IssueNoticeScreen)  # after the last 五落实: the notice
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)

    later = date(2026, 12, 21)
    app = make_app(store, today=later)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        hazards = app.screen
        assert isinstance(hazards, HazardsScreen)
        assert get_hazard(store, second, later).status == "overdue"
        for hazard_id, outcome in ((first, "rectified"), (second, "not_rectified")):
            hazards.query_one("#hazards", DataTable).move_cursor(
                row=[r.id for r in hazards.rows].index(hazard_id)
            )
            await pilot.press("r")
            await settle(app, pilot)
            dialog = app.screen
            assert isinstance(dialog, ReinspectionScreen)
            dialog.query_one("#reinspection-outcome", Select).value = outcome
            dialog.query_one("#reinspection-evidence_note", Input).value = "现场复查"
            if outcome == "not_rectified":
                dialog.query_one("#reinspection-new_deadline", Input).value = "2027-01-15"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is hazards

    with store.read() as session:
        [inspection] = [
            i
            for i in session.exec(
                select(Inspection).where(Inspection.tenant_id == tenant.id, Inspection.status == "finished")
            )
            if me.id in i.inspector_ids
        ]
        mine = session.exec(select(Hazard).where(Hazard.inspection_id == inspection.id)).all()
        items = {
            i.hazard_id: i
            for i in session.exec(
                select(RectificationItem).where(RectificationItem.hazard_id.in_([first, second]))
            )
        }
        outcomes = {
            r.outcome: r
            for r in session.exec(
                select(Reinspection).where(
                    Reinspection.rectification_item_id.in_([i.id for i in items.values()])
                )
            )
        }
        events = session.exec(
            select(AuditEvent).where(AuditEvent.row_id.in_([first, second, *[i.id for i in items.values()]]))
        ).all()
    assert sorted(h.id for h in mine) == sorted([first, second])
    assert (items[first].status, items[first].closed_on) == ("closed", later)
    assert (items[second].status, items[second].deadline) == ("open", date(2027, 1, 15))
    assert items[first].measures == "清理通道，搬离纸箱" and items[first].funds_reason == "自行整改，无需资金"
    assert set(outcomes) == {"rectified", "not_rectified"}
    assert all(r.inspector_ids == [me.id] and r.inspected_on == later for r in outcomes.values())
    assert get_hazard(store, second, later + timedelta(days=30)).status == "overdue"
    changes = {(e.table_name, e.action) for e in events}
    assert {
        ("hazard", "insert"),
        ("rectification_item", "insert"),
        ("rectification_item", "update"),
        ("hazard", "update"),
    } <= changes
    closing = [
        e
        for e in events
        if e.after and e.after.get("status") == "closed" and e.table_name == "rectification_item"
    ]
    assert closing and closing[0].before["status"] == "open" and closing[0].actor_id == me.id
    assert all(e.origin_device == store.device_id for e in events)
