"""Hazards with 五落实 and status as .xlsx / .csv: `parkinspect hazards -o FILE` and the service."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import openpyxl
import pytest

from forms import china_time
from forms.inspector import InspectorInput
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services.hazards import HazardQuery, record_reinspection, save_rectification
from inspect_app.services.hazards_export import HAZARD_COLUMNS, default_export_name, export_hazards
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import make_credit_code, tenant_values
from tests.test_cli_hazards import five, inspect

TODAY = china_time.today()  # the day the CLI judges overdue by
HEADERS = ["园区编号", "园区名称", "承租单位", "统一社会信用代码", "隐患部位", "隐患描述", "隐患等级", "状态", "发现日期",
           "整改责任人", "责任人电话", "整改措施", "整改资金（元）", "资金说明", "整改时限", "整改预案", "整改通知书编号",
           "最近复查结果", "最近复查日期"]  # fmt: skip


@pytest.fixture
def hazards(store, park) -> dict[str, str]:
    """A tenant's hazard re-inspected as not rectified (new deadline), one overdue, one in the common areas."""
    inspector = save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))
    long_ago = TODAY - timedelta(days=60)
    retried, overdue = inspect(store, park, inspector, tenant=tenant, failures=("B03", "D01"), found_on=long_ago)
    save_rectification(store, retried, five(TODAY - timedelta(days=40)), today=TODAY - timedelta(days=60))
    record_reinspection(store, retried, outcome="not_rectified", on=TODAY - timedelta(days=30), evidence_note=None,
                        new_deadline=TODAY + timedelta(days=10), inspector_ids=[inspector.id])  # fmt: skip
    (common,) = inspect(store, park, inspector, failures=("D03",), found_on=TODAY)
    return {"retried": retried, "overdue": overdue, "common": common}


def _xlsx_rows(path) -> list[list[object]]:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_has_one_row_per_hazard_with_five_implementations_and_last_reinspection(store, park, hazards, tmp_path):
    path = tmp_path / "hazards.xlsx"
    assert export_hazards(store, path, HazardQuery(today=TODAY)) == 3
    header, *rows = _xlsx_rows(path)
    assert header == HEADERS and len(header) == len(HAZARD_COLUMNS)
    by_status = {row[7]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_status) == {"待整改", "已逾期"} and len(rows) == 3
    retried = next(dict(zip(header, r, strict=True)) for r in rows if r[17])
    assert retried["承租单位"] == "平湖测试精密机械有限公司1"
    assert retried["统一社会信用代码"] == make_credit_code(1)
    assert (retried["整改责任人"], retried["责任人电话"], retried["整改资金（元）"]) == ("张伟", "13812345678", 1500)
    assert retried["整改措施"] == "由持证电工重新敷设线路" and retried["整改预案"].startswith("整改期间断开")
    assert retried["整改时限"].date() == TODAY + timedelta(days=10)  # the new deadline after 复查
    assert (retried["最近复查结果"], retried["最近复查日期"].date()) == ("未整改", TODAY - timedelta(days=30))
    assert retried["状态"] == "待整改" and retried["发现日期"].date() == TODAY - timedelta(days=60)
    overdue = by_status["已逾期"]
    assert overdue["整改责任人"] is None and overdue["最近复查结果"] is None
    common = next(dict(zip(header, r, strict=True)) for r in rows if r[2] == "园区公共区域")
    assert common["统一社会信用代码"] is None and common["隐患等级"] == "一般隐患"


def test_cli_output_follows_the_filters_and_writes_csv_with_bom(store, park, hazards, tmp_path, db_path, capsys):
    path = tmp_path / "逾期.csv"
    assert main(["--db", str(db_path), "hazards", "--status", "overdue", "-o", str(path)]) == 0
    assert "已导出 1 行" in capsys.readouterr().out
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == HEADERS
    assert [row[7] for row in rows] == ["已逾期"]


def test_cli_output_in_english_and_a_bad_suffix_is_refused(store, park, hazards, tmp_path, db_path, capsys):
    path = tmp_path / "h.xlsx"
    assert main(["--db", str(db_path), "--lang", "en", "hazards", "--output", str(path)]) == 0
    header, *rows = _xlsx_rows(path)
    assert header[:3] == ["Park code", "Park", "Tenant"] and len(rows) == 3
    assert main(["--db", str(db_path), "hazards", "-o", str(tmp_path / "h.txt")]) == 2
    assert ".txt" in capsys.readouterr().err
    assert not (tmp_path / "h.txt").exists()


def test_default_name_is_dated():
    assert default_export_name(date(2026, 11, 26)) == "隐患整改台账-2026-11-26.xlsx"


async def test_the_hazards_screen_exports_what_its_filters_show(store, park, hazards, tmp_path):
    from textual.widgets import Input, Select

    from inspect_app.app import make_app
    from inspect_app.screens.export_path import ExportPathScreen
    from inspect_app.screens.hazards import HazardsScreen
    from tests.pilot import settle
    from tests.test_tui import with_profile

    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HazardsScreen)
        screen.query_one("#status-filter", Select).value = "overdue"
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, ExportPathScreen)
        field = app.screen.query_one("#export-path", Input)
        assert field.value.endswith(default_export_name(TODAY))
        field.value = str(tmp_path / "h.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportPathScreen) and not (tmp_path / "h.txt").exists()  # refused suffix
        field.value = str(tmp_path / "逾期隐患.xlsx")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
    header, *rows = _xlsx_rows(tmp_path / "逾期隐患.xlsx")
    assert [row[7] for row in rows] == ["已逾期"]


def test_long_text_wraps_and_the_print_scale_fits_the_columns_across_the_page(tmp_path):
    from exports.tabular import (
        A4_READABLE_SCALE,
        MIN_PRINT_SCALE,
        PAPER_A3,
        PAPER_A4,
        WRAP_WIDTH,
        paper_and_scale,
        print_scale,
        write_xlsx,
    )

    assert print_scale([10] * 5) == 100  # narrow sheets print at full size
    assert MIN_PRINT_SCALE < print_scale([20] * 12) < 100
    assert print_scale([30] * 40) == MIN_PRINT_SCALE
    # A sheet that would print below 60% on A4 goes on A3, at a larger scale.
    assert paper_and_scale([10] * 5) == (PAPER_A4, 100)
    paper, scale = paper_and_scale([14] * 24)
    assert paper == PAPER_A3 and print_scale([14] * 24) < A4_READABLE_SCALE and scale > print_scale([14] * 24)
    path = tmp_path / "wide.xlsx"
    plan = "整改期间该区域暂停使用，设置警示标识，安排专人值守并配备灭火器材，每日巡查两次"
    write_xlsx(path, ["已签消防安全责任书", "整改预案"] + [f"第{i}列很长的表头" for i in range(60)], [["是", plan] + ["值"] * 60], "宽表")
    sheet = openpyxl.load_workbook(path).active
    assert sheet.column_dimensions["A"].width < 15  # a long header wraps instead of widening 是/否
    assert sheet.column_dimensions["B"].width == WRAP_WIDTH and sheet["B2"].alignment.wrap_text
    # Too wide even for A3: the smallest scale, and the pages to the right repeat the first columns.
    assert sheet.page_setup.paperSize == int(PAPER_A3) and sheet.page_setup.scale == MIN_PRINT_SCALE
    assert sheet.print_title_cols == "$A:$C"
