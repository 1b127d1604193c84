"""The plan's printed lists: the 公示 list of a draw and the completion report, .xlsx or PDF.

Plain data in (`ListDocument`: a title, the facts printed above the table — for the 公示 list the
seed and the register's sha256, so anyone can re-run the draw — headers and rows), a file out.
The PDF uses the font the app ships (exports/fonts.py), which refuses a character it cannot draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from exports.fonts import PdfFont
from exports.tabular import _xml_safe, atomic_target, column_widths, safe_sheet_title

SUFFIXES = (".xlsx", ".pdf")


@dataclass(frozen=True)
class ListDocument:
    title: str
    facts: Sequence[tuple[str, str]]  # (label, value), printed above the table
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    footer: str = ""


def write_list(path: Path, document: ListDocument, font: PdfFont | None = None) -> None:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_list_xlsx(path, document)
    elif suffix == ".pdf":
        if font is None:
            raise ValueError("a PDF needs its font")
        write_list_pdf(path, document, font)
    else:
        raise ValueError(f"not one of {SUFFIXES}: {path.name}")


def _text(value: object) -> object:
    if isinstance(value, str):
        return _xml_safe(value)
    return value


def write_list_xlsx(path: Path, document: ListDocument) -> None:
    # openpyxl: only when a spreadsheet is written
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = safe_sheet_title(document.title)
    bold = Font(bold=True)
    # Rows are written by number: openpyxl's `max_row` and `sheet[row]` scan the whole sheet.
    sheet.cell(row=1, column=1, value=_text(document.title)).font = Font(bold=True, size=14)
    row = 1
    for label, value in document.facts:
        row += 1
        sheet.cell(row=row, column=1, value=_text(label)).font = bold
        sheet.cell(row=row, column=2, value=_text(value))
    header_row = row + 2
    for column, header in enumerate(document.headers, start=1):
        sheet.cell(row=header_row, column=column, value=_text(header)).font = bold
    row = header_row
    for values in document.rows:
        row += 1
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=_text(value))
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str))
    if document.footer:
        sheet.cell(row=row + 2, column=1, value=_text(document.footer))
    widths = column_widths(document.headers, document.rows)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 14 if index <= 2 else 0)
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    with atomic_target(path) as temporary:
        workbook.save(temporary)


def write_list_pdf(path: Path, document: ListDocument, font: PdfFont) -> None:
    # reportlab: only when a PDF is written
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    title = ParagraphStyle("title", fontName=font.name, fontSize=16, leading=22, alignment=1, wordWrap="CJK")
    body = ParagraphStyle("body", fontName=font.name, fontSize=9, leading=12, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font.name, fontSize=8, leading=10, wordWrap="CJK")

    def p(value: object, style=body) -> Paragraph:
        text = value.isoformat() if isinstance(value, date) else ("" if value is None else str(value))
        return Paragraph(escape(text), style)

    story = [p(document.title, title), Spacer(1, 4 * mm)]
    story += [p(f"{label}：{value}") for label, value in document.facts]
    story.append(Spacer(1, 4 * mm))
    page_width = landscape(A4)[0] - 30 * mm
    widths = column_widths(document.headers, document.rows)
    scale = page_width / sum(widths) if widths else 1
    data = [[p(h, cell) for h in document.headers]] + [[p(v, cell) for v in row] for row in document.rows]
    table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    if document.footer:
        story += [Spacer(1, 4 * mm), p(document.footer)]
    with atomic_target(path) as temporary:
        pdf = SimpleDocTemplate(str(temporary), pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
                                topMargin=15 * mm, bottomMargin=15 * mm, title=document.title,
                                creator=f"ParkInspect ({font.label})")
        pdf.build(story)
