"""Park and county overview: the figures against values worked out by hand on a small dataset.

The dataset (quarter 2026Q3, today 2026-11-26):

park PH-101: 50 亩, floor 10,000 m²
  甲 above, 4,000 m², 50 people, class A: 2026Q3 600 万元 / 100,000 kWh / tax 30; 2026Q2 400 / tax 20;
     2025Q3 500; a general hazard pending review (past its deadline: still not "overdue")
  乙 below, 2,500 m², 20 people, class C: 2026Q3 150 / 20,000 kWh / tax 6; 2025Q3 300 (-50%: declining)
  丙 below, 1,000 m², 5 people, LEFT: 2026Q3 50 / tax 2; 2025Q3 40 (its reports still count)
  丁 below, 500 m², 3 people, no class, no reports: a general hazard overdue since yesterday,
     a major one due in ten days, a closed one
park PH-102: 20 亩, floor 3,000 m²
  戊 above, 3,500 m² (more than the floor area), 40 people, class B: 2026Q3 1,000 / 80,000 kWh / tax 50
  a common-area major hazard, overdue
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db.errors import UserError
from db.models import Hazard, Park, QuarterlyReport, RectificationItem, Tenant
from inspect_app.config import RiskFlagThresholds
from inspect_app.services.park_overview import (
    HazardCounts,
    Quarter,
    county_overview,
    latest_quarter,
    park_id_for_code,
    park_overview,
)
from tests.conftest import TODAY, make_credit_code

Q3 = Quarter(2026, 3)


def add_park(session, code: str, land_mu: float, floor_m2: float) -> Park:
    park = Park(code=code, name=f"园区{code}", district="平湖市", street="当湖街道", function_type="manufacturing",
                developer_type="government", land_area_mu=land_mu, floor_area_m2=floor_m2)
    session.add(park)
    return park


def add_tenant(session, park: Park, n: int, name: str, scale: str, area: float, people: int,
               efficiency: str | None, status: str = "in_park") -> Tenant:
    tenant = Tenant(park_id=park.id, name=name, credit_code=make_credit_code(n), rented_area_m2=area, headcount=people,
                    scale=scale, lease_use="production", efficiency_class=efficiency, status=status)
    session.add(tenant)
    return tenant


def report(session, tenant: Tenant, quarter: Quarter, output: float, electricity: float | None = None,
           tax: float | None = None) -> None:
    session.add(QuarterlyReport(tenant_id=tenant.id, year=quarter.year, quarter=quarter.quarter,
                                output_value_wan=output, electricity_kwh=electricity, tax_wan=tax))


def hazard(session, park: Park, tenant: Tenant | None, severity: str, status: str, deadline: date) -> None:
    row = Hazard(park_id=park.id, tenant_id=tenant.id if tenant else None, location="1号楼", description="隐患",
                 severity=severity, status=status, found_on=date(2026, 8, 1))
    session.add(row)
    session.flush()
    session.add(RectificationItem(hazard_id=row.id, deadline=deadline, status="open" if status == "open" else status))


@pytest.fixture
def county(store):
    with store.transaction() as session:
        p1 = add_park(session, "PH-101", 50, 10_000)
        p2 = add_park(session, "PH-102", 20, 3_000)
        session.flush()
        a = add_tenant(session, p1, 1, "甲企业", "above", 4_000, 50, "A")
        b = add_tenant(session, p1, 2, "乙企业", "below", 2_500, 20, "C")
        c = add_tenant(session, p1, 3, "丙企业", "below", 1_000, 5, None, status="left")
        d = add_tenant(session, p1, 4, "丁企业", "below", 500, 3, None)
        e = add_tenant(session, p2, 5, "戊企业", "above", 3_500, 40, "B")
        session.flush()
        report(session, a, Q3, 600, 100_000, 30)
        report(session, a, Quarter(2026, 2), 400, None, 20)
        report(session, a, Quarter(2025, 3), 500)
        report(session, b, Q3, 150, 20_000, 6)
        report(session, b, Quarter(2025, 3), 300)
        report(session, c, Q3, 50, None, 2)
        report(session, c, Quarter(2025, 3), 40)
        report(session, e, Q3, 1_000, 80_000, 50)
        report(session, e, Quarter(2026, 4), 9_999)  # the quarter under way: never the default, not in the trend
        yesterday = TODAY - timedelta(days=1)
        hazard(session, p1, a, "general", "pending_review", yesterday)
        hazard(session, p1, d, "general", "open", yesterday)
        hazard(session, p1, d, "major", "open", TODAY + timedelta(days=10))
        hazard(session, p1, d, "general", "closed", yesterday)
        hazard(session, p2, None, "major", "open", yesterday)
    return {"p1": p1, "p2": p2, "a": a, "b": b, "d": d, "e": e}


def test_default_quarter_is_the_latest_complete_one_with_data(store, county):
    assert latest_quarter(store, TODAY) == Q3
    # In 2027Q1, 2026Q4 is complete and has a report (戊's 9,999).
    assert latest_quarter(store, date(2027, 2, 1)) == Quarter(2026, 4)
    # In 2027Q4 the last complete quarter (2027Q3) has none: the latest one that has.
    assert latest_quarter(store, date(2027, 11, 1)) == Quarter(2026, 4)


def test_default_quarter_without_any_data_is_the_last_complete_one(store):
    assert latest_quarter(store, TODAY) == Q3


def test_park_figures_by_hand(store, county):
    overview = county_overview(store, today=TODAY)
    assert overview.quarter == Q3
    p1, p2 = overview.parks
    assert (p1.code, p2.code) == ("PH-101", "PH-102")

    f = p1.figures
    assert f.tenants == 3  # 甲 乙 丁 (丙 left)
    assert f.rented_area_m2 == 7_000  # 4,000 + 2,500 + 500
    assert f.vacant_area_m2 == 3_000  # 10,000 - 7,000
    assert f.over_rented_m2 == 0
    assert f.headcount == 73  # 50 + 20 + 3
    assert f.above_tenants == 1
    assert f.above_tenant_share == pytest.approx(1 / 3)
    assert f.output_wan == 800  # 600 + 150 + 50 (丙 left later, but produced in Q3)
    assert f.above_output_wan == 600
    assert f.above_output_share == pytest.approx(0.75)  # 600 / 800
    assert f.electricity_kwh == 120_000  # 100,000 + 20,000
    assert f.tax_wan == 38  # 30 + 6 + 2
    assert f.reports == 3
    assert f.output_per_mu == pytest.approx(16)  # 800 / 50
    assert f.tax_per_mu == pytest.approx(0.76)  # 38 / 50
    assert f.annual_output_per_mu == pytest.approx(24)  # (800 + 400) / 50, 2025Q4..2026Q3
    assert f.annual_tax_per_mu == pytest.approx(1.16)  # (38 + 20) / 50
    # hazards: 甲's pending review (open, not overdue), 丁's overdue general and its major due later
    assert f.hazards == HazardCounts(open_general=2, open_major=1, overdue_general=1, overdue_major=0)
    assert (f.flags.declining, f.flags.zombie, f.flags.overdue_hazards, f.flags.ledger_mismatch) == (1, 0, 1, 0)
    assert f.flags.flagged_tenants == 2  # 乙 declining, 丁 overdue

    g = p2.figures
    assert (g.tenants, g.rented_area_m2, g.headcount) == (1, 3_500, 40)
    assert g.vacant_area_m2 == 0  # never negative ...
    assert g.over_rented_m2 == 500  # ... the excess shows here
    assert g.above_tenant_share == 1 and g.above_output_share == 1
    assert g.output_per_mu == pytest.approx(50)  # 1,000 / 20
    assert g.tax_per_mu == pytest.approx(2.5)  # 50 / 20
    assert g.hazards == HazardCounts(open_major=1, overdue_major=1)  # common areas count for the park
    assert g.flags.flagged_tenants == 0  # a common-area hazard flags no tenant


def test_county_figures_by_hand(store, county):
    c = county_overview(store, today=TODAY).county
    assert c.land_area_mu == 70 and c.floor_area_m2 == 13_000
    assert c.tenants == 4 and c.rented_area_m2 == 10_500 and c.headcount == 113
    assert c.vacant_area_m2 == 3_000  # 3,000 + 0: PH-102's excess does not fill PH-101's vacancy
    assert c.above_tenant_share == pytest.approx(0.5)  # 2 of 4
    assert c.output_wan == 1_800  # 800 + 1,000
    assert c.above_output_share == pytest.approx(1_600 / 1_800)  # 600 + 1,000 of 1,800
    assert c.output_per_mu == pytest.approx(1_800 / 70)
    assert c.tax_per_mu == pytest.approx(88 / 70)  # 38 + 50
    assert c.hazards == HazardCounts(open_general=2, open_major=2, overdue_general=1, overdue_major=1)
    assert c.flags.flagged_tenants == 2


def test_trend_has_eight_quarters_oldest_first_with_zeros_for_quarters_without_reports(store, county):
    overview = county_overview(store, today=TODAY)
    assert [str(q) for q in overview.quarters] == [
        "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    outputs = [q.output_wan for q in overview.county.trend]
    assert outputs == [0, 0, 0, 840, 0, 0, 400, 1_800]  # 2025Q3: 500 + 300 + 40
    assert [q.tax_wan for q in overview.parks[0].figures.trend][-2:] == [20, 38]


def test_an_earlier_quarter_can_be_asked_for(store, county):
    overview = county_overview(store, quarter=Quarter(2025, 3), today=TODAY)
    assert overview.county.output_wan == 840
    assert overview.quarters[-1] == Quarter(2025, 3)
    assert overview.county.flags.declining == 0  # no reports for 2024Q3


def test_park_tenant_table(store, county):
    overview = park_overview(store, county["p1"].id, today=TODAY)
    assert overview.quarter == Q3
    assert overview.park.figures.output_wan == 800
    rows = {row.name: row for row in overview.tenants}
    assert sorted(rows) == sorted(["甲企业", "乙企业", "丁企业"])  # 丙 left
    a, b, d = rows["甲企业"], rows["乙企业"], rows["丁企业"]
    assert (a.efficiency_class, a.output_wan, a.electricity_kwh, a.tax_wan, a.output_year_before_wan) == (
        "A", 600, 100_000, 30, 500)
    assert a.output_change_pct == pytest.approx(20)  # (600 - 500) / 500
    assert b.output_change_pct == pytest.approx(-50)  # (150 - 300) / 300
    assert [flag.kind for flag in b.flags] == ["declining"]
    assert b.flags[0].explanation() == "产值同比下降 50%（2025年第三季度 300 万元 → 2026年第三季度 150 万元）"
    assert d.output_wan is None and d.output_change_pct is None and d.efficiency_class is None
    assert [flag.kind for flag in d.flags] == ["overdue_hazards"]
    assert a.flags == ()


def test_park_overview_uses_the_thresholds_it_is_given(store, county):
    overview = park_overview(store, county["p1"].id, today=TODAY, thresholds=RiskFlagThresholds(decline_pct=60))
    assert overview.park.figures.flags.declining == 0


def test_unknown_park_is_a_user_error(store, county):
    with pytest.raises(UserError):
        park_overview(store, "no-such-park", today=TODAY)
    assert park_id_for_code(store, " PH-102 ") == county["p2"].id
    assert park_id_for_code(store, "PH-999") is None


def test_a_park_without_tenants_or_land_has_no_shares(store):
    with store.transaction() as session:
        add_park(session, "PH-200", 0, 5_000)
    (park,) = county_overview(store, today=TODAY).parks
    f = park.figures
    assert (f.tenants, f.vacant_area_m2, f.output_wan) == (0, 5_000, 0)
    assert f.above_tenant_share is None and f.above_output_share is None and f.output_per_mu is None


def test_json_carries_the_figures_and_the_flags_in_words(store, county):
    data = park_overview(store, county["p1"].id, today=TODAY).as_json("en")
    assert data["quarter"] == "2026Q3"
    assert data["park"]["output_per_mu"] == pytest.approx(16)
    flagged = {row["name"]: row["flags"] for row in data["tenants"] if row["flags"]}
    assert flagged["乙企业"][0]["explanation"].startswith("Output down 50% year on year")
    county_json = county_overview(store, today=TODAY).as_json()
    assert county_json["county"]["flags"]["flagged_tenants"] == 2
    assert [p["code"] for p in county_json["parks"]] == ["PH-101", "PH-102"]
