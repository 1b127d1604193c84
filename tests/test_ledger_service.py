"""The tenant ledger service: save / edit / mark as left, park summaries, search, filter and sort."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from db.errors import UserError
from db.models import ChangeLog, Hazard, Park, RectificationItem, Tenant
from db.queries import LedgerQuery
from db.store import Store
from forms import china_time
from forms import credit_code as cc
from forms.tenant import TenantInput
from inspect_app.services.ledger import (
    ledger_page,
    mark_tenant_left,
    save_tenant,
    tenant_as_input,
)
from inspect_app.services.parks import park_summaries
from tests.conftest import TODAY, make_credit_code, tenant_values


def save(store: Store, park: Park, n: int = 1, tenant_id: str | None = None, **overrides) -> Tenant:
    data = TenantInput.model_validate(tenant_values(n, **overrides))
    return save_tenant(store, park_id=park.id, data=data, tenant_id=tenant_id)


def tenant_log(store: Store, tenant_id: str) -> list[ChangeLog]:
    with store.read() as session:
        return list(
            session.exec(select(ChangeLog).where(ChangeLog.row_id == tenant_id).order_by(ChangeLog.seq)).all()
        )


def change_count(store: Store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(ChangeLog)).one()


def stored(store: Store, tenant_id: str) -> Tenant:
    with store.read() as session:
        return session.get(Tenant, tenant_id)


def names(store: Store, park: Park, **query) -> list[str]:
    rows, total = ledger_page(store, LedgerQuery(park_id=park.id, today=TODAY, **query))
    assert total == len(rows)
    return [row.name for row in rows]


# --- save / edit --------------------------------------------------------------------------------


def test_saving_a_new_tenant_stores_it_and_logs_the_insert(store, park):
    tenant = save(store, park)
    row = stored(store, tenant.id)
    assert (row.park_id, row.name, row.credit_code) == (
        park.id,
        "平湖测试精密机械有限公司1",
        make_credit_code(1),
    )
    assert (row.rented_area_m2, row.headcount, row.scale, row.risk_points) == (
        1200.0,
        35,
        "below",
        ["dust", "hot_work"],
    )
    [entry] = tenant_log(store, tenant.id)
    assert (entry.table_name, entry.op) == ("tenant", "insert")


def test_editing_a_tenant_logs_only_the_changed_fields(store, park):
    tenant = save(store, park)
    save(store, park, tenant_id=tenant.id, headcount="40人", contact_phone="0573-85012345")
    update = tenant_log(store, tenant.id)[-1]
    assert update.op == "update"
    assert set(update.payload) - {"hlc", "origin_device"} == {"headcount", "contact_phone"}
    assert (update.payload["headcount"], update.payload["contact_phone"]) == (40, "0573-85012345")
    assert stored(store, tenant.id).headcount == 40


def test_saving_a_tenant_unchanged_writes_nothing(store, park):
    tenant = save(store, park)
    before = change_count(store)
    again = TenantInput.model_validate(tenant_as_input(stored(store, tenant.id)))
    save_tenant(store, park_id=park.id, data=again, tenant_id=tenant.id)
    assert change_count(store) == before


def test_an_edit_to_a_credit_code_another_tenant_has_is_refused_and_writes_nothing(store, park):
    save(store, park, 1)
    second = save(store, park, 2)
    before = change_count(store)
    with pytest.raises(UserError) as refused:
        save(store, park, 2, tenant_id=second.id, credit_code=make_credit_code(1), headcount="99")
    assert refused.value.field == "credit_code"
    assert "平湖测试精密机械有限公司1" in refused.value.message("zh_CN")
    assert "本园区已有相同统一社会信用代码的企业" in refused.value.message("zh_CN")
    assert refused.value.message("en") == (
        "This park already has a tenant with that credit code: 平湖测试精密机械有限公司1"
    )
    assert change_count(store) == before
    row = stored(store, second.id)
    assert (row.credit_code, row.headcount) == (make_credit_code(2), 35)


def test_a_new_tenant_with_a_credit_code_already_in_the_park_is_refused(store, park):
    save(store, park, 1)
    before = change_count(store)
    with pytest.raises(UserError) as refused:
        save(store, park, 2, credit_code=make_credit_code(1))
    assert refused.value.field == "credit_code"
    assert change_count(store) == before


def test_editing_a_tenant_that_does_not_exist_is_refused(store, park):
    with pytest.raises(UserError) as refused:
        save(store, park, tenant_id="0190f0f0-0000-7000-8000-000000000000")
    assert refused.value.key == "errors.tenant_missing"


# --- moving out ---------------------------------------------------------------------------------


def test_marking_a_tenant_left_sets_status_and_date(store, park):
    tenant = save(store, park)
    mark_tenant_left(store, tenant.id, on=date(2026, 10, 31))
    row = stored(store, tenant.id)
    assert (row.status, row.left_on) == ("left", date(2026, 10, 31))


def test_a_tenant_that_left_is_hidden_from_the_ledger_but_shown_with_include_left(store, park):
    staying = save(store, park, 1)
    leaving = save(store, park, 2)
    mark_tenant_left(store, leaving.id, on=date(2026, 10, 31))
    assert names(store, park) == [staying.name]
    assert sorted(names(store, park, include_left=True)) == sorted([staying.name, leaving.name])


def test_marking_a_tenant_left_twice_keeps_the_first_date(store, park):
    tenant = save(store, park)
    mark_tenant_left(store, tenant.id, on=date(2026, 10, 31))
    mark_tenant_left(store, tenant.id, on=date(2026, 11, 20))
    assert stored(store, tenant.id).left_on == date(2026, 10, 31)


def test_leaving_on_a_day_to_come_or_before_the_lease_is_refused(store, park):
    tenant = save(store, park, lease_start="2025-03-01")
    with pytest.raises(UserError) as future:
        mark_tenant_left(store, tenant.id, on=china_time.today() + timedelta(days=1))
    with pytest.raises(UserError) as early:
        mark_tenant_left(store, tenant.id, on=date(2025, 2, 28))
    assert (future.value.key, future.value.field) == ("errors.date_in_future", "left_on")
    assert early.value.key == "errors.left_before_lease" and "2025-03-01" in early.value.message()
    assert stored(store, tenant.id).status == "in_park"


# --- park summaries -----------------------------------------------------------------------------


def add_hazard(
    store: Store, park: Park, tenant: Tenant, status: str, deadlines: list[tuple[date, str]]
) -> None:
    with store.transaction() as session:
        hazard = Hazard(
            park_id=park.id,
            tenant_id=tenant.id,
            location="3号楼101",
            description="安全出口被锁闭",
            severity="general",
            status=status,
            found_on=TODAY - timedelta(days=30),
        )
        session.add(hazard)
        session.flush()
        for deadline, item_status in deadlines:
            session.add(RectificationItem(hazard_id=hazard.id, deadline=deadline, status=item_status))


def test_park_summary_counts_tenants_area_headcount_and_hazards(store, park):
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    first = save(store, park, 1, rented_area_m2="1200", headcount="35")
    second = save(store, park, 2, rented_area_m2="850.5", headcount="12")
    gone = save(store, park, 3, rented_area_m2="400", headcount="8")
    mark_tenant_left(store, gone.id, on=date(2026, 9, 1))
    add_hazard(store, park, first, "open", [(yesterday, "open")])  # open, overdue
    add_hazard(store, park, first, "open", [(TODAY, "open")])  # open, due today: not yet overdue
    add_hazard(store, park, second, "open", [(yesterday, "open"), (yesterday - timedelta(days=5), "open")])
    add_hazard(store, park, second, "pending_review", [(tomorrow, "open")])  # open, not overdue
    add_hazard(store, park, second, "closed", [(yesterday, "open")])  # closed: not counted
    with store.transaction() as session:
        empty_park = Park(
            code="PH-009",
            name="广陈镇小微企业园",
            district="平湖市",
            street="广陈镇",
            function_type="services",
            developer_type="other",
            land_area_mu=20,
            floor_area_m2=9000,
        )
        session.add(empty_park)

    summaries = {s.code: s for s in park_summaries(store, today=TODAY)}

    ours = summaries["PH-001"]
    # in park: tenants 1 and 2; area 1200 + 850.5; headcount 35 + 12
    assert (ours.tenants, ours.rented_area_m2, ours.headcount) == (2, 2050.5, 47)
    # open: 2 (first) + 2 (second: open and pending review); overdue: one per hazard, not per item
    assert (ours.open_hazards, ours.overdue_hazards) == (4, 2)
    empty = summaries["PH-009"]
    assert (
        empty.tenants,
        empty.rented_area_m2,
        empty.headcount,
        empty.open_hazards,
        empty.overdue_hazards,
    ) == (
        0,
        0,
        0,
        0,
        0,
    )


def test_park_summaries_list_parks_in_code_order(store, park):
    with store.transaction() as session:
        session.add(
            Park(
                code="PH-000",
                name="曹桥街道小微企业园",
                district="平湖市",
                street="曹桥街道",
                function_type="manufacturing",
                developer_type="government",
                land_area_mu=10,
                floor_area_m2=5000,
            )
        )
    assert [s.code for s in park_summaries(store, today=TODAY)] == ["PH-000", "PH-001"]


# --- search, filter, sort -----------------------------------------------------------------------


@pytest.fixture
def ledger(store, park):
    """Four tenants chosen so that each search below matches a different subset."""
    save(
        store,
        park,
        1,
        name="嘉兴精密机械有限公司",
        contact_name="张伟",
        risk_points="粉尘、动火作业",
        scale="规上",
        rented_area_m2="1200",
    )
    save(
        store,
        park,
        2,
        name="平湖精密电子有限公司",
        contact_name="李娜",
        risk_points="锂电池",
        scale="规下",
        rented_area_m2="3000",
        credit_code=cc.complete("91330482MA2CK7PL"),
    )
    save(
        store,
        park,
        3,
        name="嘉兴纺织有限公司",
        contact_name="张伟",
        risk_points="",
        scale="规下",
        rented_area_m2="450",
    )
    save(
        store,
        park,
        4,
        name="100%纯棉服饰_平湖店",
        contact_name="王芳",
        risk_points="动火作业",
        scale="规上",
        rented_area_m2="80",
    )


def test_search_finds_a_name_fragment(store, park, ledger):
    assert names(store, park, search="纺织") == ["嘉兴纺织有限公司"]


def test_search_finds_a_credit_code_fragment_typed_in_lower_case(store, park, ledger):
    assert names(store, park, search="ma2ck7") == ["平湖精密电子有限公司"]


def test_search_finds_a_contact_name(store, park, ledger):
    assert sorted(names(store, park, search="张伟")) == sorted(["嘉兴精密机械有限公司", "嘉兴纺织有限公司"])


def test_search_words_must_all_match(store, park, ledger):
    assert names(store, park, search="嘉兴 精密") == ["嘉兴精密机械有限公司"]
    assert names(store, park, search="张伟  纺织") == ["嘉兴纺织有限公司"]


def test_search_percent_sign_is_taken_literally(store, park, ledger):
    assert names(store, park, search="100%") == ["100%纯棉服饰_平湖店"]
    assert names(store, park, search="精%公司") == []


def test_search_underscore_is_taken_literally(store, park, ledger):
    assert names(store, park, search="_") == ["100%纯棉服饰_平湖店"]
    assert names(store, park, search="嘉兴_密") == []


def test_filter_by_risk_point(store, park, ledger):
    assert sorted(names(store, park, risk_point="hot_work")) == sorted(
        ["嘉兴精密机械有限公司", "100%纯棉服饰_平湖店"]
    )
    assert names(store, park, risk_point="lithium") == ["平湖精密电子有限公司"]


def test_filter_by_scale(store, park, ledger):
    assert sorted(names(store, park, scale="above")) == sorted(
        ["嘉兴精密机械有限公司", "100%纯棉服饰_平湖店"]
    )


def test_sort_by_rented_area_descending(store, park, ledger):
    assert names(store, park, sort="rented_area_m2", descending=True) == [
        "平湖精密电子有限公司",  # 3000
        "嘉兴精密机械有限公司",  # 1200
        "嘉兴纺织有限公司",  # 450
        "100%纯棉服饰_平湖店",  # 80
    ]


def test_a_page_counts_every_matching_row(store, park, ledger):
    rows, total = ledger_page(
        store, LedgerQuery(park_id=park.id, today=TODAY, limit=2, sort="rented_area_m2")
    )
    assert [row.name for row in rows] == ["100%纯棉服饰_平湖店", "嘉兴纺织有限公司"]
    assert total == 4


def test_sorting_by_location_orders_by_building_then_unit(store, park):
    for n, (building, unit) in enumerate([("2号楼", "101"), ("1号楼", "302"), ("1号楼", "105")], start=1):
        save(store, park, n, building=building, unit_no=unit)
    rows, _ = ledger_page(store, LedgerQuery(park_id=park.id, sort="location"))
    assert [r.location for r in rows] == ["1号楼 105", "1号楼 302", "2号楼 101"]


def test_hazards_awaiting_review_or_escalated_count_as_open_but_not_overdue(store, park):
    tenant = save(store, park, 1)
    yesterday = TODAY - timedelta(days=1)
    for status in ("open", "pending_review", "escalated"):
        add_hazard(store, park, tenant, status, [(yesterday, "open")])
    [summary] = park_summaries(store, TODAY)
    assert (summary.open_hazards, summary.overdue_hazards) == (3, 1)
