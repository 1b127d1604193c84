"""The quarterly report as a PDF (reportlab): A4 landscape, the tables' header repeated on every
page, "第 X 页 共 Y 页" in the footer.

Sections: 一、总体情况 (the figures in two blocks side by side), 二、各园区情况 or 企业情况 (a row per
park or tenant), 三、近八个季度趋势 (the table and a bar chart of output), 四、风险预警企业 (each
flag of each tenant in words, after the thresholds in words). Chinese is drawn with the font
the notices use (`exports/fonts.py`: the bundled WenQuanYi Micro Hei or the office's configured
TrueType file, embedded as a subset; a character it cannot draw refuses the report, never a blank).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from exports.document_page import CREATOR
from exports.fonts import PdfFont, pdf_font
from exports.quarterly_report_data import (
    Column,
    QuarterlyReport,
    SummaryRow,
    flagged_columns,
    format_value,
    park_columns,
    r,
    summary_rows,
    tenant_columns,
    trend_columns,
)
from exports.tabular import atomic_target

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN_SIDE = 15 * mm
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 16 * mm  # the footer sits inside it
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_SIDE
GRID = colors.Color(0.55, 0.55, 0.55)
HEADER_FILL = colors.Color(0.9, 0.9, 0.9)
SECTION_FILL = colors.Color(0.95, 0.95, 0.95)
QUIET = colors.Color(0.4, 0.4, 0.4)
BAR = colors.Color(0.25, 0.42, 0.65)
ALERT = colors.Color(0.75, 0.1, 0.1)
DECLINE_ALERT_PCT = 30  # a year-on-year drop this large is printed red, as on the overview screen
CHART_WIDTH, CHART_HEIGHT = 120 * mm, 62 * mm
CELL_PAD_LEFT, CELL_PAD_RIGHT, CELL_PAD_TOP, CELL_PAD_BOTTOM = 2.5, 3, 1.5, 2.5
CELL_SIZE, CELL_LEADING = 8, 10.5
WRAPPED_COLUMNS = {"name", "street", "tenant", "park_name", "flags", "explanation"}  # may take two lines


class _Styles:
    def __init__(self, font: str, lang: str):
        # CJK wrapping breaks between any two characters: right for Chinese, wrong for English
        # headers ("shar-e"); English wraps at spaces and still splits a long Chinese name.
        base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13,
                              wordWrap=None if lang == "en" else "CJK")
        self.body = base
        self.title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=9, leading=12, alignment=TA_CENTER,
                                       textColor=QUIET)
        self.heading = ParagraphStyle("heading", parent=base, fontSize=12.5, leading=17, spaceBefore=8, spaceAfter=4)
        self.note = ParagraphStyle("note", parent=base, fontSize=8, leading=11, textColor=QUIET)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING)
        self.cell_right = ParagraphStyle("cellr", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, alignment=TA_CENTER)


class _PagedCanvas(rl_canvas.Canvas):
    """Keeps each page until the end, so that the footer can say how many pages there are."""

    def __init__(self, *args, report: QuarterlyReport, font: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._report = report
        self._font = font
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont(self._font, 8)
            self.setFillColor(QUIET)
            y = MARGIN_BOTTOM - 9 * mm
            self.drawCentredString(PAGE_WIDTH / 2, y, r("page", self._report.lang, page=number, pages=total))
            self.drawString(MARGIN_SIDE, y, self._report.title)
            self.drawRightString(PAGE_WIDTH - MARGIN_SIDE, y, self._report.generated_on.isoformat())
            self.setStrokeColor(colors.Color(0.75, 0.75, 0.75))
            self.setLineWidth(0.4)
            self.line(MARGIN_SIDE, y + 9, PAGE_WIDTH - MARGIN_SIDE, y + 9)
            self.restoreState()
            super().showPage()
        super().save()


def _row_height(cells: Sequence[object], widths: Sequence[float]) -> float:
    """A table row's height: its tallest cell (a wrapped Paragraph, or one line of text) and padding."""
    tallest = CELL_LEADING
    for cell, width in zip(cells, widths, strict=True):
        if isinstance(cell, Paragraph):
            tallest = max(tallest, cell.wrap(width - CELL_PAD_LEFT - CELL_PAD_RIGHT, PAGE_HEIGHT)[1])
    return tallest + CELL_PAD_TOP + CELL_PAD_BOTTOM


def _table_style(extra: Sequence = ()) -> TableStyle:
    return TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD_LEFT),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD_RIGHT),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD_TOP),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD_BOTTOM),
        *extra,
    ])


class _Builder:
    def __init__(self, report: QuarterlyReport, font: PdfFont | None):
        self.report = report
        self.lang = report.lang
        self.font = font or pdf_font()
        self.s = _Styles(self.font.name, report.lang)

    def own_font(self, table: Table) -> Table:
        """The table's plain-string cells (empty ones too) in the document's font: reportlab's default
        cell font is Helvetica, which would sit unembedded in the page resources."""
        table.setStyle([("FONTNAME", (0, 0), (-1, -1), self.font.name)])
        return table

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text), style or self.s.body)

    def story(self) -> list:
        report = self.report
        story = [self.p(report.title, self.s.title), Spacer(0, 2 * mm), self.p(self._subtitle(), self.s.subtitle),
                 Spacer(0, 3 * mm), self.p(r("heading.summary", self.lang), self.s.heading), self._summary(),
                 Spacer(0, 2 * mm), self.p(r("note", self.lang), self.s.note)]
        if report.is_county:
            story += [CondPageBreak(40 * mm), self.p(r("heading.parks", self.lang), self.s.heading),
                      self._table(park_columns(self.lang), report.parks)]
        else:
            story += [CondPageBreak(40 * mm), self.p(r("heading.tenants", self.lang), self.s.heading)]
            story.append(self._table(tenant_columns(self.lang), report.tenants) if report.tenants
                         else self.p(r("no_tenants", self.lang)))
        story += [CondPageBreak(CHART_HEIGHT + 20 * mm), self.p(r("heading.trend", self.lang), self.s.heading),
                  self._trend()]
        story += [CondPageBreak(40 * mm), self.p(r("heading.flags", self.lang), self.s.heading),
                  self.p(report.thresholds, self.s.note), Spacer(0, 2 * mm)]
        story.append(self._flags() if report.flagged else self.p(r("no_flags", self.lang)))
        return story

    def _subtitle(self) -> str:
        report = self.report
        date_text = report.generated_on.isoformat()
        if report.is_county:
            return r("subtitle_county", self.lang, quarter=report.quarter_label, parks=len(report.parks),
                     date=date_text)
        park = report.park
        return r("subtitle_park", self.lang, code=park.code, street=park.street or "—",
                 quarter=report.quarter_label, date=date_text)

    # --- 一、the figures: two blocks of (item, value, unit) side by side -------------------------------

    def _summary(self) -> Table:
        rows = summary_rows(self.report)
        # size and economy on the left, hazards and flags on the right
        split = [i for i, row in enumerate(rows) if row.section][2]
        left, right = rows[:split], rows[split:]
        height = max(len(left), len(right))
        left += [None] * (height - len(left))
        right += [None] * (height - len(right))
        data, extra = [], []
        for number, pair in enumerate(zip(left, right, strict=True)):
            cells = []
            for block, row in enumerate(pair):
                cells += self._summary_cells(row)
                if row is not None and row.section:
                    first = block * 4
                    extra += [("SPAN", (first, number), (first + 2, number)),
                              ("BACKGROUND", (first, number), (first + 2, number), SECTION_FILL)]
            data.append(cells[:3] + [""] + cells[3:])
        block = (FRAME_WIDTH - 8 * mm) / 2
        widths = [block * 0.6, block * 0.22, block * 0.18]
        style = TableStyle([
            ("LINEBELOW", (0, 0), (2, -1), 0.3, GRID), ("LINEBELOW", (4, 0), (6, -1), 0.3, GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            *extra,
        ])
        return self.own_font(Table(data, colWidths=[*widths, 8 * mm, *widths], style=style, hAlign="LEFT"))

    def _summary_cells(self, row: SummaryRow | None) -> list:
        if row is None:
            return ["", "", ""]
        if row.section:
            return [self.p(row.label, self.s.cell), "", ""]
        return [self.p(row.label, self.s.cell), self.p(format_value(row.value, row.kind), self.s.cell_right),
                self.p(row.unit, self.s.cell)]

    # --- tables with the header on every page ------------------------------------------------------

    def _table(self, columns: list[Column], items: Sequence[object]) -> Table:
        """A table with its header on every page."""
        total = sum(column.width for column in columns)
        widths = [FRAME_WIDTH * column.width / total for column in columns]
        data = [[self.p(column.header, self.s.head) for column in columns]]
        no_report = r("no_report", self.lang)
        # Text that may need a second line is a Paragraph; the rest (most cells) plain strings,
        # which reportlab lays out many times faster: a county has thousands of rows.
        wrapped = [column.kind == "text" and column.key in WRAPPED_COLUMNS for column in columns]
        numeric = [index for index, column in enumerate(columns) if column.kind != "text"]
        extra: list = [("FONTNAME", (0, 1), (-1, -1), self.font.name), ("FONTSIZE", (0, 1), (-1, -1), CELL_SIZE),
                       ("LEADING", (0, 1), (-1, -1), CELL_LEADING)]
        extra += [("ALIGN", (index, 1), (index, -1), "RIGHT") for index in numeric]
        for item in items:
            row = len(data)
            cells = []
            for index, column in enumerate(columns):
                value = column.value(item)
                if column.kind == "text":
                    cells.append(self.p(value or "", self.s.cell) if wrapped[index] else (value or ""))
                elif value is None and column.key == "output":
                    cells.append(no_report)
                else:
                    cells.append(format_value(value, column.kind))
                    if column.kind == "pct" and value is not None and value <= -DECLINE_ALERT_PCT:
                        extra.append(("TEXTCOLOR", (index, row), (index, row), ALERT))
            data.append(cells)
        # Row heights measured once here: left to reportlab, every page break measures the rest of
        # the table again (a county's 4,000 flags took seconds).
        heights = [_row_height(row, widths) for row in data]
        return self.own_font(LongTable(data, colWidths=widths, rowHeights=heights, repeatRows=1,
                                       style=_table_style(extra), hAlign="LEFT"))

    def _flags(self) -> Table:
        """Each flag of each tenant in words. In the county's, the park by its code only (its name
        is in the parks' table above), so that the words get the width."""
        columns = flagged_columns(self.report)
        if self.report.is_county:
            columns = [column for column in columns if column.key != "park_name"]
        return self._table(columns, self.report.flagged)

    # --- 三、trend: the table and a bar chart -------------------------------------------------------

    def _trend(self) -> Table:
        table_width = FRAME_WIDTH - CHART_WIDTH - 8 * mm
        columns = trend_columns(self.lang)
        total = sum(column.width for column in columns)
        widths = [table_width * column.width / total for column in columns]
        data = [[self.p(column.header, self.s.head) for column in columns]]
        for line in self.report.trend:
            data.append([self.p(column.value(line), self.s.cell) if column.kind == "text"
                         else self.p(format_value(column.value(line), column.kind), self.s.cell_right)
                         for column in columns])
        table = self.own_font(Table(data, colWidths=widths, repeatRows=1, style=_table_style(), hAlign="LEFT"))
        return self.own_font(Table(
            [[table, self._chart()]], colWidths=[table_width + 8 * mm, CHART_WIDTH],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]), hAlign="LEFT"))

    def _chart(self) -> Drawing:
        trend = self.report.trend
        drawing = Drawing(CHART_WIDTH, CHART_HEIGHT)
        drawing.initialFontName = self.font.name  # not the default Helvetica, left unembedded in the page
        drawing.add(String(CHART_WIDTH / 2, CHART_HEIGHT - 10, r("chart_title", self.lang), fontName=self.font.name,
                           fontSize=9, textAnchor="middle"))
        chart = VerticalBarChart()
        chart.x, chart.y = 38, 30
        chart.width, chart.height = CHART_WIDTH - 48, CHART_HEIGHT - 50
        chart.data = [[line.output_wan for line in trend] or [0]]
        chart.bars[0].fillColor = BAR
        chart.bars[0].strokeColor = None
        chart.valueAxis.valueMin = 0
        chart.valueAxis.labels.fontName = self.font.name
        chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.labelTextFormat = lambda value: format_value(value, "amount")
        chart.categoryAxis.categoryNames = [_short_quarter(line.quarter) for line in trend]
        chart.categoryAxis.labels.fontName = self.font.name
        chart.categoryAxis.labels.fontSize = 6.5
        chart.categoryAxis.labels.angle = 0
        chart.categoryAxis.labels.dy = -3
        drawing.add(chart)
        return drawing


def _short_quarter(label: str) -> str:
    """2026年第三季度 -> 2026年\\n第三季度: two short lines under a bar."""
    for marker in ("年", " "):
        if marker in label:
            head, _, tail = label.partition(marker)
            return f"{head}{marker.strip()}\n{tail}"
    return label


def write_report_pdf(report: QuarterlyReport, path: Path, font: PdfFont | None = None) -> None:
    """`font`: the office's configured font (default: the bundled one). A character the font cannot
    draw raises MissingGlyphError (a UserError) and leaves no file."""
    builder = _Builder(report, font)
    with atomic_target(path) as temporary:
        doc = BaseDocTemplate(str(temporary), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), leftMargin=MARGIN_SIDE,
                              rightMargin=MARGIN_SIDE, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
                              title=report.title, author=CREATOR, creator=f"{CREATOR}; font: {builder.font.label}",
                              initialFontName=builder.font.name, lang="en" if report.lang == "en" else "zh-CN")
        frame = Frame(MARGIN_SIDE, MARGIN_BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        doc.build(builder.story(),
                  canvasmaker=lambda *a, **kw: _PagedCanvas(*a, report=report, font=builder.font.name, **kw))

