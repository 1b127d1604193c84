"""Possible duplicates (inspect_app/services/duplicates.py): two devices add the same company
offline; both rows reach every device, are listed for review, and a merge or a "distinct" mark
made on one device reaches all of them (real HTTP on loopback)."""

from __future__ import annotations

from datetime import date

import pytest

from db.errors import UserError
from db.models import SYNCED_TABLES, AttachmentLink, Hazard, Inspection, QuarterlyReport, Tenant
from inspect_app.hub.storage import enrol_device
from inspect_app.services.duplicates import KEPT, MOVED, mark_distinct, merge_tenants, possible_duplicates
from inspect_app.sync.client import sync_once
from tests.conftest import make_credit_code
from tests.sync_helpers import synced_rows
from tests.test_sync_merge import edit, make_park, make_tenant, rows


def twin(store, park_id: str, n: int, code_of: int, name: str = "同码企业") -> Tenant:
    """A tenant with another tenant's credit code, written as a device's merge would store it."""
    with store.transaction() as session:
        tenant = Tenant(park_id=park_id, name=name, credit_code=make_credit_code(code_of), rented_area_m2=80.0,
                        headcount=3, scale="below", lease_use="office", risk_points=[])
        session.add(tenant)
    return tenant


def add(store, *records) -> None:
    with store.transaction() as session:
        session.add_all(records)


def test_every_foreign_key_to_a_tenant_is_moved_or_deliberately_kept():
    found = {f"{name}.{fk.parent.name}" for name, model in SYNCED_TABLES.items()
             for fk in model.__table__.foreign_keys if fk.column.table.name == "tenant"}
    assert found == set(MOVED) | set(KEPT)


def test_pairs_are_listed_then_merged_with_their_records_moved(devices):
    store = devices.new("a")
    park = make_park(store)
    keep = make_tenant(store, park.id, 1)
    other = twin(store, park.id, 2, code_of=1)
    make_tenant(store, park.id, 3)  # a different code: never listed
    inspection = Inspection(park_id=park.id, tenant_id=other.id, template_id="fire_safety", template_version="1")
    add(store, inspection)
    add(store, Hazard(inspection_id=inspection.id, park_id=park.id, tenant_id=other.id, location="3号楼",
                      description="疏散通道堵塞", severity="general", found_on=date(2026, 12, 1)),
        QuarterlyReport(tenant_id=keep.id, year=2026, quarter=1, output_value_wan=10.0),
        QuarterlyReport(tenant_id=other.id, year=2026, quarter=1, output_value_wan=99.0),
        QuarterlyReport(tenant_id=other.id, year=2026, quarter=2, output_value_wan=20.0),
        AttachmentLink(attachment_sha256="a" * 64, owner_table="tenant", owner_id=other.id))

    [pair] = possible_duplicates(store)
    assert (pair.credit_code, pair.first.id, pair.second.id) == (make_credit_code(1), keep.id, other.id)
    assert pair.second.inspections == 1 and possible_duplicates(store, park_id="elsewhere") == []

    result = merge_tenants(store, keep.id, other.id)
    assert (result.moved, result.quarters_dropped) == (4, 1)  # inspection, hazard, Q2 report, photo link
    assert possible_duplicates(store) == []
    merged = rows(store, Tenant, id=other.id)[0]
    assert merged.deleted and merged.merged_into == keep.id
    assert [i.tenant_id for i in rows(store, Inspection)] == [keep.id]
    assert [h.tenant_id for h in rows(store, Hazard)] == [keep.id]
    reports = {(r.quarter, r.output_value_wan): (r.tenant_id, r.deleted) for r in rows(store, QuarterlyReport)}
    assert reports == {(1, 10.0): (keep.id, False), (1, 99.0): (other.id, True), (2, 20.0): (keep.id, False)}
    assert rows(store, AttachmentLink)[0].owner_id == keep.id
    with pytest.raises(UserError) as gone:
        merge_tenants(store, keep.id, other.id)  # the review was out of date: nothing written
    assert gone.value.key == "duplicates.gone"


def test_marked_distinct_pairs_are_not_listed_until_a_code_changes(devices):
    store = devices.new("a")
    park = make_park(store)
    first, second = make_tenant(store, park.id, 1), twin(store, park.id, 2, code_of=1)
    mark_distinct(store, first.id, second.id)
    assert possible_duplicates(store) == []
    third = twin(store, park.id, 3, code_of=1, name="第三家")
    assert sorted(p.second.id for p in possible_duplicates(store)) == [third.id, third.id]
    edit(store, Tenant, third.id, credit_code=make_credit_code(9))
    assert possible_duplicates(store) == []


def test_a_person_still_cannot_type_a_second_tenant_with_a_code_the_park_has(devices):
    from tests.test_ledger_service import save

    store = devices.new("a")
    park = make_park(store)
    make_tenant(store, park.id, 1)
    with pytest.raises(UserError) as refused:
        save(store, park, 1)
    assert refused.value.key == "errors.duplicate_credit_code"
    assert len(rows(store, Tenant)) == 1


def test_offline_duplicates_reach_every_device_and_one_merge_settles_them_everywhere(served_hub, devices):
    app, url = served_hub
    a, b, c = devices.new("a"), devices.new("b"), devices.new("c")
    token = {s: enrol_device(app.state.engine, name)[1] for s, name in ((a, "a"), (b, "b"), (c, "c"))}
    park = make_park(a)
    tenant = make_tenant(a, park.id, 1)
    for store in (a, b):
        sync_once(store, url, token[store])
    # Offline: A changes T's credit code to V; B adds a new tenant with V, and inspects it.
    edit(a, Tenant, tenant.id, credit_code=make_credit_code(7))
    added = twin(b, park.id, 2, code_of=7, name="新登记企业")
    inspection = Inspection(park_id=park.id, tenant_id=added.id, template_id="fire_safety", template_version="1")
    add(b, inspection)
    for store in (a, b, a, c):
        summary = sync_once(store, url, token[store])
        assert summary.set_aside == 0
    assert synced_rows(a) == synced_rows(b) == synced_rows(c)
    for store in (a, b, c):
        [pair] = possible_duplicates(store)
        assert {pair.first.id, pair.second.id} == {tenant.id, added.id}

    merge_tenants(c, tenant.id, added.id)  # on a third device
    for store in (c, a, b):
        sync_once(store, url, token[store])
    assert synced_rows(a) == synced_rows(b) == synced_rows(c)
    for store in (a, b, c):
        assert possible_duplicates(store) == []
        assert rows(store, Inspection)[0].tenant_id == tenant.id
        assert rows(store, Tenant, id=added.id)[0].merged_into == tenant.id


def test_marking_distinct_on_one_device_stops_the_listing_on_every_device(served_hub, devices):
    app, url = served_hub
    a, b = devices.new("a"), devices.new("b")
    token = {a: enrol_device(app.state.engine, "a")[1], b: enrol_device(app.state.engine, "b")[1]}
    park = make_park(a)
    make_tenant(a, park.id, 1)
    sync_once(a, url, token[a])
    sync_once(b, url, token[b])
    twin(a, park.id, 2, code_of=1)
    twin(b, park.id, 3, code_of=1)
    for store in (a, b, a):
        sync_once(store, url, token[store])
    assert len(possible_duplicates(a)) == len(possible_duplicates(b)) == 3
    for pair in possible_duplicates(b):
        mark_distinct(b, pair.first.id, pair.second.id)
    for store in (b, a):
        sync_once(store, url, token[store])
    assert possible_duplicates(a) == possible_duplicates(b) == []
    assert synced_rows(a) == synced_rows(b)
