"""The 园区经营信息证明 PDF (an operating certificate for a bank), unsigned: the caller signs it
(PAdES, as notices and the 一企一档 are).

`render_certificate(content, font=...)` draws the plain dict of inspect_app/services/certificate.py
(schema `parkinspect.certificate/1`) on the notices' page in the notices' font: the agency, the
title, the tenant and its park, the facts (years in the park, area, headcount, 亩均 class), the
last eight quarters' output, tax and power, the hazards with their rectification, the statement
and the tenant's consent. Every page carries "第 N 页 共 M 页", the credit code and the generation
time in the footer. The content is embedded as `CERTIFICATE_FILE_NAME` (canonical JSON), so
`parkinspect verify` can say what an authentic certificate holds.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Spacer, Table, TableStyle

from exports.dossier_pdf import GRID, HEADER_FILL, _figure, _Styles
from exports.fonts import PdfFont, pdf_font
from exports.notice_content import canonical_json
from exports.notice_page import (
    CREATOR,
    FOOTER_Y,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_WIDTH,
    QUIET,
    _attach,
)
from exports.notice_text import Text, day, moment, text
from exports.signing.facts import CERTIFICATE_FILE_NAME
from forms.i18n import t


class _CertificateCanvas(rl_canvas.Canvas):
    """Keeps each page until the end, so that the footer can say how many pages there are."""

    def __init__(self, *args, content: dict, font: PdfFont, doc_lang: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._content, self._font, self._lang = content, font, doc_lang
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        c, lang = self._content, self._lang
        tenant = c.get("tenant") or {}
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont(self._font.name, 8)
            self.setFillColor(QUIET)
            right = PAGE_WIDTH - MARGIN_RIGHT
            self.setStrokeColor(colors.Color(0.7, 0.7, 0.7))
            self.setLineWidth(0.4)
            self.line(MARGIN_LEFT, FOOTER_Y + 10, right, FOOTER_Y + 10)
            self.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, t("document.footer.page", lang=lang, page=number,
                                                               pages=total))
            self.drawString(MARGIN_LEFT, FOOTER_Y, tenant.get("credit_code") or "")
            self.drawRightString(right, FOOTER_Y, t("certificate.pdf.generated_short", lang=lang,
                                                    time=moment(c.get("generated_at"), lang)))
            self.restoreState()
            super().showPage()
        doc = self._doc
        doc.setTitle(t("certificate.pdf.meta_title", lang=lang, name=tenant.get("name", ""),
                       credit_code=tenant.get("credit_code", "")))
        doc.setAuthor(c.get("agency") or "")
        doc.setSubject(t("certificate.pdf.title", lang=lang))
        doc.setKeywords(tenant.get("credit_code") or "")
        doc.setCreator(f"{CREATOR}; font: {self._font.label}")
        canonical = canonical_json(c)
        doc.updateSignature(canonical)  # the file /ID follows the content
        _attach(doc, CERTIFICATE_FILE_NAME, canonical, "content (parkinspect.certificate)")
        super().save()


class _Builder:
    def __init__(self, content: dict, lang: str, font: PdfFont):
        self.c, self.lang, self.font = content, lang, font
        self.s = _Styles(font.name)

    def w(self, key: str, **values) -> str:
        return t(f"certificate.pdf.{key}", lang=self.lang, **values)

    def p(self, value, style=None) -> Text:
        return Text(text(value), style or self.s.cell)

    def table(self, rows: list[list], widths: list[float], *, header: bool = True) -> Table:
        total = sum(widths)
        widths = [FRAME_WIDTH * w / total for w in widths]
        style = [("GRID", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                 ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
        return Table(rows, colWidths=widths, repeatRows=1 if header else 0, style=TableStyle(style), hAlign="LEFT")

    def heads(self, *keys: str) -> list:
        return [self.p(self.w(f"col.{key}"), self.s.head) for key in keys]

    def story(self) -> list:
        c, lang = self.c, self.lang
        tenant, park = c.get("tenant") or {}, c.get("park") or {}
        story = [self.p(c.get("agency"), self.s.agency), Spacer(1, 3 * mm), self.p(self.w("title"), self.s.title),
                 Spacer(1, 2 * mm), self.p(self.w("subtitle", park=park.get("name") or "—"), self.s.subtitle),
                 Spacer(1, 5 * mm)]
        facts = [
            (self.w("tenant"), tenant.get("name")), (self.w("credit_code"), tenant.get("credit_code")),
            (self.w("park"), f"{park.get('code', '')} {park.get('name', '')}".strip()),
            (self.w("location"), tenant.get("location") or "—"),
            (self.w("since"), day(tenant.get("in_park_since"), lang)),
            (self.w("years"), self.w("years_value", years=tenant.get("years_in_park"))),
            (self.w("area"), self.w("area_value", area=_figure(tenant.get("rented_area_m2")))),
            (self.w("headcount"), tenant.get("headcount")),
            (self.w("efficiency_class"), tenant.get("efficiency_class") or "—"),
            (self.w("scale"), tenant.get("scale") or "—"),
        ]
        rows = []
        for i in range(0, len(facts), 2):
            row = []
            for label, value in facts[i:i + 2]:
                row += [self.p(label, self.s.label), self.p(value if value not in (None, "") else "—")]
            rows.append(row)
        story += [Text(text(self.w("heading.facts")), self.s.heading), self.table(rows, [18, 32, 18, 32], header=False)]

        story.append(Text(text(self.w("heading.quarters")), self.s.heading))
        rows = [self.heads("quarter", "output", "tax", "power")]
        for q in c.get("quarters") or []:
            rows.append([self.p(q.get("label")), self.p(_figure(q.get("output_wan"))), self.p(_figure(q.get("tax_wan"))),
                         self.p(_figure(q.get("electricity_kwh")))])
        story.append(self.table(rows, [25, 25, 25, 25]))
        story.append(self.p(self.w("quarters_note"), self.s.label))

        story.append(Text(text(self.w("heading.hazards")), self.s.heading))
        hazards = c.get("hazards") or []
        if not hazards:
            story.append(self.p(self.w("no_hazards"), self.s.body))
        else:
            rows = [self.heads("found", "hazard", "severity", "deadline", "state")]
            for h in hazards:
                rows.append([self.p(day(h.get("found_on"), lang)), self.p(h.get("description")),
                             self.p(h.get("severity_label")), self.p(day(h.get("deadline"), lang)),
                             self.p(h.get("state"))])
            story.append(self.table(rows, [14, 44, 10, 14, 18]))
        story += [Spacer(1, 6 * mm), self.p(self.w("statement", months=c.get("months_covered", 24)), self.s.body),
                  Spacer(1, 2 * mm), self.p(self.w("consent", date=day(c.get("generated_at", "")[:10], lang)),
                                            self.s.body),
                  Spacer(1, 8 * mm), self.p(self.w("signed_by", agency=c.get("agency") or ""), self.s.body),
                  self.p(moment(c.get("generated_at"), lang), self.s.body)]
        return story


def render_certificate(content: dict, *, font: PdfFont | None = None) -> bytes:
    """The unsigned PDF of a certificate. A character the font cannot draw raises MissingGlyphError."""
    font = font or pdf_font()
    lang = content.get("lang") or "zh_CN"
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
                          topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, invariant=1,
                          initialFontName=font.name, lang="en" if lang == "en" else "zh-CN")
    frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(_Builder(content, lang, font).story(),
              canvasmaker=lambda *a, **kw: _CertificateCanvas(*a, content=content, font=font, doc_lang=lang, **kw))
    return buffer.getvalue()
