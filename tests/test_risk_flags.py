"""Risk flags: each rule at its threshold, the loader on a database, and the thresholds' config."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from db.models import CheckResult, Hazard, Inspection, Park, QuarterlyReport, RectificationItem, Tenant
from inspect_app.config import RiskFlagThresholds, risk_flag_thresholds
from inspect_app.services.risk_flags import (
    FailedCheck,
    LedgerCheck,
    OpenItem,
    Quarter,
    QuarterFigures,
    declining_flag,
    ledger_mismatch_flag,
    load_flags,
    overdue_flag,
    zombie_flag,
)
from tests.conftest import TODAY, make_credit_code

DEFAULT = RiskFlagThresholds()
Q3_2026 = Quarter(2026, 3)


def figures(output: float | None, electricity: float | None = 10_000.0) -> QuarterFigures:
    return QuarterFigures(output, electricity)


# --- quarters -----------------------------------------------------------------------------------


def test_quarter_arithmetic_crosses_years():
    assert Quarter(2026, 1).shift(-1) == Quarter(2025, 4)
    assert Quarter(2025, 4).shift(1) == Quarter(2026, 1)
    assert Q3_2026.shift(-4) == Quarter(2025, 3)
    assert Quarter.last_complete(TODAY) == Q3_2026  # 2026-11-26 is in Q4
    assert Quarter.last_complete(date(2026, 1, 1)) == Quarter(2025, 4)


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q3", "2026 q3", " 2026q3 "])
def test_quarter_parses_what_people_write(text):
    assert Quarter.parse(text) == Q3_2026


@pytest.mark.parametrize("text", ["2026Q5", "2026", "Q3", "26Q3", ""])
def test_quarter_refuses_anything_else(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


def test_quarter_label_in_both_languages():
    assert Q3_2026.label() == "2026年第三季度"
    assert Q3_2026.label("en") == "2026 Q3"


# --- declining ----------------------------------------------------------------------------------


def test_a_drop_of_30_point_0_percent_is_declining():
    reports = {Quarter(2025, 3): figures(100.0), Q3_2026: figures(70.0)}
    flag = declining_flag(reports, Q3_2026, DEFAULT)
    assert flag is not None and flag.facts["drop_pct"] == 30.0


def test_a_drop_of_29_point_9_percent_is_not():
    reports = {Quarter(2025, 3): figures(100.0), Q3_2026: figures(70.1)}
    assert declining_flag(reports, Q3_2026, DEFAULT) is None


def test_declining_compares_the_same_quarter_a_year_earlier_not_the_previous_quarter():
    reports = {Quarter(2025, 3): figures(100.0), Quarter(2026, 2): figures(500.0), Q3_2026: figures(90.0)}
    assert declining_flag(reports, Q3_2026, DEFAULT) is None  # -10% year on year (-82% on the quarter before)


@pytest.mark.parametrize("reports", [
    {Q3_2026: figures(10.0)},  # no report a year earlier
    {Quarter(2025, 3): figures(100.0)},  # no report this quarter
    {Quarter(2025, 3): figures(None), Q3_2026: figures(10.0)},  # a report without output
    {Quarter(2025, 3): figures(0.0), Q3_2026: figures(0.0)},  # nothing to decline from
])
def test_missing_quarters_are_not_a_decline(reports):
    assert declining_flag(reports, Q3_2026, DEFAULT) is None


def test_declining_threshold_comes_from_the_thresholds():
    reports = {Quarter(2025, 3): figures(100.0), Q3_2026: figures(80.0)}
    assert declining_flag(reports, Q3_2026, DEFAULT) is None
    assert declining_flag(reports, Q3_2026, RiskFlagThresholds(decline_pct=20)) is not None


def test_declining_explains_itself_with_its_figures():
    reports = {Quarter(2025, 3): figures(310.0), Q3_2026: figures(180.0)}
    flag = declining_flag(reports, Q3_2026, DEFAULT)
    # (310 - 180) * 100 / 310 = 41.935...% -> "41.9"
    assert flag.explanation() == "产值同比下降 41.9%（2025年第三季度 310 万元 → 2026年第三季度 180 万元）"
    assert flag.explanation("en") == (
        "Output down 41.9% year on year (2025 Q3: 310 → 2026 Q3: 180, 10k yuan)")
    assert flag.label() == "产值下滑" and flag.label("en") == "Declining"


# --- suspected zombie ---------------------------------------------------------------------------


def zombie_history(idle_quarters: int, *, idle_output: float = 0.5, idle_power: float = 400.0) -> dict:
    """Eight quarters to 2026Q3: 10,000 kWh and 200 万元 a quarter, the last `idle_quarters` idle."""
    reports = {}
    for k in range(8):
        quarter = Q3_2026.shift(-k)
        reports[quarter] = figures(idle_output, idle_power) if k < idle_quarters else figures(200.0, 10_000.0)
    return reports


def test_two_idle_quarters_make_a_suspected_zombie():
    flag = zombie_flag(zombie_history(2), Q3_2026, DEFAULT)
    assert flag is not None
    assert flag.facts["baseline_kwh"] == 10_000.0  # the four quarters before the run, all normal


def test_one_idle_quarter_is_not_enough():
    assert zombie_flag(zombie_history(1), Q3_2026, DEFAULT) is None


def test_one_idle_quarter_is_enough_when_the_bureau_says_so():
    assert zombie_flag(zombie_history(1), Q3_2026, RiskFlagThresholds(zombie_quarters=1)) is not None


def test_zombie_output_must_be_below_one_wan():
    assert zombie_flag(zombie_history(2, idle_output=1.0), Q3_2026, DEFAULT) is None
    assert zombie_flag(zombie_history(2, idle_output=0.99), Q3_2026, DEFAULT) is not None


def test_zombie_power_must_be_below_five_percent_of_the_four_quarters_before():
    # baseline 10,000 kWh: 5% is 500 kWh
    assert zombie_flag(zombie_history(2, idle_power=500.0), Q3_2026, DEFAULT) is None
    assert zombie_flag(zombie_history(2, idle_power=499.0), Q3_2026, DEFAULT) is not None


def test_zombie_baseline_is_the_four_quarters_before_the_run():
    reports = zombie_history(2)
    reports[Q3_2026.shift(-2)] = figures(200.0, 2_000.0)  # the quarter just before the run
    flag = zombie_flag(reports, Q3_2026, DEFAULT)
    # (2,000 + 10,000 * 3) / 4 = 8,000; 400 kWh < 5% of it (400 < 400.0? no: 400 * 100 = 40,000 = 8,000 * 5)
    assert flag is None
    reports[Q3_2026] = figures(0.5, 399.0)
    reports[Q3_2026.shift(-1)] = figures(0.5, 399.0)
    assert zombie_flag(reports, Q3_2026, DEFAULT).facts["baseline_kwh"] == 8_000.0


def test_a_missing_quarter_in_the_run_is_not_a_zombie():
    reports = zombie_history(2)
    del reports[Q3_2026.shift(-1)]
    assert zombie_flag(reports, Q3_2026, DEFAULT) is None


def test_a_new_tenant_without_a_baseline_is_not_a_zombie():
    reports = {Q3_2026: figures(0.0, 0.0), Q3_2026.shift(-1): figures(0.0, 0.0)}
    assert zombie_flag(reports, Q3_2026, DEFAULT) is None


def test_zombie_baseline_uses_the_quarters_it_has():
    reports = {Q3_2026: figures(0.0, 100.0), Q3_2026.shift(-1): figures(0.0, 100.0),
               Q3_2026.shift(-5): figures(300.0, 3_000.0)}  # one of the four baseline quarters
    assert zombie_flag(reports, Q3_2026, DEFAULT).facts["baseline_kwh"] == 3_000.0


def test_zombie_explains_itself():
    flag = zombie_flag(zombie_history(2, idle_output=0.25, idle_power=120.0), Q3_2026, DEFAULT)
    assert flag.explanation() == (
        "疑似僵尸企业：连续 2 个季度产值低于 1 万元、用电量低于此前四个季度平均的 5%"
        "（2026年第三季度 产值 0.25 万元，用电 120 千瓦时；此前平均 10,000 千瓦时）")
    assert "2026 Q3: output 0.25, power 120 kWh; average before 10,000 kWh" in flag.explanation("en")


# --- overdue hazards ----------------------------------------------------------------------------


def test_an_open_item_is_overdue_the_day_after_its_deadline():
    assert overdue_flag([OpenItem("general", TODAY)], TODAY) is None  # the deadline day is still in time
    flag = overdue_flag([OpenItem("general", TODAY - timedelta(days=1))], TODAY)
    assert flag is not None and flag.facts["count"] == 1


def test_only_open_items_are_overdue():
    yesterday = TODAY - timedelta(days=1)
    items = [OpenItem("general", yesterday, "pending_review"), OpenItem("major", yesterday, "closed"),
             OpenItem("general", None)]
    assert overdue_flag(items, TODAY) is None


def test_overdue_counts_major_ones_and_names_the_earliest_deadline():
    items = [OpenItem("major", date(2026, 10, 1)), OpenItem("general", date(2026, 9, 15)),
             OpenItem("general", TODAY)]
    flag = overdue_flag(items, TODAY)
    assert flag.explanation() == "2 项隐患整改逾期（其中重大隐患 1 项），最早整改期限 2026-09-15"
    assert flag.explanation("en") == (
        "2 hazards past the rectification deadline (1 major), earliest deadline 2026-09-15")


# --- ledger mismatch ----------------------------------------------------------------------------


def test_a_ledger_check_without_failed_items_is_no_mismatch():
    assert ledger_mismatch_flag(None) is None
    assert ledger_mismatch_flag(LedgerCheck(date(2026, 9, 12), ())) is None


def test_a_ledger_mismatch_names_the_failed_items_and_what_was_seen():
    check = LedgerCheck(date(2026, 9, 12), (FailedCheck("L01", "出租面积与台账一致", "1500"),
                                            FailedCheck("L03", "承租用途与台账一致")))
    flag = ledger_mismatch_flag(check)
    assert flag.explanation() == (
        "台账核查不符（2026-09-12），未通过：L01 出租面积与台账一致（现场：1500）；L03 承租用途与台账一致")
    assert flag.explanation("en") == ("Ledger check found mismatches (2026-09-12), failed: "
                                      "L01 出租面积与台账一致 (observed: 1500); L03 承租用途与台账一致")


# --- loading from the database ------------------------------------------------------------------


def add_tenant(store, park: Park, n: int, **values) -> Tenant:
    tenant = Tenant(park_id=park.id, name=f"测试企业{n}", credit_code=make_credit_code(n), rented_area_m2=1000,
                    headcount=10, scale="below", lease_use="production", **values)
    with store.transaction() as session:
        session.add(tenant)
    return tenant


def add_reports(store, tenant: Tenant, history: dict[Quarter, QuarterFigures]) -> None:
    with store.transaction() as session:
        for quarter, report in history.items():
            session.add(QuarterlyReport(tenant_id=tenant.id, year=quarter.year, quarter=quarter.quarter,
                                        output_value_wan=report.output_wan, electricity_kwh=report.electricity_kwh))


def add_overdue_hazard(store, park: Park, tenant: Tenant, deadline: date, *, hazard_status: str = "open") -> None:
    with store.transaction() as session:
        hazard = Hazard(park_id=park.id, tenant_id=tenant.id, location="1号楼", description="疏散通道堵塞",
                        severity="general", status=hazard_status, found_on=date(2026, 8, 1))
        session.add(hazard)
        session.flush()
        session.add(RectificationItem(hazard_id=hazard.id, deadline=deadline, status="open"))


def add_ledger_inspection(store, park: Park, tenant: Tenant, finished: datetime, failed: dict[str, str | None],
                          *, template_id: str = "ledger_verification", status: str = "finished") -> None:
    with store.transaction() as session:
        inspection = Inspection(park_id=park.id, tenant_id=tenant.id, template_id=template_id,
                                template_version="2026.1", started_at=finished - timedelta(hours=1),
                                finished_at=finished if status == "finished" else None, status=status)
        session.add(inspection)
        session.flush()
        for position, code in enumerate(("L01", "L02", "L03")):
            outcome = "fail" if code in failed else "pass"
            session.add(CheckResult(inspection_id=inspection.id, item_code=code, position=position,
                                    item_text=f"{code} 核对项", outcome=outcome, observed_value=failed.get(code)))


def flags_of(store, **kwargs) -> dict[str, list[str]]:
    with store.read_connection() as conn:
        found = load_flags(conn, quarter=Q3_2026, today=TODAY, thresholds=kwargs.pop("thresholds", DEFAULT), **kwargs)
    return {tenant_id: [flag.kind for flag in flags] for tenant_id, flags in found.items()}


def test_load_flags_finds_each_rule_on_the_database(store, park):
    declining = add_tenant(store, park, 1)
    add_reports(store, declining, {Quarter(2025, 3): figures(100.0), Q3_2026: figures(70.0)})
    steady = add_tenant(store, park, 2)
    add_reports(store, steady, {Quarter(2025, 3): figures(100.0), Q3_2026: figures(70.1)})
    zombie = add_tenant(store, park, 3)
    add_reports(store, zombie, zombie_history(2))
    overdue = add_tenant(store, park, 4)
    add_overdue_hazard(store, park, overdue, TODAY - timedelta(days=1))
    due_today = add_tenant(store, park, 5)
    add_overdue_hazard(store, park, due_today, TODAY)
    mismatch = add_tenant(store, park, 6)
    add_ledger_inspection(store, park, mismatch, datetime(2026, 9, 12, 10, tzinfo=UTC), {"L01": "1500"})

    assert flags_of(store) == {
        declining.id: ["declining"],
        zombie.id: ["declining", "zombie"],  # from 200 to 0.5 万元 is also a 99.75% drop
        overdue.id: ["overdue_hazards"],
        mismatch.id: ["ledger_mismatch"],
    }


def test_only_the_latest_finished_ledger_check_counts(store, park):
    fixed = add_tenant(store, park, 1)
    add_ledger_inspection(store, park, fixed, datetime(2026, 3, 1, 10, tzinfo=UTC), {"L02": "40"})
    add_ledger_inspection(store, park, fixed, datetime(2026, 9, 1, 10, tzinfo=UTC), {})  # passed since
    still = add_tenant(store, park, 2)
    add_ledger_inspection(store, park, still, datetime(2026, 3, 1, 10, tzinfo=UTC), {})
    add_ledger_inspection(store, park, still, datetime(2026, 9, 1, 10, tzinfo=UTC), {"L02": "40", "L03": None})
    add_ledger_inspection(store, park, still, datetime(2026, 10, 1, 10, tzinfo=UTC), {}, status="in_progress")
    other_template = add_tenant(store, park, 3)
    add_ledger_inspection(store, park, other_template, datetime(2026, 9, 1, 10, tzinfo=UTC), {"L01": "1"},
                          template_id="fire_safety")
    with store.read_connection() as conn:
        found = load_flags(conn, quarter=Q3_2026, today=TODAY, thresholds=DEFAULT)
    assert list(found) == [still.id]
    (flag,) = found[still.id]
    assert flag.facts["inspected_on"] == date(2026, 9, 1)
    assert [item.code for item in flag.facts["items"]] == ["L02", "L03"]
    assert flag.facts["items"][0].observed == "40"


def test_flags_leave_out_tenants_who_left_and_closed_hazards(store, park):
    gone = add_tenant(store, park, 1, status="left", left_on=date(2026, 10, 1))
    add_reports(store, gone, zombie_history(3))
    add_overdue_hazard(store, park, gone, TODAY - timedelta(days=9))
    staying = add_tenant(store, park, 2)
    add_overdue_hazard(store, park, staying, TODAY - timedelta(days=9), hazard_status="closed")
    assert flags_of(store) == {}


def test_load_flags_for_one_park_leaves_out_the_others(store, park):
    with store.transaction() as session:
        other = Park(code="PH-002", name="另一园区", district="平湖市", street="钟埭街道", function_type="manufacturing",
                     developer_type="government", land_area_mu=50, floor_area_m2=30000)
        session.add(other)
    here = add_tenant(store, park, 1)
    there = add_tenant(store, other, 2)
    for tenant in (here, there):
        add_reports(store, tenant, zombie_history(2))
        add_overdue_hazard(store, park if tenant is here else other, tenant, TODAY - timedelta(days=3))
    assert set(flags_of(store)) == {here.id, there.id}
    assert set(flags_of(store, park_id=other.id)) == {there.id}


def test_loaded_thresholds_decide(store, park):
    tenant = add_tenant(store, park, 1)
    add_reports(store, tenant, {Quarter(2025, 3): figures(100.0), Q3_2026: figures(75.0)})
    assert flags_of(store) == {}
    assert flags_of(store, thresholds=RiskFlagThresholds(decline_pct=25)) == {tenant.id: ["declining"]}


# --- thresholds from config.toml ----------------------------------------------------------------


def write_config(text: str) -> None:
    from inspect_app.config import config_dir

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text(text, encoding="utf-8")


def test_defaults_without_a_config_file():
    assert risk_flag_thresholds() == RiskFlagThresholds(30.0, 1.0, 5.0, 2)


def test_config_file_overrides_thresholds():
    write_config("[risk_flags]\ndecline_pct = 25\nzombie_output_wan = 0.5\nzombie_power_pct = 3.5\n"
                 "zombie_quarters = 3\n")
    assert risk_flag_thresholds() == RiskFlagThresholds(25.0, 0.5, 3.5, 3)


def test_a_bad_value_falls_back_to_its_default_with_a_warning(caplog):
    write_config('[risk_flags]\ndecline_pct = "thirty"\nzombie_quarters = 9\nzombie_power_pct = 0\n'
                 "zombie_output_wan = 2\nspeling = 1\n")
    with caplog.at_level(logging.WARNING):
        thresholds = risk_flag_thresholds()
    assert thresholds == RiskFlagThresholds(30.0, 2.0, 5.0, 2)  # only the good value taken
    warned = caplog.text
    assert "decline_pct" in warned and "zombie_quarters" in warned and "zombie_power_pct" in warned
    assert "speling" in warned


@pytest.mark.parametrize("value", ["true", "0", "101", "-1", "nan"])
def test_decline_pct_outside_0_to_100_is_refused(value):
    write_config(f"[risk_flags]\ndecline_pct = {value}\n")
    assert risk_flag_thresholds().decline_pct == 30.0


def test_a_risk_flags_value_that_is_not_a_table_is_ignored():
    write_config("risk_flags = 3\n")
    assert risk_flag_thresholds() == RiskFlagThresholds()
