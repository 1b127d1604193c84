"""The quarterly report as a workbook: 概况 (summary), 园区 or 企业 (a row per park or tenant),
趋势 (eight quarters, with a bar chart of output), 预警 (each flag of each tenant in words).

The list sheets are for working in Excel: the header row frozen and filtered, figures typed as
numbers (so they sort and sum) with number formats, widths measured as `exports/tabular.py`
measures them, long text wrapped. Printed on A4 (the summary portrait, the lists landscape scaled
to the page width) with the report's title at the top and "第 X 页 共 Y 页" at the bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from exports.quarterly_report_data import (
    AMOUNT,
    NUMBER_FORMATS,
    Column,
    QuarterlyReport,
    SummaryRow,
    flagged_columns,
    format_value,
    park_columns,
    r,
    sheet_names,
    summary_rows,
    tenant_columns,
    trend_columns,
)
from exports.tabular import (
    MARGIN_SIDE_INCHES,
    WRAP_WIDTH,
    atomic_target,
    column_widths,
    display_width,
    print_scale,
    safe_sheet_title,
)

TITLE_SIZE = 14
LINE_POINTS = 15  # height of one line of 11-point text
LIBREOFFICE_SLACK = 1.2
EXPLANATION_WIDTH = 60
NAME_WIDTH = 40
NAME_COLUMNS = {"name", "park_name", "tenant"}


def write_report_xlsx(report: QuarterlyReport, path: Path) -> None:
    # openpyxl: only when a spreadsheet is written
    from openpyxl import Workbook

    workbook = Workbook()
    summary, listing, trend, flags = sheet_names(report)
    _summary_sheet(workbook.active, report, summary)
    if report.is_county:
        _list_sheet(workbook.create_sheet(), report, listing, park_columns(report.lang), report.parks)
    else:
        _list_sheet(workbook.create_sheet(), report, listing, tenant_columns(report.lang), report.tenants,
                    empty=r("no_tenants", report.lang))
    _list_sheet(workbook.create_sheet(), report, trend, trend_columns(report.lang), report.trend)
    _trend_chart(workbook[safe_sheet_title(trend)], report)
    _list_sheet(workbook.create_sheet(), report, flags, flagged_columns(report), report.flagged,
                empty=r("no_flags", report.lang))  # the thresholds in words are on the summary sheet
    workbook.properties.title = report.title
    workbook.properties.creator = "ParkInspect"
    with atomic_target(path) as temporary:
        workbook.save(temporary)


# --- the pieces ---------------------------------------------------------------------------------------


def _text(value: str) -> str:
    # Control characters pasted from other systems are not allowed in XLSX XML.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _print_setup(sheet, report: QuarterlyReport, *, landscape: bool, widths: Sequence[float]) -> None:
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    # LibreOffice without Calibri draws a column a little wider than Excel: the scale leaves room.
    sheet.page_setup.scale = print_scale([width * LIBREOFFICE_SLACK for width in widths]) if landscape else 100
    sheet.page_margins.left = sheet.page_margins.right = MARGIN_SIDE_INCHES
    sheet.page_margins.top = sheet.page_margins.bottom = 0.75  # the title above and the page number below
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.print_options.horizontalCentered = True
    sheet.oddHeader.center.text = _text(report.title).replace("&", "&&")
    sheet.oddHeader.center.size = 9
    sheet.oddFooter.center.text = r("page", report.lang, page="&P", pages="&N")
    sheet.oddFooter.center.size = 9


def _lines(text: str, width_chars: float) -> int:
    return max(1, -(-display_width(text) // max(1, int(width_chars))))


def _summary_sheet(sheet, report: QuarterlyReport, title: str) -> None:
    # openpyxl: only when a spreadsheet is written
    from openpyxl.styles import Alignment, Font

    lang = report.lang
    sheet.title = safe_sheet_title(title)
    rows = summary_rows(report)
    headers = [r("summary_col.item", lang), r("summary_col.value", lang), r("summary_col.unit", lang)]
    label_width = max(display_width(row.label) for row in rows) + 4
    widths = [max(label_width, 24), 16, 14]
    for letter, width in zip("ABC", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    total_width = sum(widths)

    sheet.append([_text(report.title)])
    sheet["A1"].font = Font(bold=True, size=TITLE_SIZE)
    subtitle = _subtitle(report)
    sheet.append([_text(subtitle)])
    sheet.append([])
    sheet.append(headers)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in rows:
        _summary_row(sheet, row)
    sheet.append([])
    for text in (report.thresholds, r("note", lang)):
        sheet.append([_text(text)])
        number = sheet.max_row
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=3)
        sheet.cell(number, 1).alignment = Alignment(wrap_text=True, vertical="top")
        # Merged cells do not grow with their text in Excel or LibreOffice: the height is set.
        sheet.row_dimensions[number].height = LINE_POINTS * _lines(text, total_width - 2) + 4
    for number, text in ((1, report.title), (2, subtitle)):
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=3)
        sheet.cell(number, 1).alignment = Alignment(wrap_text=True, vertical="center")
        size = TITLE_SIZE if number == 1 else 11
        sheet.row_dimensions[number].height = (size + 6) * _lines(text, (total_width - 2) * 11 / size)
    sheet.freeze_panes = "A5"
    sheet.print_title_rows = "4:4"
    _print_setup(sheet, report, landscape=False, widths=widths)


def _summary_row(sheet, row: SummaryRow) -> None:
    # openpyxl: only when a spreadsheet is written
    from openpyxl.styles import Alignment, Font

    if row.section:
        sheet.append([_text(row.label)])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        return
    sheet.append([_text(row.label), row.value, row.unit or None])
    value = sheet.cell(sheet.max_row, 2)
    value.number_format = NUMBER_FORMATS[row.kind]
    value.alignment = Alignment(horizontal="right")
    sheet.cell(sheet.max_row, 1).alignment = Alignment(indent=1)
    sheet.cell(sheet.max_row, 3).alignment = Alignment(indent=1)


def _subtitle(report: QuarterlyReport) -> str:
    date_text = report.generated_on.isoformat()
    if report.is_county:
        return r("subtitle_county", report.lang, quarter=report.quarter_label, parks=len(report.parks), date=date_text)
    park = report.park
    return r("subtitle_park", report.lang, code=park.code, street=park.street or "—", quarter=report.quarter_label,
             date=date_text)


def _list_sheet(sheet, report: QuarterlyReport, title: str, columns: list[Column], items: Sequence[object], *,
                empty: str | None = None) -> None:
    # openpyxl: only when a spreadsheet is written
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.title = safe_sheet_title(title)
    headers = [column.header for column in columns]
    values = [[column.value(item) for column in columns] for item in items]
    # Measured as written on screen (1,234.5), not as Python prints the float.
    shown = [[format_value(value, column.kind) if value is not None else "" for value, column in
              zip(row, columns, strict=True)] for row in values]
    widths = column_widths(headers, shown)
    wraps = [width >= WRAP_WIDTH for width in widths]
    # A flag in words is the point of the 预警 sheet: a wide column, fewer lines per flag. Names
    # (of parks, of tenants) read best on one line: up to NAME_WIDTH before they wrap.
    for index, column in enumerate(columns):
        if column.key == "explanation" and wraps[index]:
            widths[index] = EXPLANATION_WIDTH
        elif column.key in NAME_COLUMNS and wraps[index]:
            longest = max((display_width(row[index]) for row in shown), default=0) + 3
            widths[index] = min(NAME_WIDTH, longest)
            wraps[index] = longest > NAME_WIDTH
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    sheet.append([_text(header) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    # Headers wrap rather than widen a column of short figures; the row is made tall enough for
    # them (LibreOffice keeps the default height of a row read from a file).
    sheet.row_dimensions[1].height = LINE_POINTS * max(
        (_lines(header, width - 2) for header, width in zip(headers, widths, strict=True)), default=1) + 3
    # One style object per column, and cells addressed by number: sheet.max_row and sheet[row]
    # scan the whole sheet, which made 4,000 flag rows take seconds.
    number_alignment = Alignment(vertical="top")
    styles = [(NUMBER_FORMATS[column.kind], number_alignment) if column.kind in NUMBER_FORMATS
              # an indent keeps text off the figure to its left, which sits on the right edge
              else (None, Alignment(horizontal="left", indent=1, vertical="top", wrap_text=wrap))
              for column, wrap in zip(columns, wraps, strict=True)]
    for number, (row, row_shown) in enumerate(zip(values, shown, strict=True), start=2):
        lines = max((_lines(text, width - 2) for text, width, wrap in zip(row_shown, widths, wraps, strict=True)
                     if wrap), default=1)
        if lines > 1:  # as for the header: the row is given the height of its wrapped text
            sheet.row_dimensions[number].height = LINE_POINTS * lines + 2
        for index, (value, (number_format, alignment)) in enumerate(zip(row, styles, strict=True), start=1):
            cell = sheet.cell(number, index, _text(value) if isinstance(value, str) else value)
            if number_format:
                cell.number_format = number_format
            cell.alignment = alignment
    last_row = len(values) + 1
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last_row}"
    sheet.print_title_rows = "1:1"
    if not values and empty:
        sheet.append([_text(empty)])
    _print_setup(sheet, report, landscape=True, widths=widths)


def _trend_chart(sheet, report: QuarterlyReport) -> None:
    """A bar chart of the quarterly output beside the trend table."""
    # openpyxl: only when a spreadsheet is written
    from openpyxl.chart import BarChart, Reference

    if not report.trend:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = r("chart_title", report.lang)
    chart.legend = None
    chart.height, chart.width = 7.5, 16
    rows = len(report.trend) + 1
    output_column = 1 + [column.kind for column in trend_columns(report.lang)].index(AMOUNT)
    chart.add_data(Reference(sheet, min_col=output_column, min_row=1, max_row=rows), titles_from_data=True)
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows))
    sheet.add_chart(chart, f"A{rows + 3}")

