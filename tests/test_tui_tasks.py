"""The laptop's task screen (今日任务) and the office's review queue, driven with Pilot on small data:
tasks grouped and ordered, Enter starts an inspection linked to the task, a finished one shows done,
a passed window shows missed, the office's return comment on the task row and on the 五落实 header;
the review queue approves one request, returns another with a comment and lists change requests."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from db.models import Hazard, Inspection, InspectionTask, NoticeReview
from forms.inspector import InspectorInput
from inspect_app.app import make_app
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.screens.review_queue import ReviewQueueScreen
from inspect_app.screens.tasks import TasksScreen
from inspect_app.services import notice_review
from inspect_app.services.office_role import set_role
from inspect_app.services.plan_tasks import device_tasks
from inspect_app.services.plans import draw_plan
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY
from tests.pilot import settle
from tests.test_notices import hazards_of_a_tenant, inspector  # noqa: F401
from tests.test_plans import _plan, office  # noqa: F401

IN_WINDOW = date(2027, 2, 1)
SIZE = (120, 40)


def drawn(store, count: int = 12) -> None:
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市消防救援大队"))
    _plan(store, count=count)
    draw_plan(store, "2027年一季度", "2027-01-04 公证 7391", today=TODAY)


def cells(table, column: str) -> list[str]:
    return [str(c) for c in table.get_column(column)]


async def open_tasks(app, pilot):
    await settle(app, pilot)
    await pilot.press("k")  # from the park list, one key
    await settle(app, pilot)
    assert isinstance(app.screen, TasksScreen)
    return app.screen.query_one("#tasks")


async def test_tasks_are_listed_grouped_in_walking_order_and_enter_starts_a_linked_inspection(office):  # noqa: F811
    drawn(office)
    app = make_app(office, today=IN_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tasks(app, pilot)
        rows = device_tasks(office, today=IN_WINDOW)
        assert [str(k.value) for k in table.rows] == [r.id for r in rows]  # park, building, floor, unit
        parks = cells(table, "park")
        assert [p for p in parks if p] == ["园区PH-001", "园区PH-002"]  # each park named once, on its first row
        assert parks.index("园区PH-002") == sum(r.park_name == "园区PH-001" for r in rows)
        assert cells(table, "place")[0] == "1号楼 1 层"
        assert set(cells(table, "status")) == {"未开始"}
        assert cells(table, "window")[0] == "2027-01-01 至 2027-03-31"
        assert all("、" in c for c in cells(table, "inspectors"))  # two inspectors per task

        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InspectionScreen)
        with office.read() as session:
            task = session.get(InspectionTask, rows[1].id)
            inspection = session.get(Inspection, task.inspection_id)
        assert inspection.tenant_id == rows[1].tenant_id and inspection.inspector_ids == rows[1].inspector_ids
        with office.transaction() as session:  # finished (the checklist's own finish is tested elsewhere)
            finished = session.get(Inspection, inspection.id)
            finished.status = "finished"
        app.pop_screen()
        await settle(app, pilot)
        assert cells(table, "status")[1] == "已完成"
        assert cells(table, "status").count("未开始") == len(rows) - 1
        await pilot.press("enter")  # the done task again: its inspection, not a second one
        await settle(app, pilot)
        with office.read() as session:
            assert len(session.exec(select(Inspection)).all()) == 1


async def test_the_first_screenful_comes_alone_then_the_rest_and_a_reload_keeps_the_cursor(office, monkeypatch):  # noqa: F811
    from inspect_app.screens import tasks as tasks_screen

    monkeypatch.setattr(tasks_screen, "FIRST_ROWS", 5)
    monkeypatch.setattr(tasks_screen, "CHUNK", 3)
    drawn(office)
    rows = device_tasks(office, today=IN_WINDOW)
    shown: list[tuple[int, bool]] = []
    real_show = TasksScreen.show

    def show(screen, got, notes, *, complete=True):
        shown.append((len(got), complete))
        real_show(screen, got, notes, complete=complete)

    monkeypatch.setattr(TasksScreen, "show", show)
    app = make_app(office, today=IN_WINDOW)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_tasks(app, pilot)
        assert shown == [(5, False), (12, True)]  # the first screenful read alone, then every task
        assert [str(k.value) for k in table.rows] == [r.id for r in rows]  # added in chunks, in order
        table.move_cursor(row=9)
        shown.clear()
        app.screen.reload()  # read again (as after a sync): same rows, the cursor stays on its task
        await settle(app, pilot)
        assert shown == [(5, False), (12, True)]
        assert table.cursor_row == 9 and table.row_count == 12
        with office.transaction() as session:  # a task beyond the first screenful changes
            session.get(InspectionTask, rows[11].id).window_start = date(2027, 1, 2)
        app.screen.reload()
        await settle(app, pilot)
        assert table.cursor_row == 9 and table.row_count == 12
        assert cells(table, "window")[11] == "2027-01-02 至 2027-03-31"


async def test_a_task_whose_window_has_passed_shows_missed(office):  # noqa: F811
    drawn(office, count=3)
    app = make_app(office, today=date(2027, 4, 1))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tasks(app, pilot)
        assert cells(table, "status") == ["已错过"] * 3
        assert "错过 3" in str(app.screen.query_one("#tasks-status").render())
    app = make_app(office, today=date(2027, 3, 31))  # the last day of the window: still open
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tasks(app, pilot)
        assert cells(table, "status") == ["未开始"] * 3


async def test_the_offices_return_comment_shows_on_the_task_and_the_five_header(office):  # noqa: F811
    drawn(office, count=2)
    task = device_tasks(office, today=IN_WINDOW)[0]
    with office.transaction() as session:
        inspection = Inspection(park_id=task.park_id, tenant_id=task.tenant_id, template_id="fire_safety",
                                template_version="1", status="finished", inspector_ids=task.inspector_ids)
        session.add(inspection)
        session.flush()
        session.get(InspectionTask, task.id).inspection_id = inspection.id
        hazard = Hazard(park_id=task.park_id, tenant_id=task.tenant_id, inspection_id=inspection.id,
                        location="1号楼", description="疏散通道堵塞", severity="major", found_on=IN_WINDOW)
        session.add(hazard)
        session.flush()
        session.add(NoticeReview(park_id=task.park_id, inspection_id=inspection.id, kind="notice",
                                 hazard_ids=[hazard.id], state="returned", comment="期限过长，请缩短"))
        hazard_id = hazard.id
    app = make_app(office, today=IN_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tasks(app, pilot)
        assert cells(table, "tenant")[0].startswith("⚑") and not cells(table, "tenant")[1].startswith("⚑")
        assert "期限过长，请缩短" in str(app.screen.query_one("#tasks-detail").render())
        app.push_screen(RectificationScreen(hazard_id))
        await settle(app, pilot)
        assert "办公室意见：期限过长，请缩短" in str(app.screen.query_one("#hazard-summary").render())


async def test_the_review_queue_approves_one_returns_one_and_lists_change_requests(store, park, inspector):  # noqa: F811
    set_role(store, "office")
    first = hazards_of_a_tenant(store, park, inspector, 1)
    second = hazards_of_a_tenant(store, park, inspector, 2)
    approve_id = notice_review.submit_for_review(store, first, TODAY)
    return_id = notice_review.submit_for_review(store, second, TODAY)
    with store.read() as session:
        inspection_id = session.get(Hazard, first[0]).inspection_id
    changes_id = notice_review.request_changes(store, inspection_id, "照片不清楚")
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReviewQueueScreen)
        assert [r.id for r in screen.rows] == [approve_id, return_id, changes_id]
        assert "要求修改" in str(screen.query_one("#review-table").get_row_at(2)[0])

        await pilot.press("a")
        await settle(app, pilot)
        assert [r.id for r in screen.rows] == [return_id, changes_id]
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press(*"请补充应急预案", "enter")
        await settle(app, pilot)
        assert [r.id for r in screen.rows] == [changes_id]
        await pilot.press("a")  # a change request is not approved: it waits for the inspector
        await settle(app, pilot)
        assert "检查员" in str(screen.query_one("#review-status").render())
        assert "照片不清楚" in str(screen.query_one("#review-detail").render())
    with store.read() as session:
        states = {r.id: (r.state, r.comment) for r in session.exec(select(NoticeReview))}
    assert states[approve_id][0] == "approved"
    assert states[return_id] == ("returned", "请补充应急预案")
    assert states[changes_id][0] == "open"
