"""Plans over sync, through a real hub on loopback: tasks reach a park-limited laptop only for its
parks; only the office writes plans, draws, recusals and tasks (the hub refuses `office_only`);
a laptop links the inspection it started from a task; a draw is never changed at the hub."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlmodel import select

from db.models import Inspection, InspectionPlan, InspectionTask, PlanDraw, PlanRecusal, RejectedChange
from forms.checklist import builtin_templates
from inspect_app.hub.storage import enrol_device
from inspect_app.services.office_role import set_role
from inspect_app.services.plan_tasks import device_tasks, plan_status, start_task_inspection
from inspect_app.services.plans import PlanInput, create_plan, draw_plan
from inspect_app.sync.client import sync_once
from tests.test_hub import add_inspector, add_park

TODAY = date(2027, 1, 5)


@pytest.fixture
def hub(loopback_hub):
    """The hub on loopback, once on SQLite and once on PostgreSQL (tests/sync_fixtures.py)."""
    return loopback_hub


def test_tasks_reach_only_their_parks_laptop_and_only_the_office_plans(hub, devices):
    office, laptop = devices.new("office"), devices.new("laptop")
    set_role(office, "office")
    office_token = enrol_device(hub.state.engine, "office")[1]
    first, second = add_park(office, "PH-001"), add_park(office, "PH-002", n=2)
    for name in ("张三", "李四"):
        add_inspector(office, name)
    sync_once(office, hub.state.base, office_token)
    laptop_token = enrol_device(hub.state.engine, "laptop", ["PH-002"])[1]
    sync_once(laptop, hub.state.base, laptop_token)

    # The tenants of add_park have an open hazard without a deadline: no 复查 due, both drawn.
    create_plan(office, PlanInput(name="Q1", period="2027Q1", park_codes=["PH-001", "PH-002"], count=2))
    draw_plan(office, "Q1", "seed", today=TODAY)
    summary = sync_once(office, hub.state.base, office_token)
    assert summary.rejected == 0
    sync_once(laptop, hub.state.base, laptop_token)

    rows = device_tasks(laptop, today=TODAY)
    assert [r.tenant_id for r in rows] == [second["tenant"]]  # its park's task only
    with laptop.read() as session:
        assert [p.name for p in session.exec(select(InspectionPlan))] == ["Q1"]  # shared: tasks name it
        assert session.exec(select(PlanDraw)).all() == []  # the register stays at the office
        assert session.exec(select(InspectionTask).where(InspectionTask.park_id == first["park"])).all() == []

    # The laptop starts the inspection from its task; the link reaches the office.
    inspection_id = start_task_inspection(laptop, rows[0].id, builtin_templates()["fire_safety"])
    with laptop.transaction() as session:
        session.get(Inspection, inspection_id).status = "finished"
    assert sync_once(laptop, hub.state.base, laptop_token).rejected == 0
    sync_once(office, hub.state.base, office_token)
    status = plan_status(office, "Q1", today=date(2027, 4, 1))
    assert status.total.counts == {"done": 1, "missed": 1}

    # A laptop may not plan: its service refuses (it knows its parks from /me) …
    from db.errors import UserError

    with pytest.raises(UserError):
        create_plan(laptop, PlanInput(name="mine", period="2027Q1", park_codes=["PH-002"], count=1))
    # … and the hub refuses what it writes anyway: a plan, a recusal, a change of its task's inspectors.
    with laptop.transaction() as session:
        session.add(InspectionPlan(name="mine", period="2027Q1", park_ids=[second["park"]], draw_count=1,
                                   weights={}, inspector_ids=[], window_start=TODAY, complete_by=TODAY))
        session.add(PlanRecusal(inspector_id="x", street="钟埭街道", reason="住在这里"))
        session.get(InspectionTask, rows[0].id).inspector_ids = ["someone"]
    sync_once(laptop, hub.state.base, laptop_token)
    with laptop.read() as session:
        codes = sorted(r.code for r in session.exec(select(RejectedChange)))
    assert codes == ["office_only"] * 3
    sync_once(office, hub.state.base, office_token)
    with office.read() as session:
        assert [p.name for p in session.exec(select(InspectionPlan))] == ["Q1"]
        assert session.get(InspectionTask, rows[0].id).inspector_ids != ["someone"]


def test_the_hub_refuses_a_second_draw_and_any_change_of_one(hub, devices):
    office = devices.new("office")
    set_role(office, "office")
    token = enrol_device(hub.state.engine, "office")[1]
    add_park(office, "PH-001")
    for name in ("张三", "李四"):
        add_inspector(office, name)
    create_plan(office, PlanInput(name="Q1", period="2027Q1", park_codes=["PH-001"], count=1))
    draw_plan(office, "Q1", "seed", today=TODAY)
    sync_once(office, hub.state.base, token)
    with office.read() as session:
        draw = session.exec(select(PlanDraw)).one()
    device_id = office.device_id
    update = {"device_id": device_id, "device_seq": 10_000, "table": "plan_draw", "row_id": draw.id, "op": "update",
              "hlc": office.clock.tick(), "payload": {"seed": "other"},
              "base": {"seed": draw.hlc}}
    second = {"device_id": device_id, "device_seq": 10_001, "table": "plan_draw", "row_id": "0190aaaa-0000-7000-8000-000000000001",
              "op": "insert", "hlc": office.clock.tick(), "base": {},
              "payload": {**_row_payload(draw), "id": "0190aaaa-0000-7000-8000-000000000001", "seed": "again"}}
    with httpx.Client(base_url=hub.state.base, headers={"Authorization": f"Bearer {token}"}) as http:
        answer = http.post("/api/v1/push", json={"changes": [update, second]}).json()
    assert sorted(r["code"] for r in answer["rejected"]) == ["append_only", "duplicate_key"]


def _row_payload(draw: PlanDraw) -> dict:
    from db.changelog import row_values

    return row_values(draw)
