"""Ledger export: CSV and XLSX files an office opens in Excel or WPS, in the user's language."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from db.errors import UserError
from db.models import Park
from exports.tabular import FORMULA_GUARD, column_widths, display_width, write_csv, write_xlsx
from forms.i18n import set_language
from forms.tenant import TENANT_FIELDS, TenantInput
from inspect_app.services.ledger import save_tenant
from inspect_app.services.ledger_export import LEDGER_COLUMNS, column_for_header, export_ledger
from tests.conftest import tenant_values

ZH_HEADERS = [
    "园区编号", "园区名称", "承租单位", "统一社会信用代码", "负责人/联系人", "联系电话", "楼栋", "房号",
    "出租面积(㎡)", "租赁区域总人数", "企业规模", "承租用途", "主要风险点", "租赁开始", "租赁结束", "状态",
    "火灾危险性类别", "生产工艺/储存物品", "已签消防安全责任书", "责任书签订日期", "是否转租", "次承租人",
    "是否有人住宿", "所在楼层", "已签三方消防安全协议", "同意向银行出具经营信息证明", "备注",
]  # fmt: skip

FULL_TENANT = tenant_values(
    1,
    scale="规上",
    lease_start="2024-03-01",
    lease_end="2027-02-28",
    fire_hazard_class="丙",
    process_or_goods="机加工、喷涂",
    safety_agreement_signed="是",
    safety_agreement_date="2025-01-15",
    sublet="是",
    subtenant_name="平湖某某五金加工厂",
    people_living_on_site="否",
    notes="二楼设有员工休息室",
)


def _add(store, park_id: str, values: dict):
    return save_tenant(store, park_id=park_id, data=TenantInput.model_validate(values))


@pytest.fixture
def second_park(store) -> Park:
    with store.transaction() as session:
        other = Park(code="JX-002", name="嘉兴秀洲小微企业园", district="秀洲区", street="王江泾镇",
                     function_type="manufacturing", developer_type="leading_enterprise",
                     land_area_mu=60, floor_area_m2=40000)  # fmt: skip
        session.add(other)
    return other


@pytest.fixture
def ledger(store, park, second_park):
    """Three tenants in PH-001 (one has left) and one in JX-002."""
    _add(store, park.id, FULL_TENANT)
    _add(store, park.id, tenant_values(2))
    _add(store, park.id, tenant_values(3, status="已迁出", risk_points=""))
    _add(store, second_park.id, tenant_values(4, building="A幢"))
    return park


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _by_name(rows: list[list], headers: list[str]) -> dict[str, dict[str, object]]:
    return {row[headers.index("承租单位")]: dict(zip(headers, row, strict=True)) for row in rows}


# --- CSV --------------------------------------------------------------------------------------


def test_csv_starts_with_a_byte_order_mark_and_chinese_headers(store, ledger, tmp_path):
    target = tmp_path / "台账.csv"
    assert export_ledger(store, target, park_code=None) == 4
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert _read_csv(target)[0] == ZH_HEADERS


def test_csv_round_trips_every_value(store, ledger, tmp_path):
    target = tmp_path / "ledger.csv"
    export_ledger(store, target, park_code=None)
    header, *rows = _read_csv(target)
    row = _by_name(rows, header)["平湖测试精密机械有限公司1"]
    assert row == {
        "园区编号": "PH-001", "园区名称": "平湖经济开发区小微企业园", "承租单位": "平湖测试精密机械有限公司1",
        "统一社会信用代码": FULL_TENANT["credit_code"], "负责人/联系人": "张伟", "联系电话": "13812345678",
        "楼栋": "3号楼", "房号": "101", "出租面积(㎡)": "1200", "租赁区域总人数": "35", "企业规模": "规上",
        "承租用途": "生产", "主要风险点": "粉尘、动火作业", "租赁开始": "2024-03-01", "租赁结束": "2027-02-28",
        "状态": "在园", "火灾危险性类别": "丙", "生产工艺/储存物品": "机加工、喷涂", "已签消防安全责任书": "是",
        "责任书签订日期": "2025-01-15", "是否转租": "是", "次承租人": "平湖某某五金加工厂",
        "是否有人住宿": "否", "所在楼层": "", "已签三方消防安全协议": "否", "同意向银行出具经营信息证明": "否", "备注": "二楼设有员工休息室",
    }  # fmt: skip
    assert _by_name(rows, header)["平湖测试精密机械有限公司3"]["状态"] == "已迁出"


def test_exported_rows_validate_again_as_tenant_input(store, ledger, tmp_path):
    """What the export writes, the importer's model reads back to the same values."""
    target = tmp_path / "ledger.csv"
    export_ledger(store, target, park_code="PH-001")
    header, *rows = _read_csv(target)
    columns = [column_for_header(h) for h in header]
    row = _by_name(rows, header)["平湖测试精密机械有限公司1"]
    typed = {c.field: row[h] for c, h in zip(columns, header, strict=True) if c.source == "tenant"}
    assert TenantInput.model_validate(typed) == TenantInput.model_validate(FULL_TENANT)


def test_csv_disarms_text_that_a_spreadsheet_would_run_as_a_formula(tmp_path):
    target = tmp_path / "x.csv"
    write_csv(target, ["备注"], [['=HYPERLINK("http://x")'], ["-5"], [-5]])
    assert _read_csv(target)[1:] == [
        [FORMULA_GUARD + '=HYPERLINK("http://x")'],
        [FORMULA_GUARD + "-5"],
        ["-5"],
    ]


# --- XLSX -------------------------------------------------------------------------------------


@pytest.fixture
def workbook_sheet(store, ledger, tmp_path):
    target = tmp_path / "ledger.xlsx"
    assert export_ledger(store, target, park_code=None) == 4
    return openpyxl.load_workbook(target).active


def test_xlsx_has_a_bold_frozen_filtered_header_row(workbook_sheet):
    sheet = workbook_sheet
    assert [c.value for c in sheet[1]] == ZH_HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AA5"
    assert sheet.title == "园中园台账"
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"


def test_xlsx_dates_are_date_cells_and_numbers_are_numbers(workbook_sheet):
    sheet = workbook_sheet
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[headers.index("承租单位")].value.endswith("司1"))
    start = row[headers.index("租赁开始")]
    assert start.is_date and start.value.date() == date(2024, 3, 1)
    assert start.number_format == "yyyy-mm-dd"
    assert row[headers.index("出租面积(㎡)")].value == 1200
    assert row[headers.index("租赁区域总人数")].value == 35
    assert row[headers.index("已签消防安全责任书")].value == "是"


def test_xlsx_columns_are_wide_enough_for_chinese(workbook_sheet):
    sheet = workbook_sheet
    width = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert width["承租单位"] >= display_width("平湖测试精密机械有限公司1")
    assert width["次承租人"] >= display_width("平湖某某五金加工厂")


def test_cjk_text_counts_double_width():
    assert display_width("平湖") == 4
    assert display_width("ab") == 2
    chinese, latin = column_widths(["a", "b"], [["测试测试测试测试", "abcdefgh"]])
    assert chinese > latin


def test_xlsx_keeps_formula_like_text_as_text(tmp_path):
    target = tmp_path / "x.xlsx"
    write_xlsx(target, ["备注"], [["=1+2"], ["坏\x07字符"]], "测试")
    sheet = openpyxl.load_workbook(target).active
    assert sheet["A2"].value == "=1+2" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "坏字符"


def test_xlsx_sheet_title_is_made_acceptable_to_excel(tmp_path):
    target = tmp_path / "x.xlsx"
    write_xlsx(target, ["a"], [], "台账/2026:[第一季度]" + "很长" * 20)
    title = openpyxl.load_workbook(target).active.title
    assert len(title) <= 31 and not set(title) & set("[]:*?/\\")


# --- choices of the export --------------------------------------------------------------------


def test_park_filter_exports_only_that_park(store, ledger, tmp_path):
    target = tmp_path / "ph.xlsx"
    assert export_ledger(store, target, park_code="ph-001") == 3
    sheet = openpyxl.load_workbook(target).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"PH-001"}
    assert sheet.title == "园中园台账 PH-001"


def test_english_headers_and_labels(store, ledger, tmp_path):
    set_language("en")
    target = tmp_path / "ledger.csv"
    export_ledger(store, target, park_code="JX-002")
    header, row = _read_csv(target)
    assert header[:3] == ["Park code", "Park name", "Tenant"]
    assert "规" not in row[header.index("Scale")]
    assert row[header.index("Sublet")] == "No"


def test_unknown_park_and_bad_suffix_are_refused(store, ledger, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(UserError):
        export_ledger(store, out / "x.xlsx", park_code="NOPE-9")
    with pytest.raises(UserError):
        export_ledger(store, out / "x.ods", park_code=None)
    assert not out.exists()


def test_columns_cover_every_field_a_tenant_form_has():
    tenant_columns = [c.field for c in LEDGER_COLUMNS if c.source == "tenant"]
    assert sorted(tenant_columns) == sorted(TENANT_FIELDS)
    for lang in ("zh_CN", "en"):
        headers = [c.header(lang) for c in LEDGER_COLUMNS]
        assert len(set(headers)) == len(headers)
        assert all(column_for_header(c.header(lang)) is c for c in LEDGER_COLUMNS)


# --- files appear whole or not at all ---------------------------------------------------------


def test_export_leaves_no_temporary_files(store, ledger, tmp_path):
    out = tmp_path / "out"
    export_ledger(store, out / "a.xlsx", park_code=None)
    export_ledger(store, out / "a.csv", park_code=None)
    export_ledger(store, out / "a.csv", park_code="PH-001")  # over an existing file
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "a.xlsx"]


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("disk full, say")


@pytest.mark.parametrize("writer", [write_csv, lambda p, h, r: write_xlsx(p, h, r, "x")])
def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, writer):
    target = tmp_path / "old.file"
    target.write_bytes(b"previous export")
    with pytest.raises(Exception):  # noqa: B017 - any failure while writing
        writer(target, ["a"], [["fine"], [Unprintable()]])
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["old.file"]


def test_exports_layer_imports_neither_the_app_nor_openpyxl_at_import():
    code = (
        "import sys, exports.tabular; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('inspect_app', 'textual', 'openpyxl')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
