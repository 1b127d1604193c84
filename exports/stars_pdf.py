"""The star-rating self-assessment form as a PDF: the page every document shares
(exports/document_page.py, GB/T 9704 margins) and the notices' font
(exports/fonts.py, every character checked for a glyph). Takes plain data: a title, lines of
figures, and tables of rows already in words (inspect_app/services/stars_export.py builds them)."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from exports.document_page import CREATOR, FOOTER_Y, FRAME_WIDTH, PAGE_WIDTH, QUIET, render
from exports.fonts import PdfFont, pdf_font


def _escape(value: object) -> str:
    return ("" if value is None else str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_stars_pdf(title: str, lines: list[str], tables: list[tuple[list[str], list[list[str]], list[float]]],
                     *, lang: str = "zh_CN", font: PdfFont | None = None) -> bytes:
    """`tables`: (headers, rows, column widths as fractions of the text width)."""
    font = font or pdf_font()
    heading = ParagraphStyle("title", fontName=font.name, fontSize=16, leading=24, alignment=1, spaceAfter=4 * mm)
    body = ParagraphStyle("body", fontName=font.name, fontSize=10.5, leading=16)
    cell = ParagraphStyle("cell", fontName=font.name, fontSize=9, leading=12)
    story = [Paragraph(_escape(title), heading)]
    story += [Paragraph(_escape(line), body) for line in lines]
    for headers, rows, widths in tables:
        story.append(Spacer(1, 4 * mm))
        data = [[Paragraph(_escape(h), cell) for h in headers]]
        data += [[Paragraph(_escape(v), cell) for v in row] for row in rows]
        table = Table(data, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font.name, 9)
        canvas.setFillColor(QUIET)
        canvas.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, f"— {doc.page} —")
        canvas.restoreState()

    return render(story, font=font, lang=lang, on_page=footer, title=title, creator=CREATOR)
