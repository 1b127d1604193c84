"""The hub checks every change as the devices' databases would, before accepting it.

Real HTTP on loopback (uvicorn, tests/hub_server.py): an office device with every park syncs two
parks through `sync_once`; a device enrolled for PH-001 then pushes crafted changes with its own
token, as a hostile or broken device would. Each is refused with its code and writes nothing (no
log entry, no change to the merged row), and the same device's honest changes still pass. The
crafted cases run on a SQLite hub and a PostgreSQL hub (tests/postgres.py).
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from db.models import CheckResult, Hazard, Inspection, Inspector, Park, QuarterlyReport, Tenant
from db.store import Store
from inspect_app.hub.app import create_app
from inspect_app.hub.push import RowCache
from inspect_app.hub.storage import change, enrol_device
from inspect_app.sync.client import sync_once
from tests.conftest import make_credit_code
from tests.hub_server import serve
from tests.new_files import new_sqlite_hub

API = "/api/v1"


@pytest.fixture
def sqlite_hub_url(tmp_path) -> str:
    return new_sqlite_hub(tmp_path / "hub.db")


def add_park(store: Store, code: str, n: int) -> dict[str, str]:
    """A park with a tenant, an inspection with item A01, a hazard and a quarterly report; their ids."""
    with store.transaction() as session:
        park = Park(code=code, name=f"园区{code}", district="平湖市", street="当湖街道", function_type="manufacturing",
                    developer_type="government", land_area_mu=10, floor_area_m2=5000)
        session.add(park)
        session.flush()
        tenant = Tenant(park_id=park.id, name=f"企业{code}", credit_code=make_credit_code(n), rented_area_m2=100,
                        headcount=5, scale="below", lease_use="production")
        session.add(tenant)
        session.flush()
        inspections = [Inspection(park_id=park.id, tenant_id=tenant.id, template_id="fire_safety",
                                  template_version="1") for _ in range(2)]
        session.add_all(inspections)
        session.flush()
        results = [CheckResult(inspection_id=i.id, item_code="A01", outcome="fail") for i in inspections]
        session.add_all(results)
        session.flush()
        hazard = Hazard(park_id=park.id, tenant_id=tenant.id, inspection_id=inspections[0].id,
                        check_result_id=results[0].id, location="3号楼", description="灭火器过期",
                        severity="general", found_on=date(2026, 11, 26))
        report = QuarterlyReport(tenant_id=tenant.id, year=2026, quarter=3, output_value_wan=120.0)
        session.add_all([hazard, report])
    return {"park": park.id, "tenant": tenant.id, "inspection": inspections[0].id, "inspection2": inspections[1].id,
            "check_result": results[0].id, "check_result2": results[1].id, "hazard": hazard.id,
            "report": report.id}


class Crafter:
    """Pushes hand-made changes as one device: its own device id, stamps from its own clock."""

    def __init__(self, base: str, token: str, store: Store):
        self.base, self.token, self.store = base, token, store
        self.seq = 10_000

    def push(self, table: str, row_id: str, op: str, payload: dict, base: dict | None = None) -> dict:
        self.seq += 1
        stamp = self.store.clock.tick()
        if op != "insert":
            payload = {**payload, "hlc": stamp, "origin_device": self.store.device_id}
            base = base if base is not None else {name: "" for name in payload}
        body = {"changes": [{"device_id": self.store.device_id, "device_seq": self.seq, "table": table,
                             "row_id": row_id, "op": op, "hlc": stamp, "actor_id": None, "payload": payload,
                             "base": base or {}}]}
        answer = httpx.post(f"{self.base}{API}/push", json=body, headers={"Authorization": f"Bearer {self.token}"},
                            timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def refused(self, table: str, row_id: str, op: str, payload: dict, engine) -> str:
        """Push one change that must be refused: its code, or "written" when the hub took any of it
        (a log entry, a change to the merged row)."""
        before = hub_state(engine, table, row_id)
        answer = self.push(table, row_id, op, payload)
        if hub_state(engine, table, row_id) != before or not answer["rejected"]:
            return "written"
        return answer["rejected"][0]["code"]

    def accepted(self, table: str, row_id: str, op: str, payload: dict) -> None:
        answer = self.push(table, row_id, op, payload)
        assert answer["rejected"] == [], answer


def hub_state(engine, table: str, row_id: str) -> tuple:
    with engine.connect() as conn:
        logged = conn.execute(select(func.count()).select_from(change)).scalar_one()
        state = RowCache(conn).get(table, row_id)  # as the push reads it (stored compactly)
    return logged, (state.values, state.park_id) if state else None


def full_row(store: Store, model, row_id: str) -> dict:
    """The row's columns as an insert payload carries them (JSON values)."""
    from db.changelog import row_values

    with store.read() as session:
        return row_values(session.get(model, row_id))


@pytest.fixture
def county(hub_url, devices):
    """A hub on loopback with parks PH-001 and PH-002 pushed by an office device, a device limited to
    PH-001 that has synced, and that device's crafter."""
    app = create_app(hub_url)
    engine = app.state.engine
    office = devices.new("office")
    one = add_park(office, "PH-001", 1)
    two = add_park(office, "PH-002", 2)
    with office.transaction() as session:
        inspector = Inspector(name="王工", id_number="330482199001011234", agency="平湖市消防救援大队")
        session.add(inspector)
    with serve(app) as base:
        office_token = enrol_device(engine, "office")[1]
        assert sync_once(office, base, office_token).rejected == 0
        scoped = devices.new("scoped")
        scoped_token = enrol_device(engine, "scoped", ["PH-001"])[1]
        sync_once(scoped, base, scoped_token)
        yield {"engine": engine, "base": base, "office": office, "office_token": office_token, "one": one,
               "two": two, "inspector": inspector.id, "scoped": scoped,
               "crafter": Crafter(base, scoped_token, scoped)}
    engine.dispose()


def test_a_park_limited_device_cannot_reach_other_parks_or_break_other_devices(county):
    crafter, engine, one, two = county["crafter"], county["engine"], county["one"], county["two"]
    office, scoped = county["office"], county["scoped"]

    refused = {}  # case -> code: every case is tried, so the assertion lists all that got through
    # An insert carrying the id of PH-002's tenant, placed in PH-001: would move the row.
    stolen = {**full_row(office, Tenant, two["tenant"]), "park_id": one["park"], "name": "冒名"}
    refused["insert over another park's row"] = crafter.refused("tenant", two["tenant"], "insert", stolen, engine)
    # A hazard in PH-001 naming PH-002's tenant, or PH-002's inspection.
    hazard = {**full_row(scoped, Hazard, one["hazard"]), "id": "h-cross-tenant", "tenant_id": two["tenant"]}
    refused["hazard of another park's tenant"] = crafter.refused("hazard", "h-cross-tenant", "insert", hazard,
                                                                 engine)
    hazard = {**hazard, "id": "h-cross-inspection", "tenant_id": one["tenant"],
              "inspection_id": two["inspection"], "check_result_id": None}
    refused["hazard of another park's inspection"] = crafter.refused("hazard", "h-cross-inspection", "insert",
                                                                     hazard, engine)
    # An inspection in PH-001 of PH-002's tenant; an existing one pointed at it.
    inspection = {**full_row(scoped, Inspection, one["inspection"]), "id": "i-cross", "tenant_id": two["tenant"]}
    refused["inspection of another park's tenant"] = crafter.refused("inspection", "i-cross", "insert",
                                                                     inspection, engine)
    refused["inspection re-pointed to another park's tenant"] = crafter.refused(
        "inspection", one["inspection"], "update", {"tenant_id": two["tenant"]}, engine)
    # Renaming the office's inspector county-wide.
    refused["rename a shared inspector"] = crafter.refused("inspector", county["inspector"], "update",
                                                           {"name": "改名"}, engine)
    # A NOT NULL column set to null (every device of every park would fail on it); an insert lacking one.
    refused["name = null"] = crafter.refused("tenant", one["tenant"], "update", {"name": None}, engine)
    incomplete = {k: v for k, v in stolen.items() if k != "credit_code"} | {"id": "t-incomplete",
                                                                          "park_id": one["park"]}
    refused["insert lacking a NOT NULL column"] = crafter.refused("tenant", "t-incomplete", "insert", incomplete,
                                                                  engine)
    # A check result moved onto another inspection holding the same item code; onto another park's.
    refused["check_result re-parented onto a taken key"] = crafter.refused(
        "check_result", one["check_result"], "update", {"inspection_id": one["inspection2"]}, engine)
    refused["check_result re-parented into another park"] = crafter.refused(
        "check_result", one["check_result"], "update", {"inspection_id": two["inspection"]}, engine)
    # A date-time without a zone.
    refused["zone-less datetime"] = crafter.refused("inspection", one["inspection"], "update",
                                                    {"finished_at": "2026-11-26T10:00:00"}, engine)
    # A second report for the same tenant and quarter; a tenant moved to another park.
    report = {**full_row(scoped, QuarterlyReport, one["report"]), "id": "r-second"}
    refused["second quarterly report"] = crafter.refused("quarterly_report", "r-second", "insert", report, engine)
    refused["tenant moved to another park"] = crafter.refused("tenant", one["tenant"], "update",
                                                              {"park_id": two["park"]}, engine)
    assert refused == {
        "insert over another park's row": "row_exists",
        "hazard of another park's tenant": "other_park",
        "hazard of another park's inspection": "other_park",
        "inspection of another park's tenant": "other_park",
        "inspection re-pointed to another park's tenant": "other_park",
        "rename a shared inspector": "not_owner",
        "name = null": "not_null",
        "insert lacking a NOT NULL column": "not_null",
        "check_result re-parented onto a taken key": "duplicate_key",
        "check_result re-parented into another park": "other_park",
        "zone-less datetime": "no_time_zone",
        "second quarterly report": "duplicate_key",
        "tenant moved to another park": "park_not_assigned",
    }

    # Honest writes of the same device still pass: its own inspector (added, then edited), a zoned
    # date-time, a check result's item code changed (its old key released for another row).
    own = {**full_row(office, Inspector, county["inspector"]), "id": "own-inspector", "name": "李工"}
    crafter.accepted("inspector", "own-inspector", "insert", own)
    crafter.accepted("inspector", "own-inspector", "update", {"name": "李工2"})
    crafter.accepted("inspection", one["inspection"], "update", {"finished_at": "2026-11-26T10:00:00+08:00"})
    crafter.accepted("check_result", one["check_result2"], "update", {"item_code": "A02"})
    crafter.accepted("check_result", one["check_result"], "update", {"inspection_id": one["inspection2"]})
    # Replaying its own insert (a device restored from a copy sends it again) is not `row_exists`.
    crafter.accepted("inspector", "own-inspector", "insert", own)


def test_a_device_of_two_parks_may_not_move_rows_between_them(sqlite_hub_url, devices):
    app = create_app(sqlite_hub_url)
    engine = app.state.engine
    office = devices.new("office")
    one, two = add_park(office, "PH-001", 1), add_park(office, "PH-002", 2)
    with serve(app) as base:
        sync_once(office, base, enrol_device(engine, "office")[1])
        both = devices.new("both")
        token = enrol_device(engine, "both", ["PH-001", "PH-002"])[1]
        sync_once(both, base, token)
        crafter = Crafter(base, token, both)
        assert crafter.refused("tenant", one["tenant"], "update", {"park_id": two["park"]}, engine) == "park_move"
        # A device of every park (the office) may, with the rows the tenant names in the new park.
        office_crafter = Crafter(base, enrol_device(engine, "office2")[1], devices.new("office2"))
        office_crafter.accepted("tenant", one["tenant"], "update", {"park_id": two["park"]})
    engine.dispose()


def test_unique_keys_are_checked_for_every_device_against_the_merged_rows(sqlite_hub_url, devices):
    app = create_app(sqlite_hub_url)
    engine = app.state.engine
    office = devices.new("office")
    one = add_park(office, "PH-001", 1)
    with serve(app) as base:
        sync_once(office, base, enrol_device(engine, "office")[1])
        other = devices.new("other")
        crafter = Crafter(base, enrol_device(engine, "other")[1], other)
        sync_once(other, base, crafter.token)
        park = {**full_row(office, Park, one["park"]), "id": "p-same-code"}
        assert crafter.refused("park", "p-same-code", "insert", park, engine) == "duplicate_key"
        report = {**full_row(office, QuarterlyReport, one["report"]), "id": "r-second"}
        assert crafter.refused("quarterly_report", "r-second", "insert", report, engine) == "duplicate_key"
        # Another quarter is another key; that report can then not be moved onto the first one's.
        crafter.accepted("quarterly_report", "r-second", "insert", {**report, "quarter": 4})
        assert crafter.refused("quarterly_report", "r-second", "update", {"quarter": 3}, engine) == "duplicate_key"
        # An insert of an id another device inserted is refused even for a device of every park.
        assert crafter.refused("park", one["park"], "insert", {**park, "id": one["park"], "code": "PH-009"},
                               engine) == "row_exists"
        # Refusals carry the key, and the device that pushed an honest duplicate keeps the reason.
        answer = crafter.push("quarterly_report", "r-third", "insert", {**report, "id": "r-third"})
        assert "quarterly_report(tenant_id, year, quarter)" in answer["rejected"][0]["message"]
    engine.dispose()


def test_restoring_a_losing_date_time_sends_it_with_its_zone(devices):
    """Losing values are kept in UTC without a zone; restoring one must still make a change the hub
    (and every device) accepts."""
    from db.models import Conflict
    from inspect_app.services.conflicts import restore_losing_value
    from inspect_app.sync.changes import outbox_page
    from inspect_app.sync.protocol import value_problem

    store = devices.new("a")
    ids = add_park(store, "PH-001", 1)
    with store.transaction() as session:
        conflict = Conflict(table_name="inspection", row_id=ids["inspection"], field="finished_at",
                            losing_value='"2026-11-26T02:00:00"', losing_hlc="0", winning_hlc="1")
        session.add(conflict)
    restore_losing_value(store, conflict.id)
    change = next(c for c in outbox_page(store, 0, 1000) if c["op"] == "update" and c["table"] == "inspection")
    assert change["payload"]["finished_at"] == "2026-11-26T02:00:00+00:00"
    assert value_problem("inspection", "update", change["row_id"], change["payload"]) is None


def test_the_protocol_module_imports_neither_the_hub_nor_the_services_nor_fastapi():
    """The device imports it: a laptop without the hub's packages must be able to."""
    import subprocess
    import sys

    code = ("import sys, inspect_app.sync.protocol; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'fastapi' "
            "or m.startswith(('inspect_app.hub', 'inspect_app.services')))) ")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
