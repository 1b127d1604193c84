"""亩均效益 computed by the county's method: scores worked out by hand, thresholds and percentiles, the
method file's refusals (line and field, zh and en), the CLI and the 公示 sheet.

The hand-worked dataset (method TEST below, year 2025; park 20 亩, floor area 10,000 m²):

  甲 规上, 2,500 m² → land 2,500 ÷ 10,000 × 20 = 5 亩; four quarters of tax 10 and 50,000 kWh:
     tax 40, 200,000 kWh = 20 万kWh. 亩均税收 40 ÷ 5 = 8 (benchmark 10: 0.8 × 60 = 48);
     单位电耗税收 40 ÷ 20 = 2 (benchmark 2: 1.0 × 40 = 40). Total 88 → B (≥ 70, < 90). Ledger: A.
  乙 规下, 1,000 m² → 2 亩; two quarters, tax 10 + 5 = 15, no electricity. 亩均税收 7.5 (benchmark 5:
     1.5, capped at 1.2 × 50 = 60); 单位电耗税收 cannot be worked out: 0. Total 60 → C. Ledger: C.
  丙 规下, 500 m², no report in 2025 (one in 2024, one deleted in 2025) → not graded.
  丁 规下, 500 m² → 1 亩; one quarter, tax 6, 30,000 kWh = 3 万kWh. 亩均税收 6 (1.2, capped: 60);
     单位电耗税收 2 (benchmark 1: 2.0, capped 1.2 × 50 = 60). Total 120 → A. Ledger: none.
  戊 规上, 1,000 m² → 2 亩; tax 2, 100,000 kWh = 10 万kWh. 亩均税收 1 (0.1 × 60 = 6); 单位电耗税收 0.2
     (0.1 × 40 = 4). Total 10 → D.
  己 left the park: not listed.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from forms.mujun import TenantYear, score_tenants
from forms.mujun_method import builtin_method, parse_method
from forms.rule_file import RuleFileError
from inspect_app.cli import main
from inspect_app.services.mujun import evaluation_year, mujun_classes, tenant_lines
from inspect_app.services.risk_flags import Quarter
from tests.park_figures import add_park, add_report, add_tenant

TEST_METHOD = """\
id = "test_method"
version = "2026.1"
title_zh = "测试办法"
title_en = "Test method"
classing = "thresholds"
max_ratio = 1.2
objection_days = 7

[thresholds]
A = 90
B = 70
C = 50

[[indicators]]
measure = "tax_per_mu"
name = "亩均税收"
name_en = "Tax per mu"
weight_above = 60
benchmark_above = 10
weight_below = 50
benchmark_below = 5

[[indicators]]
measure = "tax_per_power"
name = "单位电耗税收"
name_en = "Tax per unit of electricity"
weight_above = 40
benchmark_above = 2
weight_below = 50
benchmark_below = 1
"""


@pytest.fixture
def method():
    return parse_method(TEST_METHOD.encode(), "test.toml")


@pytest.fixture
def dataset(store):
    with store.transaction() as session:
        park = add_park(session, "PH-201", "亩均园", land_mu=20, floor_area_m2=10_000)
        tenants = {}
        for n, (name, scale, area, people, official, status) in enumerate([
            ("甲", "above", 2_500, 50, "A", "in_park"), ("乙", "below", 1_000, 10, "C", "in_park"),
            ("丙", "below", 500, 5, None, "in_park"), ("丁", "below", 500, 3, None, "in_park"),
            ("戊", "above", 1_000, 20, "D", "in_park"), ("己", "below", 800, 8, "B", "left"),
        ], start=1):
            tenants[name] = add_tenant(session, park, name, 200 + n, area=area, headcount=people, scale=scale,
                                       efficiency_class=official, status=status)
        session.flush()

        def report(name, year, quarter, tax, kwh=None, *, deleted=False):
            add_report(session, tenants[name], year, quarter, output=100, tax=tax, kwh=kwh, deleted=deleted)

        for quarter in (1, 2, 3, 4):
            report("甲", 2025, quarter, 10, 50_000)
        report("乙", 2025, 1, 10)
        report("乙", 2025, 2, 5)
        report("丙", 2024, 4, 99, 1_000)
        report("丙", 2025, 1, 99, 1_000, deleted=True)
        report("丁", 2025, 3, 6, 30_000)
        report("戊", 2025, 2, 2, 100_000)
        report("己", 2025, 2, 50, 1_000)
    return park


def test_scores_and_classes_by_hand(store, dataset, method):
    result = mujun_classes(store, 2025, park_id=dataset.id, method=method)
    rows = {row.name: row for row in result.rows}
    assert set(rows) == {"甲", "乙", "丙", "丁", "戊"}  # 己 has left
    a = rows["甲"].score
    assert a.land_mu == pytest.approx(5)
    assert [p.points for p in a.indicators] == [pytest.approx(48), pytest.approx(40)]
    assert (a.score, a.cls) == (pytest.approx(88), "B")
    b = rows["乙"].score
    assert [p.points for p in b.indicators] == [pytest.approx(60), 0]
    assert b.indicators[1].missing == "no_power"
    assert (b.score, b.cls) == (pytest.approx(60), "C")
    assert rows["丙"].score.cls is None and rows["丙"].score.reason == "no_reports"
    assert (rows["丁"].score.score, rows["丁"].score.cls) == (pytest.approx(120), "A")
    assert (rows["戊"].score.score, rows["戊"].score.cls) == (pytest.approx(10), "D")
    assert result.counts() == {"A": 1, "B": 1, "C": 1, "D": 1, None: 1}
    assert [name for name, row in rows.items() if row.differs] == ["甲"]


def test_explanation_names_every_figure(store, dataset, method):
    rows = {row.name: row for row in mujun_classes(store, 2025, park_id=dataset.id, method=method).rows}
    words = rows["甲"].explanation(method)
    assert words[0] == "用地按租用面积折算：2,500 ÷ 10,000 平方米 × 20 亩 = 5 亩。"
    assert words[2] == "亩均税收 8 万元/亩（基准 10，权重 60）得 48.0 分。"
    assert words[3] == "单位电耗税收 2 万元/万千瓦时（基准 2，权重 40）得 40.0 分。"
    assert words[4] == "合计 88.0 分，不低于 70 分，为 B 类。"
    assert words[5] == "台账登记为 A 类，计算结果 B 类，低 1 档。"
    english = rows["乙"].explanation(method, "en")
    assert "Tax per unit of electricity: no electricity reported, scores 0 (weight 50)." in english
    assert english[-1] == "Matches the ledger's class C."
    assert rows["丙"].explanation(method)[0] == "本年度没有季度报表，未参加评价。"


def test_percentiles_rank_within_each_scale_and_ties_share_a_class():
    method = parse_method(TEST_METHOD.replace('classing = "thresholds"', 'classing = "percentiles"').replace(
        "[thresholds]", "[percentiles]\nA = 20\nB = 50\nC = 20\n\n[thresholds]").encode())
    # One 亩 each (1,000 of 1,000 m² on 1 亩); 规下: tax_per_mu scores 50 × min(tax ÷ 5, 1.2) and
    # tax_per_power (10,000 kWh = 1 万kWh, benchmark 1) 50 × min(tax, 1.2): tax t < 1 scores 10·t + 50·t = 60·t.
    taxes = [0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]  # scores 54, 48, 48, 42, 36, …, 6
    rows = [TenantYear(f"b{i}", "below", 1_000, 1, 0, tax, 10_000, 4, 1, 1_000) for i, tax in enumerate(taxes)]
    # 规上: 60 × min(tax ÷ 10, 1.2) + 40 × min(tax ÷ 2, 1.2): tax 0.2 → 1.2 + 4 = 5.2; tax 0.1 → 2.6
    rows += [TenantYear("u0", "above", 1_000, 1, 0, 0.2, 10_000, 4, 1, 1_000),
             TenantYear("u1", "above", 1_000, 1, 0, 0.1, 10_000, 4, 1, 1_000)]
    scores = score_tenants(method, rows)
    assert scores["b0"].score == pytest.approx(54)
    # Ten 规下: positions 0-1 (share 0%, 10%) are in the top 20%: A; the tie at position 1-2 shares
    # position 1 (10%): A; positions 3-6 (30%-60%) B; 7-8 (70%, 80%) C; 9 (90%) D.
    assert [scores[f"b{i}"].cls for i in range(10)] == list("AAABBBBCCD")
    assert [scores[f"b{i}"].rank for i in range(4)] == [1, 2, 2, 4]
    # 规上 ranked among themselves: the better of two is A although it scores below every 规下 A.
    assert (scores["u0"].cls, scores["u0"].ranked, scores["u1"].cls) == ("A", 2, "B")


MALFORMED = """\
id = "m"
version = "2026"
title_zh = "办法"
title_en = "Method"
classing = "thresholds"
max_ratio = 1.2
objection_days = 7

[thresholds]
A = 90
B = 95
C = 50

[[indicators]]
measure = "tax_per_mu"
name = "亩均税收"
name_en = "Tax per mu"
weight_above = 60
benchmark_above = 0
weight_below = 100
benchmark_below = 5
wieght_above = 3

[[indicators]]
name = "亩均产值"
name_en = "Output per mu"
weight_above = 40
benchmark_above = 500
weight_below = 0
benchmark_below = 1
"""


def test_malformed_method_names_line_and_field_in_both_languages(tmp_path):
    path = tmp_path / "method.toml"
    path.write_text(MALFORMED, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        parse_method(path.read_bytes(), str(path))
    found = {(p.line, p.field): p for p in caught.value.problems}
    assert set(found) == {(2, "version"), (11, "thresholds.B"), (19, "indicators[1].benchmark_above"),
                          (22, "indicators[1].wieght_above"), (24, "indicators[2].measure")}
    assert found[(11, "thresholds.B")].message_in("zh_CN") == "B 类的最低分应低于 A 类的 90"
    assert found[(11, "thresholds.B")].message_in("en") == "the lowest score of class B must be below class A's 90"
    assert found[(19, "indicators[1].benchmark_above")].message_in("en") == (
        "the value 0 is out of range; expected > 0")
    assert "weight_above" in found[(22, "indicators[1].wieght_above")].message_in("zh_CN")
    assert str(found[(24, "indicators[2].measure")]) == f"{path}:24: indicators[2].measure: 缺少必填项"


def test_weights_must_add_up_and_syntax_errors_name_their_line():
    with pytest.raises(RuleFileError) as caught:
        parse_method(TEST_METHOD.replace("weight_below = 50\nbenchmark_below = 1", "weight_below = 40\n"
                                         "benchmark_below = 1").encode(), "w.toml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (20, "indicators[1].weight_below")
    assert problem.message_in("en") == "the weights for below tenants add up to 90; they must add up to 100"
    with pytest.raises(RuleFileError) as caught:
        parse_method(TEST_METHOD.replace("max_ratio = 1.2", "max_ratio = = 1.2").encode(), "s.toml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (6, "max_ratio")
    assert problem.message_in("zh_CN").startswith("TOML 格式错误")


def test_the_built_in_method_loads_and_the_evaluation_year_is_complete():
    assert builtin_method().classing == "thresholds"
    assert evaluation_year(Quarter(2026, 4)) == 2026
    assert evaluation_year(Quarter(2026, 3)) == 2025


def test_cli_lists_checks_and_writes_the_public_notice_sheet(store, dataset, tmp_path, capsys, monkeypatch):
    method_file = tmp_path / "method.toml"
    method_file.write_text(TEST_METHOD, encoding="utf-8")
    db = ["--db", str(store.path)]
    assert main([*db, "mujun", "--park", "PH-201", "--year", "2025", "--method", str(method_file)]) == 0
    out = capsys.readouterr().out
    assert "A 类 1 家，B 类 1 家，C 类 1 家，D 类 1 家，未评价 1 家；与台账登记不同 1 家" in out
    target = tmp_path / "公示.xlsx"
    assert main([*db, "mujun", "--park", "PH-201", "--year", "2025", "--method", str(method_file),
                 "-o", str(target)]) == 0
    book = load_workbook(target)
    notice, objections = book.worksheets
    header = [cell.value for cell in notice[1]]
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in notice.iter_rows(min_row=2, values_only=True)}
    assert by_name["甲"]["评价等级"] == "B" and by_name["甲"]["台账登记等级"] == "A"
    assert by_name["甲"]["得分"] == 88.0 and by_name["甲"]["折算用地（亩）"] == 5
    assert by_name["丙"]["评价等级"] == "未评价"
    notes = [row[4] for row in objections.iter_rows(min_row=2, values_only=True)]
    assert any(note.startswith("甲：贵单位 2025 年度亩均效益评价为 B（88.0）") and "7 日内" in note for note in notes)

    method_file.write_text(MALFORMED, encoding="utf-8")
    assert main([*db, "mujun", "check", str(method_file)]) == 2
    assert f"{method_file}:11: thresholds.B: B 类的最低分应低于 A 类的 90" in capsys.readouterr().out
    assert main([*db, "mujun", "--park", "PH-201", "--method", str(method_file), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert not (tmp_path / "x.xlsx").exists()
    monkeypatch.setenv("PARKINSPECT_MUJUN_METHOD", str(method_file))
    lines = tenant_lines(store, dataset.id, Quarter(2025, 4))
    assert set(lines.values()) == {f"亩均效益评价办法文件无效：{method_file}:2: version: 版本号“2026”无效：应为“年份.序号”，如 2026.1"}


def test_overview_line_per_tenant(store, dataset, method, monkeypatch, tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(TEST_METHOD, encoding="utf-8")
    monkeypatch.setenv("PARKINSPECT_MUJUN_METHOD", str(path))
    lines = tenant_lines(store, dataset.id, Quarter(2026, 2))  # 2026Q2: the evaluation year is 2025
    by_name = {row.name: lines[row.id] for row in mujun_classes(store, 2025, park_id=dataset.id, method=method).rows}
    assert by_name["甲"] == "亩均效益（2025 年度，计算）：B  88.0；台账登记为 A 类，计算结果 B 类，低 1 档。"
    assert by_name["丙"] == "亩均效益（2025 年度，计算）：本年度无季度报表，未评价；台账未登记亩均效益等级。"
