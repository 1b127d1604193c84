"""Inspection tasks where the work is done: the laptop's task list, starting an inspection from a
task, and how a plan stands (done / in progress / overdue / missed per inspector and park).

A task's status is computed at reading, against a day in China time (`today`, injectable), never
stored — so no device writes it and no sync can disagree about it:

- done: the inspection started from the task is finished (also when finished after the window);
- in_progress: started, not finished, the window not past; overdue: the same after `complete_by`;
- missed: nothing started and `complete_by` has passed;
- upcoming: before `window_start`; open: in the window, not started.

A task is linked to the inspection started from it (`inspection_task.inspection_id`, the one field
a park's laptop may write on a task). `start_task_inspection` resumes the tenant's unfinished
inspection when there is one (also one started before a cut between starting and linking), so a
task never gets two inspections.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from db.errors import UserError
from db.models import Inspection, InspectionTask
from db.store import Store
from db.task_queries import inspector_names, task_records
from forms import china_time
from forms.checklist import ChecklistTemplate
from inspect_app.services import office_role
from inspect_app.services.inspections import start_inspection, unfinished_inspection
from inspect_app.services.plans import find_plan

STATUSES = ("done", "in_progress", "overdue", "missed", "open", "upcoming")
# A floor written in the unit: "3F-301", "3层", "3楼"; else a room number's hundreds ("301" -> 3).
_FLOOR_WORD = re.compile(r"(?i)(-?\d+)\s*(?:f|层|楼|l(?=\d|\b))")
_ROOM = re.compile(r"(\d{3,4})")


def task_status(*, inspection_status: str | None, window_start: date, complete_by: date, today: date) -> str:
    if inspection_status == "finished":
        return "done"
    if inspection_status is not None:
        return "overdue" if today > complete_by else "in_progress"
    if today > complete_by:
        return "missed"
    return "upcoming" if today < window_start else "open"


def floor_of(unit_no: str | None) -> int | None:
    """The floor a unit is on, when its number says it; None otherwise."""
    if not unit_no:
        return None
    word = _FLOOR_WORD.search(unit_no)
    if word:
        return int(word.group(1))
    room = _ROOM.search(unit_no)
    return int(room.group(1)) // 100 if room else None


@dataclass(frozen=True)
class TaskRow:
    id: str
    plan_name: str
    park_id: str
    park_name: str
    tenant_id: str
    tenant_name: str
    credit_code: str
    building: str
    floor: int | None
    unit_no: str
    inspector_ids: list[str]
    inspectors: list[str]  # names
    window_start: date
    complete_by: date
    inspection_id: str | None
    status: str


def _rows(conn, today: date, **where) -> list[TaskRow]:
    names = inspector_names(conn)
    return [TaskRow(
        id=r.id, plan_name=r.plan_name, park_id=r.park_id, park_name=r.park_name, tenant_id=r.tenant_id,
        tenant_name=r.tenant_name, credit_code=r.credit_code, building=r.building or "", floor=floor_of(r.unit_no),
        unit_no=r.unit_no or "", inspector_ids=r.inspector_ids, inspectors=[names.get(i, i) for i in r.inspector_ids],
        window_start=r.window_start, complete_by=r.complete_by, inspection_id=r.inspection_id,
        status=task_status(inspection_status=r.inspection_status, window_start=r.window_start,
                           complete_by=r.complete_by, today=today))
        for r in task_records(conn, **where)]


def device_tasks(store: Store, *, inspector_id: str | None = None, park_ids: list[str] | None = None,
                 today: date | None = None, limit: int | None = None) -> list[TaskRow]:
    """The tasks this device holds (sync brings only its parks'), optionally only one inspector's or
    some parks', ordered by park, building, floor and unit: the order of a walk through the park.
    `limit`: only the first ones, read without building the others (a screen's first rows)."""
    today = today or china_time.today()
    with store.read_connection() as conn:
        return _rows(conn, today, park_ids=park_ids, inspector_id=inspector_id, floor=floor_of, limit=limit)


def grouped_tasks(rows: list[TaskRow]) -> dict[str, dict[str, dict[int | None, list[TaskRow]]]]:
    """{park name: {building: {floor: [tasks]}}} in the rows' order (dicts keep insertion order)."""
    grouped: dict[str, dict[str, dict[int | None, list[TaskRow]]]] = {}
    for row in rows:
        grouped.setdefault(row.park_name, {}).setdefault(row.building, {}).setdefault(row.floor, []).append(row)
    return grouped


def start_task_inspection(store: Store, task_id: str, template: ChecklistTemplate,
                          inspector_ids: list[str] | None = None) -> str:
    """Start (or resume) the inspection of the task's tenant and link it to the task; its id."""
    with store.read() as session:
        task = session.get(InspectionTask, task_id)
        if task is None or task.deleted:
            raise UserError("plans.unknown_task")
        linked = session.get(Inspection, task.inspection_id) if task.inspection_id else None
        if linked is not None and not linked.deleted:
            return linked.id
        park_id, tenant_id, assigned = task.park_id, task.tenant_id, list(task.inspector_ids)
    inspection_id = unfinished_inspection(store, park_id=park_id, tenant_id=tenant_id)
    if inspection_id is None:
        inspection_id = start_inspection(store, park_id=park_id, tenant_id=tenant_id, template=template,
                                         inspector_ids=inspector_ids or assigned)
    with store.transaction() as session:
        session.get(InspectionTask, task_id).inspection_id = inspection_id
    return inspection_id


# --- a plan's standing ----------------------------------------------------------------------------


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict:
        return {"total": self.total, **{s: self.counts.get(s, 0) for s in STATUSES}}


@dataclass(frozen=True)
class PlanStatus:
    plan: str
    today: date
    total: Tally
    by_inspector: dict[str, Tally]  # inspector name -> tally
    by_park: dict[str, Tally]  # park name -> tally
    tasks: list[TaskRow]

    def as_json(self) -> dict:
        return {"plan": self.plan, "today": self.today.isoformat(), "total": self.total.as_json(),
                "by_inspector": {k: v.as_json() for k, v in self.by_inspector.items()},
                "by_park": {k: v.as_json() for k, v in self.by_park.items()},
                "tasks": [{"park": r.park_name, "tenant": r.tenant_name, "credit_code": r.credit_code,
                           "inspectors": r.inspectors, "window_start": r.window_start.isoformat(),
                           "complete_by": r.complete_by.isoformat(), "status": r.status} for r in self.tasks]}


def plan_status(store: Store, name: str, *, today: date | None = None) -> PlanStatus:
    """How a plan stands, per inspector and park: the office's view (a laptop has `device_tasks`)."""
    office_role.require_office(store, "plans")
    today = today or china_time.today()
    with store.read() as session:
        plan = find_plan(session, name)
    with store.read_connection() as conn:
        rows = _rows(conn, today, plan_id=plan.id)
    total, by_inspector, by_park = Tally(), {}, {}
    for row in rows:
        total.counts[row.status] += 1
        by_park.setdefault(row.park_name, Tally()).counts[row.status] += 1
        for inspector in row.inspectors:
            by_inspector.setdefault(inspector, Tally()).counts[row.status] += 1
    return PlanStatus(plan=name, today=today, total=total, by_inspector=dict(sorted(by_inspector.items())),
                      by_park=dict(sorted(by_park.items())), tasks=rows)
