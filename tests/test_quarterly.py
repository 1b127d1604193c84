"""Quarterly operating data: what a person may type (errors refuse, warnings only warn, in both
languages), the grid and save service, import from messy sheets (header variants, title rows, units,
GB18030, unknown tenants, duplicates; all-or-nothing, --skip-invalid, --dry-run), and export ->
import round-trips every field."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from pydantic import ValidationError
from sqlmodel import select

from db.errors import UserError
from db.models import Park, QuarterlyReport
from forms.errors import field_messages
from forms.quarterly import (
    QUARTERLY_FIELDS,
    QuarterlyInput,
    parse_period,
    quarter_label,
    quarter_warnings,
    warnings_by_field,
)
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services.ledger import save_tenant
from inspect_app.services.quarterly import load_grid, quarters_with_data, save_quarter
from inspect_app.services.quarterly_export import export_quarterly
from inspect_app.services.quarterly_import import import_quarterly
from tests.conftest import make_credit_code, tenant_values

Q3 = (2026, 3)


def typed(**values) -> QuarterlyInput:
    return QuarterlyInput.model_validate(values)


def refusal(field: str, value: object, lang: str = "zh_CN") -> tuple[str, str]:
    """(kind, message) of the refusal of `value` typed into `field`."""
    with pytest.raises(ValidationError) as caught:
        QuarterlyInput.model_validate({field: value})
    [error] = caught.value.errors()
    return error["type"], field_messages(caught.value, lang=lang)[field]


@pytest.fixture
def tenants(store, park):
    """Two tenants: 1,200 m² / 35 people each (the fixture's values)."""
    return [save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n))) for n in (1, 2)]


def reports(store) -> list[QuarterlyReport]:
    with store.read() as session:
        return list(session.exec(select(QuarterlyReport).order_by(QuarterlyReport.year, QuarterlyReport.quarter)))


# --- what may be typed ----------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "text", "stored"), [
    ("output_value_wan", "1,200", 1200.0),
    ("output_value_wan", "１２００", 1200.0),
    ("output_value_wan", "35万元", 35.0),
    ("output_value_wan", "35 万", 35.0),
    ("output_value_wan", "350000元", 35.0),
    ("output_value_wan", "0", 0.0),
    ("tax_wan", "1.25万元", 1.25),
    ("electricity_kwh", "12000kWh", 12000.0),
    ("electricity_kwh", "12,000 度", 12000.0),
    ("electricity_kwh", "1.2万度", 12000.0),
    ("water_t", "300吨", 300.0),
    ("water_t", "300 m³", 300.0),
    ("water_t", 300, 300.0),
])
def test_values_as_people_type_them(field, text, stored):
    assert getattr(typed(**{field: text}), field) == stored


@pytest.mark.parametrize("blank", ["", "  ", None, "-", "—", "/"])
def test_blank_or_a_dash_means_not_reported(blank):
    data = typed(output_value_wan=blank, electricity_kwh=blank)
    assert data.output_value_wan is None and data.electricity_kwh is None and data.is_blank()


@pytest.mark.parametrize(("field", "text", "kind", "zh", "en"), [
    ("output_value_wan", "-5", "negative", "不能为负数", "negative"),
    ("electricity_kwh", "-1,000", "negative", "不能为负数", "negative"),
    ("output_value_wan", "abc", "number_format", "不是数字", "not a number"),
    ("water_t", "1.2.3", "number_format", "不是数字", "not a number"),
    ("output_value_wan", "20000000", "too_large", "不能大于 10,000,000", "more than 10,000,000"),
    ("output_value_wan", "2000万万元", "unit_wan", "万元", "10k yuan"),
    ("electricity_kwh", "35万元", "unit_kwh", "kWh", "kWh"),
    ("output_value_wan", "12000kWh", "unit_wan", "万元", "10k yuan"),
    ("difficulties", "难" * 1001, "too_long", "1000", "1000"),
])
def test_refusals_name_the_fault_in_both_languages(field, text, kind, zh, en):
    found_kind, message_zh = refusal(field, text)
    assert found_kind == kind
    assert zh in message_zh
    assert en in refusal(field, text, lang="en")[1]


def test_every_field_is_checked_at_once():
    with pytest.raises(ValidationError) as caught:
        QuarterlyInput.model_validate({"output_value_wan": "x", "electricity_kwh": "-1", "water_t": "5", "tax_wan": "y"})
    assert set(field_messages(caught.value)) == {"output_value_wan", "electricity_kwh", "tax_wan"}


@pytest.mark.parametrize(("values", "headcount", "field", "kind"), [
    ({"output_value_wan": "15000"}, 35, "output_value_wan", "output_per_m2"),  # 12.5 万元 per m² of 1,200
    ({"output_value_wan": "9000"}, 5, "output_value_wan", "output_per_head"),  # 1,800 万元 a head
    ({"output_value_wan": "0", "electricity_kwh": "5000"}, 35, "output_value_wan", "power_without_output"),
    ({"output_value_wan": "50", "electricity_kwh": "0"}, 35, "electricity_kwh", "output_without_power"),
    ({"electricity_kwh": "4000000"}, 35, "electricity_kwh", "power_per_m2"),
    ({"water_t": "40000"}, 35, "water_t", "water_per_head"),
    ({"output_value_wan": "10", "tax_wan": "12"}, 35, "tax_wan", "tax_above_output"),
])
def test_implausible_figures_are_warnings_not_errors(values, headcount, field, kind):
    data = typed(**values)  # accepted
    found = quarter_warnings(data, rented_area_m2=1200, headcount=headcount)
    assert (field, kind) in {(w.field, w.kind) for w in found}
    zh, en = warnings_by_field(found)[field], warnings_by_field(found, lang="en")[field]
    assert zh and en and zh != en and not zh.startswith("warnings.")


def test_usual_figures_raise_no_warning():
    data = typed(output_value_wan="120", electricity_kwh="60000", water_t="250", tax_wan="4.8")
    previous = typed(output_value_wan="100", electricity_kwh="52000", water_t="240", tax_wan="4")
    assert quarter_warnings(data, rented_area_m2=1200, headcount=35, previous=previous) == []


def test_a_tenfold_jump_either_way_is_a_warning():
    previous = typed(output_value_wan="100", electricity_kwh="50000")
    found = quarter_warnings(typed(output_value_wan="1000", electricity_kwh="4000"), previous=previous)
    assert {(w.field, w.kind) for w in found} == {("output_value_wan", "jump_up"), ("electricity_kwh", "jump_down")}
    assert "10" in warnings_by_field(found)["output_value_wan"]
    assert quarter_warnings(typed(output_value_wan="999"), previous=previous) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("2026Q3", (2026, 3)), ("2026q3", (2026, 3)), ("2026年第三季度", (2026, 3)), ("2026年3季度", (2026, 3)),
    ("2026-3", (2026, 3)), ("Q4", (None, 4)), ("第一季度", (None, 1)), ("二季度", (None, 2)), ("3", (None, 3)),
    (3, (None, 3)), (3.0, (None, 3)), ("２０２６Ｑ１", (2026, 1)),
])
def test_quarters_as_written(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["5", "2026", "Q5", "2026Q0", "1999Q1", "第五季度", "abc"])
def test_bad_quarters_are_refused(text):
    with pytest.raises(Exception) as caught:
        parse_period(text)
    assert getattr(caught.value, "type", "") in ("quarter_format", "year_range")


def test_quarter_label_in_both_languages():
    assert quarter_label(Q3) == "2026年第三季度"
    assert quarter_label(Q3, lang="en") == "2026 Q3"


# --- grid and save --------------------------------------------------------------------------------


def test_save_upserts_one_row_per_tenant_and_quarter(store, tenants):
    first = save_quarter(store, tenant_id=tenants[0].id, quarter=Q3, data=typed(output_value_wan="120"))
    again = save_quarter(store, tenant_id=tenants[0].id, quarter=Q3,
                         data=typed(output_value_wan="120", electricity_kwh="5万度"))
    same = save_quarter(store, tenant_id=tenants[0].id, quarter=Q3,
                        data=typed(output_value_wan="120", electricity_kwh="50000"))
    assert (first.outcome, again.outcome, same.outcome) == ("created", "updated", "unchanged")
    [row] = reports(store)
    assert (row.year, row.quarter, row.output_value_wan, row.electricity_kwh) == (2026, 3, 120.0, 50000.0)


def test_a_blank_save_of_an_unreported_quarter_writes_nothing(store, tenants):
    assert save_quarter(store, tenant_id=tenants[0].id, quarter=Q3, data=typed()).outcome == "unchanged"
    assert reports(store) == []


def test_save_returns_warnings_against_the_stored_previous_quarter(store, tenants):
    save_quarter(store, tenant_id=tenants[0].id, quarter=(2026, 2), data=typed(output_value_wan="10"))
    saved = save_quarter(store, tenant_id=tenants[0].id, quarter=Q3, data=typed(output_value_wan="500"))
    assert [w.kind for w in saved.warnings] == ["jump_up"]
    assert reports(store)[-1].output_value_wan == 500.0  # a warning never blocks the save


def test_a_bad_quarter_is_refused_and_writes_nothing(store, tenants):
    with pytest.raises(UserError):
        save_quarter(store, tenant_id=tenants[0].id, quarter=(2026, 5), data=typed(output_value_wan="1"))
    assert reports(store) == []


def test_grid_lists_in_park_tenants_with_their_quarter_and_the_ones_to_compare(store, tenants):
    save_quarter(store, tenant_id=tenants[0].id, quarter=(2026, 2), data=typed(output_value_wan="90"))
    save_quarter(store, tenant_id=tenants[0].id, quarter=(2025, 3), data=typed(output_value_wan="80"))
    save_quarter(store, tenant_id=tenants[0].id, quarter=Q3, data=typed(output_value_wan="100"))
    grid = load_grid(store, tenants[0].park_id, Q3)
    assert [row.name for row in grid.rows] == sorted(t.name for t in tenants)
    first = next(row for row in grid.rows if row.tenant_id == tenants[0].id)
    assert (first.current.output_value_wan, first.previous.output_value_wan, first.last_year.output_value_wan) == (
        100.0, 90.0, 80.0)
    other = next(row for row in grid.rows if row.tenant_id == tenants[1].id)
    assert other.current is None and other.previous is None
    assert grid.reported == 1
    assert quarters_with_data(store, tenants[0].park_id) == [(Q3, 1), ((2026, 2), 1), ((2025, 3), 1)]


def test_a_tenant_that_left_shows_only_where_it_reported(store, tenants):
    from inspect_app.services.ledger import mark_tenant_left

    save_quarter(store, tenant_id=tenants[1].id, quarter=(2026, 2), data=typed(output_value_wan="5"))
    mark_tenant_left(store, tenants[1].id)
    assert [r.tenant_id for r in load_grid(store, tenants[0].park_id, Q3).rows] == [tenants[0].id]
    assert tenants[1].id in [r.tenant_id for r in load_grid(store, tenants[0].park_id, (2026, 2)).rows]


# --- import ---------------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], merge_title: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge_title:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[-1]))
    workbook.save(path)
    return path


def test_header_variants_title_rows_and_units_in_cells(store, tenants, tmp_path):
    one, two = tenants
    path = write_xlsx(tmp_path / "q.xlsx", [
        ["平湖经济开发区小微企业园 2026年第三季度 企业经营情况表"],
        ["填报单位：园区物业", None, "填报日期：2026-10-10"],
        ["序号", "企业名称", "信用代码", "季度", "产值（万元）", "用电量(万kWh)", "用水", "纳税额", "主要困难"],
        [1, one.name, one.credit_code, "2026年第三季度", "1,200", 5, "300吨", "35万元", "招工难"],
        [2, two.name, None, "2026Q3", "８０", "12000kWh", None, 2.5, None],
        ["合计", None, None, None, 1280, None, None, None, None],
    ], merge_title=True)
    report = import_quarterly(store, path)
    assert report.header_row == 3 and report.problems == [] and report.created == 2 and report.written
    assert report.unmapped == ["序号"]
    stored = {r.tenant_id: r for r in reports(store)}
    assert (stored[one.id].output_value_wan, stored[one.id].electricity_kwh, stored[one.id].water_t,
            stored[one.id].tax_wan, stored[one.id].difficulties) == (1200.0, 50000.0, 300.0, 35.0, "招工难")
    # a bare number under 用电量(万kWh) is in 万kWh; a cell with its own unit keeps it
    assert (stored[two.id].output_value_wan, stored[two.id].electricity_kwh, stored[two.id].water_t) == (
        80.0, 12000.0, None)


def test_gb18030_csv_with_the_quarter_from_the_command_line(store, tenants, tmp_path, db_path, capsys):
    one, _two = tenants
    path = write_csv(tmp_path / "季度.csv", [
        ["企业经营数据"],
        ["承租单位", "统一社会信用代码", "产值", "用电量", "税收", "存在困难"],
        [one.name, one.credit_code.lower(), "１２０", "60000", "4.8", "订单减少，开工不足"],
    ], encoding="gb18030")
    assert main(["--db", str(db_path), "quarterly", "import", str(path), "--year", "2026", "--quarter", "3"]) == 0
    [row] = reports(store)
    assert (row.year, row.quarter, row.output_value_wan, row.difficulties) == (2026, 3, 120.0, "订单减少，开工不足")
    assert "新增 1" in capsys.readouterr().out


def test_year_and_quarter_columns(store, tenants, tmp_path):
    one, _ = tenants
    path = write_csv(tmp_path / "q.csv", [["企业名称", "年度", "季度", "产值", "用电量"],
                                          [one.name, "2026年", "第二季度", 100, 50000],
                                          [one.name, 2026, 3, 110, 52000]])
    report = import_quarterly(store, path)
    assert report.problems == [] and report.created == 2
    assert [(r.year, r.quarter, r.output_value_wan) for r in reports(store)] == [(2026, 2, 100.0), (2026, 3, 110.0)]


def test_unknown_tenant_missing_quarter_bad_values_and_duplicates_are_reported(store, tenants, tmp_path):
    one, two = tenants
    path = write_csv(tmp_path / "q.csv", [
        ["企业名称", "统一社会信用代码", "季度", "产值", "用电量"],
        [one.name, one.credit_code, "2026Q3", "100", "50000"],        # row 2: good
        ["不存在的公司", make_credit_code(99), "2026Q3", "1", "1"],      # row 3: unknown tenant
        [two.name, "", "", "5", "5"],                                   # row 4: no quarter
        [two.name, "", "2026Q3", "-5", "abc"],                          # row 5: two bad values
        [one.name, "", "2026年第三季度", "100", "50000"],                # row 6: same tenant and quarter as row 2
        [two.name, "", "2026Q9", "1", "1"],                             # row 7: bad quarter
    ])
    report = import_quarterly(store, path)
    found = sorted((p.row, p.column, p.kind) for p in report.problems)
    assert found == [
        (3, "统一社会信用代码", "unknown_tenant"),
        (4, "季度", "quarter_missing"),
        (5, "产值", "negative"),
        (5, "用电量", "number_format"),
        (6, "企业名称", "duplicate_in_file"),
        (7, "季度", "quarter_format"),
    ]
    assert all(p.reason and not p.reason.startswith(("errors.", "quarterly.")) for p in report.problems)
    assert "第 2 行" in next(p.reason for p in report.problems if p.kind == "duplicate_in_file")
    assert report.valid_rows == 1 and not report.written and reports(store) == []


def test_all_or_nothing_exits_2_skip_invalid_imports_the_rest_dry_run_writes_nothing(
        store, tenants, tmp_path, db_path, capsys):
    one, two = tenants
    path = write_csv(tmp_path / "q.csv", [["企业名称", "季度", "产值", "用电量"],
                                          [one.name, "2026Q3", "100", "50000"],
                                          [two.name, "2026Q3", "很多", "1"]])
    assert main(["--db", str(db_path), "quarterly", "import", str(path)]) == 2
    out = capsys.readouterr()
    assert "第 3 行 [产值] “很多”" in out.out and reports(store) == []

    assert main(["--db", str(db_path), "quarterly", "import", str(path), "--skip-invalid", "--dry-run"]) == 0
    assert reports(store) == []
    capsys.readouterr()

    assert main(["--db", str(db_path), "--lang", "en", "quarterly", "import", str(path), "--skip-invalid"]) == 0
    out = capsys.readouterr().out
    assert "Row 3 [产值] \"很多\": \"很多\" is not a number" in out
    assert [r.tenant_id for r in reports(store)] == [one.id]
    assert path.with_name("q.rejects.csv").exists()


def test_warnings_are_printed_and_do_not_stop_the_import(store, tenants, tmp_path, db_path, capsys):
    one, _ = tenants
    path = write_csv(tmp_path / "q.csv", [["企业名称", "季度", "产值", "用电量"],
                                          [one.name, "2026Q2", "10", "5000"],
                                          [one.name, "2026Q3", "150", "0"]])
    assert main(["--db", str(db_path), "quarterly", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "提醒：第 3 行 [产值] “150”" in out and "15 倍" in out  # judged against row 2 of the same file
    assert "[用电量] “0”" in out
    assert len(reports(store)) == 2


def test_tenants_are_matched_by_code_before_name_and_an_ambiguous_name_is_refused(store, park, tmp_path):
    twin_a = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1, name="同名公司")))
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(2, name="同名公司")))
    path = write_csv(tmp_path / "q.csv", [["企业名称", "统一社会信用代码", "季度", "产值"],
                                          ["别的写法", twin_a.credit_code, "2026Q3", "1"],
                                          ["同名公司", "", "2026Q3", "2"]])
    report = import_quarterly(store, path, dry_run=True)
    assert [(p.row, p.kind) for p in report.problems] == [(3, "ambiguous_name")]
    assert report.valid_rows == 1


def test_reimport_updates_and_columns_missing_from_the_sheet_keep_their_values(store, tenants, tmp_path):
    one, _ = tenants
    save_quarter(store, tenant_id=one.id, quarter=Q3, data=typed(output_value_wan="100", water_t="300",
                                                                 difficulties="招工难"))
    path = write_csv(tmp_path / "q.csv", [["企业名称", "季度", "产值"], [one.name, "2026Q3", "110"]])
    report = import_quarterly(store, path)
    assert (report.created, report.updated) == (0, 1)
    [row] = reports(store)
    assert (row.output_value_wan, row.water_t, row.difficulties) == (110.0, 300.0, "招工难")


def test_several_parks_need_park_or_a_park_column(store, tenants, tmp_path, db_path, capsys):
    with store.transaction() as session:
        session.add(Park(code="PH-002", name="第二园区", district="平湖市", street="钟埭街道",
                         function_type="manufacturing", developer_type="government", land_area_mu=50,
                         floor_area_m2=30000))
    path = write_csv(tmp_path / "q.csv", [["企业名称", "季度", "产值"], [tenants[0].name, "2026Q3", "1"]])
    assert main(["--db", str(db_path), "quarterly", "import", str(path)]) == 2
    assert "--park" in capsys.readouterr().err
    assert main(["--db", str(db_path), "quarterly", "import", str(path), "--park", "PH-001"]) == 0


# --- export and round trip ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_round_trips_every_field(store, tenants, tmp_path, suffix):
    one, two = tenants
    # A line break inside a cell survives xlsx; ledger_import.read_rows splits CSV text by lines first.
    text = "=SUM(A1) 不是公式，\n两行" if suffix == ".xlsx" else "=SUM(A1) 不是公式，两行"
    figures = {
        (one.id, (2026, 2)): typed(output_value_wan="123.45", electricity_kwh="67890.5", water_t="12.25",
                                   tax_wan="0.0123", difficulties=text),
        (one.id, Q3): typed(output_value_wan="0", electricity_kwh="0", tax_wan="0"),
        (two.id, Q3): typed(output_value_wan="9999999.99", difficulties="-开头的文字"),
    }
    for (tenant_id, quarter), data in figures.items():
        save_quarter(store, tenant_id=tenant_id, quarter=quarter, data=data)
    before = [tuple(getattr(r, name) for name in ("tenant_id", "year", "quarter", *QUARTERLY_FIELDS))
              for r in reports(store)]
    path = tmp_path / f"季度{suffix}"
    assert export_quarterly(store, path, park_code="PH-001") == 3

    with store.transaction() as session:  # wipe the figures, keep the rows
        for row in session.exec(select(QuarterlyReport)):
            for name in QUARTERLY_FIELDS:
                setattr(row, name, None)
    report = import_quarterly(store, path)
    assert report.problems == [] and report.updated == 3
    after = [tuple(getattr(r, name) for name in ("tenant_id", "year", "quarter", *QUARTERLY_FIELDS))
             for r in reports(store)]
    assert after == before
    assert import_quarterly(store, path, dry_run=True).unchanged == 3


def test_xlsx_export_has_a_frozen_filtered_chinese_header(store, tenants, tmp_path):
    save_quarter(store, tenant_id=tenants[0].id, quarter=Q3, data=typed(output_value_wan="1"))
    path = tmp_path / "q.xlsx"
    export_quarterly(store, path)
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["园区编号", "园区名称", "承租单位", "统一社会信用代码", "年度", "季度"]
    assert "产值(万元)" in header and "用电量(kWh)" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet.column_dimensions["C"].width >= 20


def test_export_range_and_refusals(store, tenants, tmp_path, db_path, capsys):
    for quarter in ((2025, 4), (2026, 1), (2026, 2)):
        save_quarter(store, tenant_id=tenants[0].id, quarter=quarter, data=typed(output_value_wan="1"))
    path = tmp_path / "q.csv"
    assert main(["--db", str(db_path), "quarterly", "export", "-o", str(path), "--from", "2026Q1",
                 "--to", "2026年第二季度"]) == 0
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3 and path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["--db", str(db_path), "quarterly", "export", "-o", str(path), "--from", "2026"]) == 2
    assert main(["--db", str(db_path), "quarterly", "export", "-o", str(path), "--from", "2026Q3",
                 "--to", "2026Q1"]) == 2
    assert main(["--db", str(db_path), "quarterly", "export", "-o", str(tmp_path / "q.txt")]) == 2
    assert main(["--db", str(db_path), "quarterly", "export", "-o", str(path), "--park", "XX"]) == 2


def test_the_grid_benchmark_runs_on_a_tiny_park():
    """benchmarks/quarterly_grid.py keeps working (figures in docs/PERFORMANCE.md, not asserted)."""
    import json
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "quarterly_grid.py"
    done = subprocess.run([sys.executable, str(script), "--tenants", "4", "--repeat", "1", "--json"],
                          capture_output=True, text=True, timeout=300, check=True)
    summary = json.loads(done.stdout)
    assert summary["tenants_in_grid"] >= 1 and summary["rows_exported"] == summary["quarterly_reports"]
    assert {"load_grid_ms", "open_ms", "switch_ms", "save_row_ms", "export_s", "import_dry_s"} <= set(summary)
