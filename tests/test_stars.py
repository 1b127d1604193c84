"""Star-rating self-assessment: the automatic figures equal the park overview's, items scored from
them by hand, typed scores with evidence (refusals write nothing), the criteria file's refusals,
the hub's range check, the exported forms.

Dataset (today 2026-11-26, so year 2026 is assessed on the overview of 2026Q3):
park PH-301: 10 亩, floor area 10,000 m²; 甲 规上 6,000 m², 乙 规下 2,000 m² (vacant 2,000: 20%;
规上 share 1 of 2 = 50%). Hazards: 3 closed, 1 open major past its deadline (closure 3 ÷ 4 = 75%,
one major overdue). Tax: 甲 40 in each of 2026Q1-Q3, 乙 1 in each of 2025Q2-Q4.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from db.models import Hazard, RectificationItem, StarScore
from forms.rule_file import RuleFileError
from forms.star_criteria import builtin_criteria, parse_criteria
from inspect_app.cli import main
from inspect_app.services.errors import UserError
from inspect_app.services.mujun import mujun_classes
from inspect_app.services.park_overview import park_overview
from inspect_app.services.stars import save_star_score, star_assessment
from inspect_app.sync.protocol import value_problem
from tests.conftest import TODAY
from tests.park_figures import add_park, add_report, add_tenant


@pytest.fixture
def park(store):
    with store.transaction() as session:
        park = add_park(session, "PH-301", "星级园", land_mu=10, floor_area_m2=10_000)
        a = add_tenant(session, park, "甲", 301, area=6_000, headcount=60, scale="above")
        b = add_tenant(session, park, "乙", 302, area=2_000, headcount=20, scale="below")
        session.flush()
        for quarter in (1, 2, 3):
            add_report(session, a, 2026, quarter, output=900, tax=40, kwh=100_000)
            add_report(session, b, 2025, quarter + 1, output=50, tax=1, kwh=10_000)
        for status, severity, deadline in (("closed", "general", TODAY), ("closed", "general", TODAY),
                                           ("closed", "major", TODAY), ("open", "major", TODAY - timedelta(days=3))):
            hazard = Hazard(park_id=park.id, tenant_id=a.id, location="1号楼", description="隐患", severity=severity,
                            status=status, found_on=date(2026, 8, 1))
            session.add(hazard)
            session.flush()
            session.add(RectificationItem(hazard_id=hazard.id, deadline=deadline, status=status))
    return park


def test_automatic_figures_equal_the_overview(store, park):
    assessment = star_assessment(store, park.id, 2026, today=TODAY)
    figures = park_overview(store, park.id, quarter=assessment.quarter, today=TODAY).park.figures
    assert str(assessment.quarter) == "2026Q3"
    assert assessment.figures["vacancy_rate"] == pytest.approx(figures.vacant_area_m2 / figures.floor_area_m2)
    assert assessment.figures["vacancy_rate"] == pytest.approx(0.2)
    assert assessment.figures["above_share"] == figures.above_tenant_share == 0.5
    assert assessment.figures["hazard_closure_rate"] == figures.hazard_closure_rate == 0.75
    assert assessment.figures["overdue_major"] == figures.hazards.overdue_major == 1
    assert assessment.figures["late_notices"] == figures.late_notices == 0
    assert assessment.figures["annual_tax_per_mu"] == figures.annual_tax_per_mu == pytest.approx(12.1)  # (1 + 120) ÷ 10
    graded = [row for row in mujun_classes(store, 2026, park_id=park.id).rows if row.score.cls]
    assert [row.name for row in graded] == ["甲"]  # 乙 has no 2026 report
    share = sum(row.score.cls in "AB" for row in graded) / len(graded)
    assert assessment.figures["mujun_ab_share"] == share


def test_items_scored_by_hand(store, park):
    scores = {s.item.code: s.points for s in star_assessment(store, park.id, 2026, today=TODAY).items}
    # O1 vacancy: 8 points, full at 5%, none at 30%: (0.2 - 0.3) ÷ (0.05 - 0.3) = 0.4 → 3.2
    assert scores["O1"] == pytest.approx(3.2)
    # C1 规上 share 50%: full at 30% → 5; F1 closure 75%: (0.75 - 0.6) ÷ (0.95 - 0.6) × 5 = 2.142857
    assert scores["C1"] == pytest.approx(5)
    assert scores["F1"] == pytest.approx(0.15 / 0.35 * 5)
    # F2 one major overdue: zero at 1 → 0; F3 no late notice: full at 0 → 2
    assert (scores["F2"], scores["F3"]) == (0, pytest.approx(2))
    # M2 tax per 亩 over 2025Q4-2026Q3, (1 + 120) ÷ 10 = 12.1: (12.1 - 5) ÷ (20 - 5) × 10 = 4.7333
    assert scores["M2"] == pytest.approx(71 / 15)
    assert scores["I1"] == 0  # typed items start at 0


def test_typed_scores_need_evidence_and_refusals_write_nothing(store, park):
    for item, points, evidence, key in (("I1", "11", "统计表", "stars.bad_points"), ("I1", "x", "表", "stars.bad_points"),
                                        ("I1", "nan", "表", "stars.bad_points"),
                                        ("I1", "5", " ", "stars.evidence_required"),
                                        ("M1", "5", "表", "stars.automatic_item"), ("Z9", "1", "表", "stars.unknown_item")):
        with pytest.raises(UserError) as caught:
            save_star_score(store, park_id=park.id, year=2026, item_code=item, points=points, evidence=evidence)
        assert caught.value.key == key
    with store.read() as session:
        assert len(session.exec(select(StarScore)).all()) == 0
    before = star_assessment(store, park.id, 2026, today=TODAY)
    save_star_score(store, park_id=park.id, year=2026, item_code="I1", points="8", evidence="主导产业统计表")
    save_star_score(store, park_id=park.id, year=2026, item_code="I1", points="9.5", evidence="2026 年统计表")
    after = star_assessment(store, park.id, 2026, today=TODAY)
    item = next(s for s in after.items if s.item.code == "I1")
    assert (item.points, item.evidence, item.entered) == (9.5, "2026 年统计表", True)
    assert after.total == pytest.approx(before.total + 9.5)
    with store.read() as session:
        assert len(session.exec(select(StarScore)).all()) == 1  # changed in place, one live row per item
    industry = next(d for d in after.dimensions if d.dimension.code == "industry")
    assert (industry.points, industry.open_points) == (9.5, pytest.approx(0.5))
    star, gap = after.next_star
    assert star == 3 and gap == pytest.approx(60 - after.total)


def test_hub_and_device_refuse_points_out_of_range():
    payload = {"id": "x", "park_id": "p", "year": 2026, "item_code": "I1", "points": 1e9, "evidence": None,
               "hlc": "", "origin_device": "d", "deleted": False, "created_at": "2026-01-01T00:00:00+00:00",
               "updated_at": "2026-01-01T00:00:00+00:00"}
    assert value_problem("star_score", "insert", "x", payload).code == "bad_value"
    assert value_problem("star_score", "update", "x", {"points": -1}).code == "bad_value"
    assert value_problem("star_score", "update", "x", {"year": 1900}).code == "bad_value"
    assert value_problem("star_score", "update", "x", {"points": 7.5}) is None


CRITERIA = builtin_criteria().source


def test_malformed_criteria_name_line_and_field(tmp_path):
    text = open(CRITERIA, encoding="utf-8").read()
    text = text.replace("four = 75", "four = 55").replace('source = "vacancy_rate"', 'source = "vacancy"')
    text = text.replace('dimension = "digital"', 'dimension = "digitl"')
    with pytest.raises(RuleFileError) as caught:
        parse_criteria(text.encode(), "c.toml")
    lines = text.split("\n")
    found = {p.field: p for p in caught.value.problems}
    assert set(found) == {"stars.four", "items[4].source", "items[9].dimension", "dimensions[6].code"}
    assert lines[found["stars.four"].line - 1] == "four = 55"
    assert found["stars.four"].message_in("zh_CN") == "4 星所需分数 55 应高于上一星级的 60"
    assert found["stars.four"].message_in("en") == "the points for 4 stars, 55, must be above the previous star's 60"
    assert lines[found["items[4].source"].line - 1] == 'source = "vacancy"'
    assert lines[found["items[9].dimension"].line - 1] == 'dimension = "digitl"'
    assert found["dimensions[6].code"].message_in("en") == 'dimension "digital" has no items'


def test_cli_exports_the_form_as_xlsx_and_pdf(store, park, tmp_path, capsys):
    db = ["--db", str(store.path)]
    assert main([*db, "stars", "set", "--park", "PH-301", "--year", "2026", "--item", "S1", "--points", "6",
                 "--evidence", "配套设施照片"]) == 0
    assert main([*db, "stars", "set", "--park", "PH-301", "--year", "2026", "--item", "S1", "--points", "60"]) == 2
    assert "得分应为 0 到 10 之间的数字" in capsys.readouterr().err
    xlsx, pdf = tmp_path / "自评.xlsx", tmp_path / "自评.pdf"
    assert main([*db, "stars", "--park", "PH-301", "--year", "2026", "-o", str(xlsx)]) == 0
    assert main([*db, "stars", "--park", "PH-301", "--year", "2026", "-o", str(pdf)]) == 0
    book = load_workbook(xlsx)
    items = {row[0]: row for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)}
    assert items["S1"][4] == 6 and items["S1"][5] == "录入，佐证：配套设施照片"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert main([*db, "stars", "check", CRITERIA]) == 0
