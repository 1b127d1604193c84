"""The page every printed document shares: GB/T 9704 geometry, the document template, a canvas that
numbers the pages once it knows how many there are, the document information and the embedded content.

The page is A4 with the margins of Chinese official documents (GB/T 9704-2012): top 37 mm, the
binding side (left) 28 mm, a text block of 156 × 225 mm — so 26 mm right and 35 mm bottom. The
footer ("第 x 页 共 y 页" in the middle, a number or credit code on the left, the generation time on
the right) sits inside the bottom margin; a running head (agency, tenant), when a document has
one, inside the top margin.

`render(story, font=..., lang=..., canvasmaker=...)` lays a story out on that page;
`DocumentCanvas` draws the margins and, when the pages are done, writes the document information
(`Describe`) and embeds the canonical content under its file name, so `parkinspect verify` can say
what an authentic file holds. The notices (exports/notice_page.py) number each part of a
two-part document on its own; the certificate and the 一企一档 use this canvas as it is; the
star-rating form only the template.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Table, TableStyle

from exports.fonts import PdfFont

CREATOR = "ParkInspect 园检"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_TOP = 37 * mm
MARGIN_LEFT = 28 * mm  # the binding side
FRAME_WIDTH = 156 * mm
FRAME_HEIGHT = 225 * mm
MARGIN_RIGHT = PAGE_WIDTH - MARGIN_LEFT - FRAME_WIDTH  # 26 mm
MARGIN_BOTTOM = PAGE_HEIGHT - MARGIN_TOP - FRAME_HEIGHT  # 35 mm
FOOTER_Y = MARGIN_BOTTOM - 14 * mm  # the page line, inside the bottom margin
HEADER_Y = PAGE_HEIGHT - 22 * mm  # the running head, inside the top margin
QUIET = colors.Color(0.45, 0.45, 0.45)
RULE = colors.Color(0.7, 0.7, 0.7)  # the thin lines under the head and above the footer
GRID = colors.Color(0.55, 0.55, 0.55)
HEADER_FILL = colors.Color(0.92, 0.92, 0.92)
ALERT = colors.Color(0.7, 0.1, 0.1)


def render(story: list, *, font: PdfFont, lang: str, canvasmaker: Callable | None = None,
           on_page: Callable | None = None, **info) -> bytes:
    """The PDF bytes of `story` laid out on the page. `invariant` keeps the bytes a function of the
    content (no render time); the font is the initial one so no page refers to an unembedded
    Helvetica. `info`: title, creator… for a document whose canvas does not describe it."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
                          topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, invariant=1,
                          initialFontName=font.name, lang="en" if lang == "en" else "zh-CN", **info)
    frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    page = PageTemplate(id="page", frames=[frame], onPage=on_page) if on_page else PageTemplate(id="page",
                                                                                                frames=[frame])
    doc.addPageTemplates([page])
    doc.build(story, canvasmaker=canvasmaker or rl_canvas.Canvas)
    return buffer.getvalue()


def attach(doc: pdfdoc.PDFDocument, name: str, data: bytes, description: str) -> None:
    """Embed `data` as a document-level attachment (catalog /Names /EmbeddedFiles)."""
    stream = pdfdoc.PDFStream(
        pdfdoc.PDFDictionary({
            "Type": pdfdoc.PDFName("EmbeddedFile"),
            "Subtype": "/application#2Fjson",  # PDFName() leaves the "/" unescaped
            "Params": pdfdoc.PDFDictionary({
                "Size": len(data),
                "CheckSum": pdfdoc.PDFString(hashlib.md5(data, usedforsecurity=False).digest(), enc="raw"),
            }),
        }),
        data,
        filters=[pdfdoc.PDFZCompress],
    )
    spec = pdfdoc.PDFDictionary({
        "Type": pdfdoc.PDFName("Filespec"),
        "F": pdfdoc.PDFString(name),
        "UF": pdfdoc.PDFString(name),
        "Desc": pdfdoc.PDFString(description),
        "AFRelationship": pdfdoc.PDFName("Source"),
        "EF": pdfdoc.PDFDictionary({"F": doc.Reference(stream), "UF": doc.Reference(stream)}),
    })
    names = pdfdoc.PDFArray([pdfdoc.PDFString(name), doc.Reference(spec)])
    doc.Catalog.Names = pdfdoc.PDFDictionary({"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": names})})


@dataclass(frozen=True)
class Margins:
    """What each page carries outside the text block; `page_label` is "第 {page} 页 共 {pages} 页"."""

    page_label: str
    footer_left: str = ""
    footer_right: str = ""
    head_left: str = ""
    head_right: str = ""


@dataclass(frozen=True)
class Describe:
    """The document information and the content embedded as `file_name` (canonical JSON)."""

    title: str
    author: str
    subject: str
    keywords: str
    file_name: str
    canonical: bytes
    description: str  # the attachment's /Desc, e.g. "content (parkinspect.dossier)"


class DocumentCanvas(rl_canvas.Canvas):
    """Keeps each page until the end, so the footer can say how many pages there are; then
    describes the document and embeds its content."""

    def __init__(self, *args, font: PdfFont, margins: Margins, describe: Describe, **kwargs):
        super().__init__(*args, **kwargs)
        self.font, self.margins, self.describe = font, margins, describe
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def page_numbers(self) -> list[tuple[int, int]]:
        """(page, of pages) for each kept page: one count through the document."""
        total = len(self._pages)
        return [(number, total) for number in range(1, total + 1)]

    def save(self):
        for state, (page, pages) in zip(self._pages, self.page_numbers(), strict=True):
            self.__dict__.update(state)
            self.draw_margins(page, pages)
            super().showPage()
        self.write_information(self._doc)
        super().save()

    def draw_margins(self, page: int, pages: int) -> None:
        m = self.margins
        right = PAGE_WIDTH - MARGIN_RIGHT
        self.saveState()
        self.setFont(self.font.name, 8)
        self.setFillColor(QUIET)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.4)
        if m.head_left or m.head_right:
            self.drawString(MARGIN_LEFT, HEADER_Y, m.head_left)
            self.drawRightString(right, HEADER_Y, m.head_right)
            self.line(MARGIN_LEFT, HEADER_Y - 4, right, HEADER_Y - 4)
        self.line(MARGIN_LEFT, FOOTER_Y + 10, right, FOOTER_Y + 10)
        self.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, m.page_label.format(page=page, pages=pages))
        self.drawString(MARGIN_LEFT, FOOTER_Y, m.footer_left)
        if m.footer_right:
            self.drawRightString(right, FOOTER_Y, m.footer_right)
        self.restoreState()

    def write_information(self, doc: pdfdoc.PDFDocument) -> None:
        d = self.describe
        doc.setTitle(d.title)
        doc.setAuthor(d.author)
        doc.setSubject(d.subject)
        doc.setKeywords(d.keywords)
        doc.setCreator(f"{CREATOR}; font: {self.font.label}")
        doc.updateSignature(d.canonical)  # the file /ID follows the content, not the clock
        attach(doc, d.file_name, d.canonical, d.description)


def canvas_for(font: PdfFont, margins: Margins, describe: Describe) -> Callable:
    """The `canvasmaker` of `render` for a DocumentCanvas with these margins and information."""
    return lambda *args, **kwargs: DocumentCanvas(*args, font=font, margins=margins, describe=describe, **kwargs)


# --- the tenant documents' tables (the certificate and the 一企一档) ----------------------------------


class Styles:
    """The paragraph styles of the tenant documents, in one font."""

    def __init__(self, font: str):
        base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
        self.body = base
        self.agency = ParagraphStyle("agency", parent=base, fontSize=13, leading=18, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER)
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=12, leading=17, alignment=TA_CENTER)
        self.quiet = ParagraphStyle("quiet", parent=base, fontSize=8.5, leading=12, textColor=QUIET,
                                    alignment=TA_CENTER)
        self.heading = ParagraphStyle("heading", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)
        self.sub = ParagraphStyle("sub", parent=base, fontSize=10.5, leading=15, spaceBefore=5, spaceAfter=2)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5)
        self.label = ParagraphStyle("label", parent=self.cell, textColor=QUIET)
        self.head = ParagraphStyle("head", parent=self.cell, alignment=TA_CENTER)
        self.caption = ParagraphStyle("caption", parent=self.cell, fontSize=7, leading=9, alignment=TA_CENTER,
                                      textColor=QUIET)
        self.alert = ParagraphStyle("alert", parent=self.cell, textColor=ALERT)


def grid_table(rows: list[list], widths: list[float], font: str, *, header: bool = True) -> Table:
    """A ruled table across the text block; `widths` in proportions; the first row shaded as the
    header (repeated on each page) unless `header` is False."""
    total = sum(widths)
    widths = [FRAME_WIDTH * w / total for w in widths]
    style = [("GRID", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
             ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
    return Table(rows, colWidths=widths, repeatRows=1 if header else 0, style=TableStyle(style), hAlign="LEFT")


def figure(value) -> str:
    """1,200 or 1,200.50; "—" for a figure not given."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value) == int(value) else f"{value:,.2f}"
