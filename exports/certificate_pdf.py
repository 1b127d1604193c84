"""The 园区经营信息证明 PDF (an operating certificate for a bank), unsigned: the caller signs it
(PAdES, as notices and the 一企一档 are).

`render_certificate(content, font=...)` draws the plain dict of inspect_app/services/certificate.py
(schema `parkinspect.certificate/1`) on the page every document shares (exports/document_page.py)
in the notices' font: the agency, the title, the tenant and its park, the facts (years in the
park, area, headcount, 亩均 class), the last eight quarters' output, tax and power, the hazards
with their rectification, the statement and the tenant's consent. Every page carries "第 N 页 共 M 页", the credit code and the generation
time in the footer. The content is embedded as `CERTIFICATE_FILE_NAME` (canonical JSON), so
`parkinspect verify` can say what an authentic certificate holds.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from exports.document_page import Describe, Margins, Styles, canvas_for, figure, grid_table, render
from exports.fonts import PdfFont, pdf_font
from exports.notice_content import canonical_json
from exports.notice_text import Text, day, moment, text
from exports.signing.facts import CERTIFICATE_FILE_NAME
from forms.i18n import t


class _Builder:
    def __init__(self, content: dict, lang: str, font: PdfFont):
        self.c, self.lang, self.font = content, lang, font
        self.s = Styles(font.name)

    def w(self, key: str, **values) -> str:
        return t(f"certificate.pdf.{key}", lang=self.lang, **values)

    def p(self, value, style=None) -> Text:
        return Text(text(value), style or self.s.cell)

    def table(self, rows: list[list], widths: list[float], *, header: bool = True) -> Table:
        return grid_table(rows, widths, self.font.name, header=header)

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
            (self.w("area"), self.w("area_value", area=figure(tenant.get("rented_area_m2")))),
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
            rows.append([self.p(q.get("label")), self.p(figure(q.get("output_wan"))), self.p(figure(q.get("tax_wan"))),
                         self.p(figure(q.get("electricity_kwh")))])
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
    tenant = content.get("tenant") or {}
    margins = Margins(t("document.footer.page", lang=lang), footer_left=tenant.get("credit_code") or "",
                      footer_right=t("certificate.pdf.generated_short", lang=lang,
                                     time=moment(content.get("generated_at"), lang)))
    describe = Describe(title=t("certificate.pdf.meta_title", lang=lang, name=tenant.get("name", ""),
                                credit_code=tenant.get("credit_code", "")),
                        author=content.get("agency") or "", subject=t("certificate.pdf.title", lang=lang),
                        keywords=tenant.get("credit_code") or "", file_name=CERTIFICATE_FILE_NAME,
                        canonical=canonical_json(content), description="content (parkinspect.certificate)")
    return render(_Builder(content, lang, font).story(), font=font, lang=lang,
                  canvasmaker=canvas_for(font, margins, describe))
