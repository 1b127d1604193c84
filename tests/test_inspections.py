"""Inspections, hazards and 五落实 through the services, as the TUI and CLI use them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from db.errors import UserError
from db.models import AuditEvent, ChangeLog, CheckResult, Hazard, Inspection, RectificationItem, Reinspection
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from forms.rectification import HazardInput, RectificationInput
from forms.tenant import TenantInput
from inspect_app.services.hazards import (
    HazardQuery,
    ensure_ready_for_notice,
    get_hazard,
    list_hazards,
    mark_pending_review,
    record_reinspection,
    save_hazard,
    save_rectification,
)
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
    unfinished_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values

FIRE = builtin_templates()["fire_safety"]
COMPLETE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理通道堆放物",
            "funds_yuan": "0", "funds_reason": "自行整改，无需资金", "deadline": "2026-12-10",
            "contingency_plan": "整改期间专人值守，配备灭火器"}


@pytest.fixture
def inspector(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


@pytest.fixture
def tenant(store, park):
    return save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def inspect_with_failures(store, park, tenant, inspector, codes=("B02", "D01")) -> list[str]:
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    view = load_inspection(store, inspection_id)
    for result in view.results:
        if result.code in codes:
            record_outcome(store, result.id, "fail", note=f"{result.code}：现场发现")
    pass_remaining(store, inspection_id)
    return finish_inspection(store, inspection_id, today=TODAY)


def test_starting_copies_every_template_item_into_the_inspection(store, park, tenant, inspector):
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    view = load_inspection(store, inspection_id)
    assert [r.code for r in view.results] == list(FIRE.codes())
    assert view.results[0].text == FIRE.items[0].text("zh_CN")
    assert view.subject == tenant.name and view.inspector_names == ["李明"]
    assert unfinished_inspection(store, park_id=park.id, tenant_id=tenant.id) == inspection_id


def test_finishing_turns_each_failure_into_a_hazard_with_a_default_deadline(store, park, tenant, inspector):
    hazard_ids = inspect_with_failures(store, park, tenant, inspector)
    assert len(hazard_ids) == 2
    rows, total = list_hazards(store, HazardQuery(today=TODAY))
    assert total == 2
    by_code = {r.description.split("：")[0]: r for r in rows}
    blocked = by_code["B02"]
    assert blocked.deadline == TODAY + timedelta(days=FIRE.item("B02").deadline_days())
    assert blocked.status in ("open", "overdue") and blocked.missing
    assert unfinished_inspection(store, park_id=park.id, tenant_id=tenant.id) is None


def test_a_failure_without_a_note_says_the_requirement_is_not_met(store, park, tenant, inspector):
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    first = load_inspection(store, inspection_id).results[0]
    record_outcome(store, first.id, "fail")
    pass_remaining(store, inspection_id)
    [hazard_id] = finish_inspection(store, inspection_id, today=TODAY)
    assert get_hazard(store, hazard_id, TODAY).description == f"不符合要求：{first.text}"


def test_an_inspection_with_unanswered_items_cannot_finish_and_writes_nothing(store, park, tenant, inspector):
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    before = count(store, ChangeLog)
    with pytest.raises(UserError) as refused:
        finish_inspection(store, inspection_id, today=TODAY)
    assert refused.value.values["count"] == len(FIRE.items)
    assert count(store, ChangeLog) == before
    assert count(store, Hazard) == 0


def test_a_tenant_checklist_is_refused_for_common_areas_only_when_it_does_not_apply(store, park, inspector):
    ledger = builtin_templates()["ledger_verification"]
    if "common_area" in ledger.applies_to:
        pytest.skip("the ledger verification template applies to common areas too")
    with pytest.raises(UserError):
        start_inspection(store, park_id=park.id, tenant_id=None, template=ledger, inspector_ids=[inspector.id])


def test_incomplete_five_implementations_block_the_notice_naming_what_is_missing(store, park, tenant, inspector):
    first, second = inspect_with_failures(store, park, tenant, inspector)
    save_rectification(store, first, RectificationInput.model_validate(COMPLETE), today=TODAY)
    partial = {**COMPLETE, "contingency_plan": "", "responsible_phone": ""}
    save_rectification(store, second, RectificationInput.model_validate(partial), today=TODAY)
    before = count(store, ChangeLog)
    with pytest.raises(UserError) as refused:
        ensure_ready_for_notice(store, [first, second], TODAY)
    message = refused.value.message()
    assert "隐患2" in message and "整改预案" in message and "整改责任" in message and "隐患1" not in message
    assert "contingency plan" in refused.value.message("en")
    assert count(store, ChangeLog) == before
    save_rectification(store, second, RectificationInput.model_validate(COMPLETE), today=TODAY)
    ensure_ready_for_notice(store, [first, second], TODAY)


def test_reinspection_closes_a_rectified_item_and_reschedules_one_that_is_not(store, park, tenant, inspector):
    first, second = inspect_with_failures(store, park, tenant, inspector)
    for hazard_id in (first, second):
        save_rectification(store, hazard_id, RectificationInput.model_validate(COMPLETE), today=TODAY)
    later = date(2026, 12, 12)
    record_reinspection(store, first, outcome="rectified", on=later, evidence_note="通道已清理",
                        new_deadline=None, inspector_ids=[inspector.id])
    with pytest.raises(UserError):
        record_reinspection(store, second, outcome="not_rectified", on=later, evidence_note=None,
                            new_deadline=later, inspector_ids=[inspector.id])
    record_reinspection(store, second, outcome="not_rectified", on=later, evidence_note="仍有私拉电线",
                        new_deadline=date(2026, 12, 31), inspector_ids=[inspector.id])
    closed, reopened = get_hazard(store, first, later), get_hazard(store, second, later)
    assert (closed.status, reopened.status, reopened.deadline) == ("closed", "open", date(2026, 12, 31))
    assert get_hazard(store, second, date(2027, 1, 1)).status == "overdue"
    with store.read() as session:
        assert session.get(Hazard, first).status == "closed"
        assert len(session.exec(select(Reinspection)).all()) == 2
        audits = session.exec(select(AuditEvent).where(AuditEvent.table_name == "rectification_item",
                                                      AuditEvent.action == "update")).all()
    closing = [a for a in audits if a.after.get("status") == "closed"]
    assert closing and closing[0].before["status"] == "open" and closing[0].actor_id == inspector.id
    with pytest.raises(UserError):
        record_reinspection(store, first, outcome="rectified", on=later, evidence_note=None, new_deadline=None,
                            inspector_ids=[inspector.id])


def test_creating_inspection_records_is_audited_with_who_and_where(store, park, tenant, inspector):
    [hazard_id] = inspect_with_failures(store, park, tenant, inspector, codes=("B02",))
    with store.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.row_id == hazard_id)).one()
    assert (event.action, event.actor_id, event.origin_device) == ("insert", inspector.id, store.device_id)
    assert event.after["severity"] == "general" and event.before is None


def test_hazard_list_filters_by_status_severity_and_park(store, park, tenant, inspector):
    first, second = inspect_with_failures(store, park, tenant, inspector)
    mark_pending_review(store, first)
    late = date(2027, 6, 1)
    assert [r.id for r in list_hazards(store, HazardQuery(status="pending_review", today=late))[0]] == [first]
    assert [r.id for r in list_hazards(store, HazardQuery(status="overdue", today=late))[0]] == [second]
    assert list_hazards(store, HazardQuery(status="overdue", today=TODAY))[1] == 0
    assert list_hazards(store, HazardQuery(severity="major", today=TODAY))[1] == 0
    assert list_hazards(store, HazardQuery(park_id="nope", today=TODAY))[1] == 0


def test_a_change_to_an_item_locked_by_a_notice_makes_a_new_revision(store, park, tenant, inspector):
    [hazard_id] = inspect_with_failures(store, park, tenant, inspector, codes=("B02",))
    item_id = save_rectification(store, hazard_id, RectificationInput.model_validate(COMPLETE), today=TODAY)
    with store.transaction() as session:  # what issuing a notice will do (the notices issue)
        session.get(RectificationItem, item_id).notice_id = "notice-1"
        session.get(Hazard, hazard_id).notice_id = "notice-1"
    new_id = save_rectification(store, hazard_id, RectificationInput.model_validate({**COMPLETE, "measures": "改为搬离"}), today=TODAY)
    assert new_id != item_id
    with store.read() as session:
        locked, current = session.get(RectificationItem, item_id), session.get(RectificationItem, new_id)
    assert (locked.measures, locked.status, locked.notice_id) == ("清理通道堆放物", "superseded", "notice-1")
    assert (current.measures, current.revision, current.supersedes_id) == ("改为搬离", 2, item_id)
    assert get_hazard(store, hazard_id, TODAY).measures == "改为搬离"
    with pytest.raises(UserError):
        save_hazard(store, hazard_id, HazardInput(location="别处", description="改写", severity="major"))


def test_results_can_only_change_while_the_inspection_is_open(store, park, tenant, inspector):
    inspect_with_failures(store, park, tenant, inspector, codes=())
    with store.read() as session:
        result = session.exec(select(CheckResult)).first()
        assert session.exec(select(Inspection)).one().status == "finished"
    with pytest.raises(UserError):
        record_outcome(store, result.id, "fail")
