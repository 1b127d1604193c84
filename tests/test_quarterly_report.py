"""The quarterly report as .xlsx and PDF, on the small county of tests/test_park_overview.py.

Its figures for 2026Q3 (worked out by hand there): PH-101 has 3 tenants in the park (甲 乙 丁),
output 800 万元 on 50 亩 (16 万元/亩), 乙 declining 50%, 丁 with an overdue hazard; PH-102 has 戊,
output 1,000; the county 4 tenants, 1,800 万元, hazards not closed 2 general + 2 major, overdue
1 + 1, two flagged tenants.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from db.errors import UserError
from db.models import Tenant
from forms.i18n import catalogue
from inspect_app.cli import main
from inspect_app.services.park_overview import Quarter
from inspect_app.services.quarterly_report import (
    county_report,
    park_report,
    write_quarterly_report,
    write_report,
)
from tests.conftest import TODAY, make_credit_code
from tests.test_park_overview import add_park, county  # noqa: F401 - the shared dataset (a fixture)

Q3 = Quarter(2026, 3)
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) not installed")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
DECLINING_ZH = "产值同比下降 50%（2025年第三季度 300 万元 → 2026年第三季度 150 万元）"


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")[:-1]  # a form feed ends every page


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def summary_values(sheet) -> dict[str, object]:
    """Label -> value of the 概况 sheet's (item, value, unit) rows."""
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True) if row[0] and row[1] is not None}


def out_folder(tmp_path: Path) -> Path:
    """Where reports go: apart from the database, so that "nothing written" can be seen."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def by_header(sheet) -> list[dict[str, object]]:
    header, *rows = rows_of(sheet)
    return [dict(zip(header, row, strict=True)) for row in rows if row[0] is not None]


# --- xlsx ------------------------------------------------------------------------------------------------


def test_county_workbook_has_its_sheets_headers_and_figures(store, county, tmp_path):  # noqa: F811
    path = tmp_path / "全县.xlsx"
    write_quarterly_report(store, path, quarter=Q3, today=TODAY)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概况", "园区", "趋势", "预警"]

    summary = book["概况"]
    assert summary["A1"].value == "平湖市小微企业园2026年第三季度运行情况报告"  # the parks' district
    assert [c.value for c in summary[4]] == ["项目", "数值", "单位"]
    assert summary.freeze_panes == "A5"
    figures = summary_values(summary)
    assert figures["园区数"] == 2
    assert figures["在园企业"] == 4
    assert figures["已出租面积"] == 10_500
    assert figures["空置面积"] == 3_000
    assert figures["从业人数"] == 113
    assert figures["规上企业占比"] == pytest.approx(0.5)
    assert figures["产值"] == 1_800
    assert figures["规上企业产值占比"] == pytest.approx(1_600 / 1_800)
    assert figures["税收"] == 88
    assert figures["亩均产值（本季度）"] == pytest.approx(1_800 / 70)
    assert (figures["未销号一般隐患"], figures["未销号重大隐患"]) == (2, 2)
    assert (figures["逾期一般隐患"], figures["逾期重大隐患"]) == (1, 1)
    assert (figures["预警企业"], figures["产值下滑"], figures["隐患逾期"], figures["疑似僵尸"]) == (2, 1, 1, 0)
    assert summary["B9"].number_format  # figures carry a number format, not text

    parks = book["园区"]
    assert parks.freeze_panes == "A2" and parks.auto_filter.ref == "A1:O3"
    p1, p2 = by_header(parks)
    assert (p1["园区编号"], p1["园区名称"], p1["企业数"], p1["产值（万元）"]) == ("PH-101", "园区PH-101", 3, 800)
    assert p1["亩均产值（万元）"] == pytest.approx(16)
    assert (p1["未销号隐患"], p1["逾期隐患"], p1["预警企业"]) == (3, 1, 2)
    assert (p2["园区编号"], p2["产值（万元）"], p2["空置面积（㎡）"]) == ("PH-102", 1_000, 0)
    assert parks.page_setup.orientation == "landscape" and parks.print_title_rows == "$1:$1"

    trend = by_header(book["趋势"])
    assert [row["季度"] for row in trend][-1] == "2026年第三季度" and len(trend) == 8
    assert [row["产值（万元）"] for row in trend] == [0, 0, 0, 840, 0, 0, 400, 1_800]
    assert book["趋势"]._charts  # the bar chart of output

    flagged = by_header(book["预警"])
    assert [(row["园区编号"], row["企业名称"], row["预警"]) for row in flagged] == [
        ("PH-101", "丁企业", "隐患逾期"), ("PH-101", "乙企业", "产值下滑")]
    assert flagged[1]["说明"] == DECLINING_ZH
    assert flagged[1]["统一社会信用代码"] == make_credit_code(2)


def test_park_workbook_lists_its_tenants(store, county, tmp_path):  # noqa: F811
    path = tmp_path / "园区.xlsx"
    write_quarterly_report(store, path, park_code="PH-101", quarter=Q3, today=TODAY)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概况", "企业", "趋势", "预警"]
    assert book["概况"]["A1"].value == "园区PH-101 2026年第三季度运行情况报告".replace(" ", "")
    figures = summary_values(book["概况"])
    assert (figures["在园企业"], figures["产值"], figures["亩均产值（本季度）"]) == (3, 800, 16)
    assert "园区数" not in figures
    tenants = {row["企业名称"]: row for row in by_header(book["企业"])}
    assert sorted(tenants) == sorted(["甲企业", "乙企业", "丁企业"])
    a, b, d = tenants["甲企业"], tenants["乙企业"], tenants["丁企业"]
    assert (a["统一社会信用代码"], a["租赁面积（㎡）"], a["从业人数"], a["规模"], a["亩均效益"]) == (
        make_credit_code(1), 4_000, 50, "规上", "A")
    assert (a["产值（万元）"], a["用电量（千瓦时）"], a["税收（万元）"]) == (600, 100_000, 30)
    assert a["产值同比"] == pytest.approx(20) and a["风险预警"] is None
    assert b["产值同比"] == pytest.approx(-50) and b["风险预警"] == "产值下滑"
    assert d["产值（万元）"] is None and d["亩均效益"] is None and d["风险预警"] == "隐患逾期"
    assert book["企业"].auto_filter.ref == "A1:K4"
    flagged = by_header(book["预警"])
    assert [row["企业名称"] for row in flagged] == ["丁企业", "乙企业"]
    assert "园区编号" not in flagged[0]  # one park: its name is in the title


def test_english_workbook_has_no_chinese_labels(store, county, tmp_path):  # noqa: F811
    path = tmp_path / "county.xlsx"
    write_quarterly_report(store, path, quarter=Q3, today=TODAY, lang="en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Parks", "Trend", "Flags"]
    labels = [c.value for sheet in book for c in sheet[1 if sheet.title != "Summary" else 4]]
    labels += [row[0] for row in book["Summary"].iter_rows(min_row=5, values_only=True) if row[0]]
    labels += [row[2] for row in book["Summary"].iter_rows(min_row=5, values_only=True) if row[2]]
    labels += [row[0] for row in book["Trend"].iter_rows(min_row=2, values_only=True) if row[0]]
    labels += [row[4] for row in book["Flags"].iter_rows(min_row=2, values_only=True) if row[4]]
    assert labels and not [label for label in labels if CJK.search(str(label))]
    assert "Output" in [c.value for c in book["Summary"]["A"]]
    explanation = by_header(book["Flags"])[1]["In words"]
    assert explanation.startswith("Output down 50% year on year")


# --- PDF -------------------------------------------------------------------------------------------------


@needs_pdftotext
def test_county_pdf_says_the_figures_and_the_flags_in_words(store, county, tmp_path):  # noqa: F811
    path = tmp_path / "全县.pdf"
    write_quarterly_report(store, path, quarter=Q3, today=TODAY)
    pages = pdf_pages(path)
    text = "\n".join(pages)
    squeezed = re.sub(r"\s+", "", text)
    assert "平湖市小微企业园2026年第三季度运行情况报告" in squeezed
    for name in ("园区PH-101", "园区PH-102", "乙企业", "丁企业"):
        assert name in text
    assert "1,800" in text and "10,500" in text and "16.0" in text  # output, rented area, PH-101 per 亩
    assert re.sub(r"\s+", "", DECLINING_ZH) in squeezed  # the flag in words, whole (it may wrap)
    assert "1项隐患整改逾期" in squeezed or "隐患整改逾期" in squeezed
    assert "近八个季度产值（万元）" in squeezed  # the chart's title
    # pdftotext drops the spaces between Chinese characters
    assert all(f"第{n}页共{len(pages)}页" in re.sub(r"\s+", "", page) for n, page in enumerate(pages, start=1))


def pdf_font_names(path: Path) -> list[tuple[str, str]]:
    """(name, embedded yes/no) of every font in the file, as `pdffonts` lists them."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [(line.split()[0], line.split()[-5]) for line in out.splitlines()[2:] if line.strip()]


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) not installed")
def test_the_report_pdf_uses_only_the_bundled_font_embedded(store, county, tmp_path):  # noqa: F811
    """No base-14 Helvetica left in the resources (the chart's axis labels, empty cells)."""
    path = tmp_path / "全县.pdf"
    write_quarterly_report(store, path, quarter=Q3, today=TODAY)
    fonts = pdf_font_names(path)
    assert fonts and all(name.split("+")[1].startswith("WenQuanYiMicroHei") and embedded == "yes"
                         for name, embedded in fonts), fonts


@pytest.fixture
def big_park(store):
    """One park with 90 tenants: the tenant table runs over several pages."""
    with store.transaction() as session:
        park = add_park(session, "PH-300", 100, 50_000)
        session.flush()
        for n in range(1, 91):
            session.add(Tenant(park_id=park.id, name=f"长名称测试企业第{n:03d}号有限公司", credit_code=make_credit_code(n),
                               rented_area_m2=100, headcount=5, scale="below", lease_use="production"))
    return park


@needs_pdftotext
def test_park_pdf_repeats_the_table_header_on_every_page(store, big_park, tmp_path):
    path = tmp_path / "园区.pdf"
    write_quarterly_report(store, path, park_code="PH-300", quarter=Q3, today=TODAY)
    pages = pdf_pages(path)
    table_pages = [page for page in pages if "长名称测试企业" in page]
    assert len(table_pages) >= 2
    assert all("企业名称" in page and "统一社会信用代码" in re.sub(r"\s+", "", page) for page in table_pages)
    text = "\n".join(pages)
    assert all(f"长名称测试企业第{n:03d}号有限公司" in text for n in (1, 45, 90))
    assert "本季度没有风险预警企业" in text
    assert f"第{len(pages)}页共{len(pages)}页" in re.sub(r"\s+", "", pages[-1])


@needs_pdftotext
def test_english_pdf_has_no_chinese_labels(store, county, tmp_path):  # noqa: F811
    path = tmp_path / "park.pdf"
    write_quarterly_report(store, path, park_code="PH-101", quarter=Q3, today=TODAY, lang="en")
    text = "\n".join(pdf_pages(path))
    assert "operating report, 2026 Q3" in text and "Page 1 of" in text
    assert "Output down 50% year on year" in text
    # The data stays as written (park and tenant names, 平湖市); no label of the Chinese report does.
    data = {"园区PH-101", "甲企业", "乙企业", "丁企业", "当湖街道", "平湖市"}
    labels_only = re.sub("|".join(map(re.escape, data)), "", text)
    chinese_labels = {value for key, value in catalogue("zh_CN").items()
                      if key.startswith(("report.", "risk_flags.label.", "choices.scale.")) and len(value) >= 2}
    assert [label for label in chinese_labels if "{" not in label and label in labels_only] == []
    assert CJK.findall(labels_only) == []


# --- service, CLI -------------------------------------------------------------------------------------


def test_report_data_is_built_from_the_overview(store, county):  # noqa: F811
    report = park_report(store, county["p1"].id, quarter=Q3, today=TODAY)
    assert report.figures.output_wan == 800 and report.figures.output_per_mu == 16
    assert [line.tenant for line in report.flagged] == ["丁企业", "乙企业"]
    assert report.flagged[1].explanation == DECLINING_ZH
    whole = county_report(store, quarter=Q3, today=TODAY)
    assert [park.code for park in whole.parks] == ["PH-101", "PH-102"]
    assert whole.figures.hazards_overdue == 2


def test_bad_suffix_and_future_quarter_write_nothing(store, county, tmp_path):  # noqa: F811
    tmp_path = out_folder(tmp_path)
    with pytest.raises(UserError) as refused:
        write_quarterly_report(store, tmp_path / "r.docx", quarter=Q3, today=TODAY)
    assert refused.value.key == "report.bad_suffix"
    with pytest.raises(UserError) as refused:
        write_quarterly_report(store, tmp_path / "r.pdf", quarter=Quarter(2026, 4), today=TODAY)
    assert refused.value.key == "report.future_quarter"
    with pytest.raises(UserError):
        write_report(county_report(store, quarter=Q3, today=TODAY), tmp_path / "r.csv")
    assert list(tmp_path.iterdir()) == []


def run(capsys, db_path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_the_county_and_a_park(capsys, db_path, county, tmp_path):  # noqa: F811
    code, out, err = run(capsys, db_path, "report", "-o", str(tmp_path / "c.xlsx"), "--quarter", "2026Q3")
    assert code == 0, err
    assert "c.xlsx" in out
    assert openpyxl.load_workbook(tmp_path / "c.xlsx").sheetnames == ["概况", "园区", "趋势", "预警"]
    code, out, err = run(capsys, db_path, "--lang", "en", "report", "-o", str(tmp_path / "p.pdf"),
                         "--park", "PH-102", "--quarter", "2026Q3")
    assert code == 0, err
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("args", "message"), [
    (["--quarter", "2026Q9"], "季度“2026Q9”无法识别"),
    (["--quarter", "三季度"], "无法识别"),
    (["--park", "PH-999", "--quarter", "2026Q3"], "没有编号为 PH-999 的园区"),
])
def test_cli_refuses_a_bad_quarter_or_park_and_writes_nothing(capsys, db_path, county, tmp_path, args,  # noqa: F811
                                                              message):
    tmp_path = out_folder(tmp_path)
    code, out, err = run(capsys, db_path, "report", "-o", str(tmp_path / "r.pdf"), *args)
    assert code == 2
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_cli_refusal_in_english(capsys, db_path, county, tmp_path):  # noqa: F811
    tmp_path = out_folder(tmp_path)
    code, out, err = run(capsys, db_path, "--lang", "en", "report", "-o", str(tmp_path / "r.txt"))
    assert code == 2 and "the quarterly report is written as .xlsx or .pdf" in err
    assert list(tmp_path.iterdir()) == []


# --- TUI -----------------------------------------------------------------------------------------------


async def test_r_on_the_overviews_writes_the_report(store, county, tmp_path):  # noqa: F811
    tmp_path = out_folder(tmp_path)
    from textual.widgets import Input

    from inspect_app.app import make_app
    from inspect_app.screens.export_path import ExportPathScreen
    from inspect_app.screens.overview import CountyOverviewScreen, ParkOverviewScreen
    from tests.pilot import settle
    from tests.test_tui import with_profile

    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        county_screen = app.screen
        assert isinstance(county_screen, CountyOverviewScreen)
        # the footer says what r does, in words
        assert [b.description for b in county_screen._bindings.key_to_bindings["r"]] == ["季度报告"]
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, ExportPathScreen)
        field = app.screen.query_one("#export-path", Input)
        assert field.value.endswith("季度报告-2026Q3.pdf")
        field.value = str(tmp_path / "r.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportPathScreen)  # refused suffix, nothing written
        field.value = str(tmp_path / "全县.pdf")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is county_screen
        assert (tmp_path / "全县.pdf").read_bytes().startswith(b"%PDF")

        await pilot.press("enter")  # the first park
        await settle(app, pilot)
        assert isinstance(app.screen, ParkOverviewScreen)
        await pilot.press("r")
        await settle(app, pilot)
        field = app.screen.query_one("#export-path", Input)
        assert field.value.endswith("季度报告-2026Q3-PH-101.pdf")
        field.value = str(tmp_path / "园区.xlsx")
        await pilot.press("enter")
        await settle(app, pilot)
    assert openpyxl.load_workbook(tmp_path / "园区.xlsx").sheetnames == ["概况", "企业", "趋势", "预警"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["全县.pdf", "园区.xlsx"]
