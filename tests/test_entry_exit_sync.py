"""The entry and exit decisions sync like every synced table (docs/SYNC.md "Rules"): an office
device's decisions reach a park device through a real hub on loopback, and the hub refuses a
park-limited device's decision about another park's tenant, a decision naming a park it is not
assigned, and any change to a decision (append-only), writing nothing. SQLite and PostgreSQL hubs."""

from __future__ import annotations

from sqlmodel import select

from db.ids import new_id
from db.models import EntryDecision, ExitDecision
from inspect_app.sync.client import sync_once
from tests.test_hub_validation import county  # noqa: F401 - fixture

DECISION = {"applicant_name": "嘉兴示范电子有限公司", "credit_code": "91330482000005019X", "industry_code": "C3982",
            "process": "组装", "fire_hazard_class": "C", "planned_area_m2": 400.0, "planned_headcount": 40,
            "commitment_tax_wan_per_mu": 20.0, "decision": "refuse", "reasons": [], "rules_id": "county_entry",
            "rules_version": "2026.1", "note": None, "decided_by": None, "decided_at": "2026-12-07T02:00:00+00:00",
            "tenant_id": None}


def insert(store, row_id: str, values: dict) -> dict:
    return {"id": row_id, "hlc": store.clock.tick(), "origin_device": store.device_id, "deleted": False, "created_at": "2026-12-07T02:00:00+00:00",
            "updated_at": "2026-12-07T02:00:00+00:00", **values}


def test_decisions_reach_other_devices_and_the_hub_checks_them(county):  # noqa: F811
    office, scoped, crafter, engine = county["office"], county["scoped"], county["crafter"], county["engine"]
    one, two = county["one"], county["two"]
    with office.transaction() as session:
        session.add(EntryDecision(park_id=one["park"], **{k: v for k, v in DECISION.items() if k != "decided_at"}))
        session.add(ExitDecision(park_id=one["park"], tenant_id=one["tenant"], quarter="2026Q4", decision="talk",
                                 grounds=[{"kind": "class_d", "evidence": "D"}]))
    assert sync_once(office, county["base"], county["office_token"]).rejected == 0
    sync_once(scoped, county["base"], crafter.token)
    with scoped.read() as session:
        assert [d.decision for d in session.exec(select(ExitDecision))] == ["talk"]
        assert [d.applicant_name for d in session.exec(select(EntryDecision))] == [DECISION["applicant_name"]]
        exit_id = session.exec(select(ExitDecision)).one().id

    # another park's tenant, a park it is not assigned, an edit of a decision: each refused, nothing written
    row = new_id()
    assert crafter.refused("exit_decision", row, "insert", insert(scoped, row, {
        "park_id": one["park"], "tenant_id": two["tenant"], "quarter": "2026Q4", "decision": "exit", "grounds": [],
        "note": None, "decided_by": None, "decided_at": "2026-12-07T02:00:00+00:00"}), engine) == "other_park"
    row = new_id()
    assert crafter.refused("entry_decision", row, "insert",
                           insert(scoped, row, {**DECISION, "park_id": two["park"]}), engine) == "park_not_assigned"
    assert crafter.refused("exit_decision", exit_id, "update", {"decision": "keep"}, engine) == "append_only"
    row = new_id()
    crafter.accepted("entry_decision", row, "insert", insert(scoped, row, {**DECISION, "park_id": one["park"]}))
