"""The 一企一档 PDF: one tenant's whole file, unsigned (the caller signs it, PAdES, as a notice).

`render_dossier(content, photos=..., font=...)` draws the plain dict of
inspect_app/services/dossier.py (schema `parkinspect.dossier/1`) on the page every document shares
(A4, the GB/T 9704 margins of exports/document_page.py) in the notices' font (exports/fonts.py). Every page
carries the agency and the tenant in the top margin and "第 N 页 共 M 页", the credit code and the
generation time in the footer. Sections in order, each with its heading and "无" when empty:
ledger record, its history, inspections, hazards with 五落实 and 复查, notices and their
service, photos (thumbnails in a grid; a file that is missing or unreadable is named, not fatal),
quarterly figures and risk flags, repeat findings.

The content is embedded as `DOSSIER_FILE_NAME` (canonical JSON), so `verify` can say what the
signed file holds; `DOSSIER_SCHEMA_PREFIX` marks it.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table, TableStyle

from exports.document_page import (
    FRAME_WIDTH,
    Describe,
    Margins,
    Styles,
    canvas_for,
    figure,
    grid_table,
    render,
)
from exports.fonts import PdfFont, pdf_font
from exports.notice_content import canonical_json
from exports.notice_text import Text, day, moment, money, text
from exports.photo_jpeg import downscaled_jpeg
from exports.signing.facts import DOSSIER_FILE_NAME
from forms.i18n import t

THUMB_PIXELS = 360  # long side of a thumbnail: 36 mm at ~250 dpi
PER_ROW = 4
THUMB_WIDTH = FRAME_WIDTH / PER_ROW - 3 * mm
THUMB_HEIGHT = 32 * mm


class _Builder:
    def __init__(self, content: dict, photos: dict[str, Path], lang: str, font: PdfFont):
        self.c, self.photos, self.lang, self.font = content, photos, lang, font
        self.s = Styles(font.name)

    def w(self, key: str, **values) -> str:
        return t(f"dossier.pdf.{key}", lang=self.lang, **values)

    def p(self, value, style=None) -> Text:
        return Text(text(value), style or self.s.cell)

    def none(self) -> Text:
        return Text(text(self.w("none")), self.s.body)

    def table(self, rows: list[list], widths: list[float], *, header: bool = True) -> Table:
        return grid_table(rows, widths, self.font.name, header=header)

    def heads(self, *keys: str) -> list:
        return [self.p(self.w(f"col.{key}"), self.s.head) for key in keys]

    def heading(self, number: int, key: str) -> list:
        return [CondPageBreak(30 * mm), Text(text(self.w("section", n=t(f"dossier.pdf.numeral.n{number}",
                                                                           lang=self.lang),
                                                         title=self.w(f"heading.{key}"))), self.s.heading)]

    # --- the parts -------------------------------------------------------------------------------

    def cover(self) -> list:
        c = self.c
        tenant = c.get("tenant") or {}
        park = tenant.get("park") or {}
        counts = self.w("counts", inspections=len(c.get("inspections") or []), hazards=len(c.get("hazards") or []),
                        notices=len(c.get("notices") or []))
        return [self.p(c.get("agency"), self.s.agency), Spacer(1, 3 * mm), self.p(self.w("title"), self.s.title),
                Spacer(1, 3 * mm), self.p(tenant.get("name"), self.s.subtitle),
                self.p(self.w("code_and_park", credit_code=tenant.get("credit_code") or "—",
                              park=f"{park.get('code', '')} {park.get('name', '')}".strip() or "—"), self.s.quiet),
                self.p(self.w("generated", time=moment(c.get("generated_at"), self.lang)), self.s.quiet),
                self.p(counts, self.s.quiet), Spacer(1, 4 * mm)]

    def ledger(self) -> list:
        fields = (self.c.get("tenant") or {}).get("fields") or []
        if not fields:
            return [self.none()]
        rows = []
        for i in range(0, len(fields), 2):
            pair = fields[i:i + 2] + [["", ""]] * (2 - len(fields[i:i + 2]))
            row = []
            for label, value in pair:
                row += [self.p(label, self.s.label), self.p(value or "—")]
            rows.append(row)
        return [self.table(rows, [20, 30, 20, 30], header=False)]

    def history(self) -> list:
        entries = self.c.get("history") or []
        if not entries:
            return [self.none()]
        rows = [self.heads("time", "who", "change")]
        for e in entries:
            if e.get("action") == "insert":
                change = self.w("created")
            elif e.get("action") == "delete":
                change = self.w("deleted")
            else:
                change = "；".join(self.w("changed", field=f, before=b or "—", after=a or "—")
                                  for f, b, a in e.get("changes") or [])
            who = " / ".join(x for x in (e.get("actor"), e.get("device")) if x) or "—"
            rows.append([self.p(moment(e.get("at"), self.lang)), self.p(who), self.p(change)])
        return [self.table(rows, [22, 22, 56])]

    def inspections(self) -> list:
        items = self.c.get("inspections") or []
        if not items:
            return [self.none()]
        story = []
        for n, i in enumerate(items, start=1):
            counts = i.get("counts") or {}
            head = self.w("inspection_line", n=n, date=day(i.get("date"), self.lang), template=i.get("template") or "—",
                          status=i.get("status") or "—")
            facts = self.w("inspection_facts", inspectors="、".join(i.get("inspectors") or []) or "—",
                           accompanied=i.get("accompanied_by") or "—", finished=moment(i.get("finished_at"), self.lang),
                           passed=counts.get("pass", 0), failed=counts.get("fail", 0), na=counts.get("na", 0))
            block = [self.p(head, self.s.sub), self.p(facts)]
            failed = i.get("failed") or []
            if failed:
                rows = [self.heads("code", "item", "note")]
                rows += [[self.p(f["code"]), self.p(f.get("text"), self.s.alert if f.get("major") else self.s.cell),
                          self.p(f.get("note"))] for f in failed]
                block += [Spacer(1, 1 * mm), self.table(rows, [10, 50, 40])]
            else:
                block.append(self.p(self.w("no_failed")))
            story.append(KeepTogether(block))  # a heading never left alone at a page's foot
        return story

    def hazards(self) -> list:
        items = self.c.get("hazards") or []
        if not items:
            return [self.none()]
        story = []
        for n, h in enumerate(items, start=1):
            five = h.get("five") or {}
            funds = money(five.get("funds")) if five.get("funds") is not None else (five.get("funds_reason") or "—")
            head = self.w("hazard_line", n=n, date=day(h.get("found_on"), self.lang), severity=h.get("severity") or "—",
                          status=h.get("status") or "—", location=h.get("location") or "—")
            rows = [
                [self.p(self.w("col.description"), self.s.label), self.p(h.get("description"))],
                [self.p(t("five.responsibility", lang=self.lang), self.s.label),
                 self.p(" ".join(x for x in (five.get("responsible"), five.get("phone")) if x) or "—")],
                [self.p(t("five.measures", lang=self.lang), self.s.label), self.p(five.get("measures"))],
                [self.p(t("five.funds", lang=self.lang), self.s.label), self.p(funds)],
                [self.p(t("five.deadline", lang=self.lang), self.s.label), self.p(day(five.get("deadline"), self.lang))],
                [self.p(t("five.contingency_plan", lang=self.lang), self.s.label), self.p(five.get("contingency_plan"))],
                [self.p(self.w("col.notice"), self.s.label), self.p(h.get("notice") or "—")],
            ]
            reinspections = h.get("reinspections") or []
            done = "；".join(self.w("reinspection", date=day(r.get("on"), self.lang), outcome=r.get("outcome") or "—",
                                   inspectors="、".join(r.get("inspectors") or []) or "—",
                                   deadline=day(r.get("new_deadline"), self.lang) if r.get("new_deadline") else "—",
                                   note=r.get("note") or "—") for r in reinspections) or self.w("none")
            rows.append([self.p(self.w("col.reinspections"), self.s.label), self.p(done)])
            story.append(KeepTogether([self.p(head, self.s.alert if h.get("major") else self.s.sub),
                                       self.table(rows, [22, 78], header=False)]))
        return story

    def notices(self) -> list:
        items = self.c.get("notices") or []
        if not items:
            return [self.none()]
        rows = [self.heads("number", "kind", "issued", "service")]
        for n in items:
            service = "；".join(self.w("service", date=day(s.get("served_on"), self.lang), method=s.get("method") or "—",
                                      recipient=s.get("recipient") or "—")
                               + (self.w("refused", witness=s.get("witness") or "—") if s.get("refused") else "")
                               for s in n.get("service") or []) or self.w("not_served")
            rows.append([self.p(n.get("number")), self.p(n.get("kind")), self.p(moment(n.get("issued_at"), self.lang)),
                         self.p(service)])
        return [self.table(rows, [34, 14, 20, 32])]

    def photos_grid(self) -> list:
        items = self.c.get("photos") or []
        if not items:
            return [self.none()]
        cells = []
        for photo in items:
            image = _thumbnail(self.photos.get(photo["sha256"]))
            label = " ".join(x for x in (photo.get("of"), day(photo.get("taken"), self.lang), photo.get("caption")) if x)
            if image is None:
                cells.append([self.p(self.w("photo_missing", sha=photo["sha256"][:12]), self.s.alert),
                              self.p(label, self.s.caption)])
            else:
                cells.append([image, self.p(label, self.s.caption)])
        grid = [cells[i:i + PER_ROW] for i in range(0, len(cells), PER_ROW)]
        grid[-1] += [""] * (PER_ROW - len(grid[-1]))
        table = Table(grid, colWidths=[FRAME_WIDTH / PER_ROW] * PER_ROW, hAlign="LEFT", style=TableStyle([
            ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4), ("FONTNAME", (0, 0), (-1, -1), self.font.name)]))
        return [table]

    def quarters(self) -> list:
        rows = [self.heads("quarter", "output", "electricity", "water", "tax")]
        for q in self.c.get("quarters") or []:
            if not q.get("reported"):
                rows.append([self.p(q.get("quarter")), self.p(self.w("not_reported")), "", "", ""])
                continue
            rows.append([self.p(q.get("quarter"))] + [self.p(figure(q.get(k)))
                                                      for k in ("output_wan", "electricity_kwh", "water_t", "tax_wan")])
        story = [self.table(rows, [20, 20, 20, 20, 20])]
        flags = self.c.get("flags") or []
        story.append(self.p(self.w("flags"), self.s.sub))
        story += [self.p(f"{f.get('label')}：{f.get('explanation')}", self.s.alert) for f in flags] or [self.none()]
        return story

    def repeats(self) -> list:
        items = self.c.get("repeats") or []
        if not items:
            return [self.none()]
        rows = [self.heads("code", "item", "closed_on", "failed_again")]
        rows += [[self.p(r.get("code")), self.p(r.get("text")), self.p(day(r.get("closed_on"), self.lang)),
                  self.p(day(r.get("failed_again"), self.lang))] for r in items]
        return [self.table(rows, [10, 50, 20, 20])]

    def story(self) -> list:
        parts = [("ledger", self.ledger), ("history", self.history), ("inspections", self.inspections),
                 ("hazards", self.hazards), ("notices", self.notices), ("photos", self.photos_grid),
                 ("quarters", self.quarters), ("repeats", self.repeats)]
        story = self.cover()
        for number, (key, part) in enumerate(parts, start=1):
            story += self.heading(number, key)
            story += part()
        return story


def _thumbnail(path: Path | None):
    """A reportlab Image of a downscaled JPEG of the photo; None when the file is missing or unreadable."""
    from reportlab.platypus import Image

    small = downscaled_jpeg(path, THUMB_PIXELS, quality=75, document="dossier")
    if small is None:
        return None
    data, width, height = small
    scale = min(THUMB_WIDTH / width, THUMB_HEIGHT / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def render_dossier(content: dict, *, photos: dict[str, Path] | None = None, font: PdfFont | None = None) -> bytes:
    """The unsigned PDF of a dossier. A character the font cannot draw raises MissingGlyphError."""
    font = font or pdf_font()
    lang = content.get("lang") or "zh_CN"
    tenant = content.get("tenant") or {}
    margins = Margins(t("document.footer.page", lang=lang), footer_left=tenant.get("credit_code") or "",
                      footer_right=t("dossier.pdf.generated_short", lang=lang,
                                     time=moment(content.get("generated_at"), lang)),
                      head_left=content.get("agency") or "",
                      head_right=t("dossier.pdf.running_head", lang=lang, name=tenant.get("name", "")))
    describe = Describe(title=t("dossier.pdf.meta_title", lang=lang, name=tenant.get("name", ""),
                                credit_code=tenant.get("credit_code", "")),
                        author=content.get("agency") or "", subject=t("dossier.pdf.title", lang=lang),
                        keywords=tenant.get("credit_code") or "", file_name=DOSSIER_FILE_NAME,
                        canonical=canonical_json(content), description="content (parkinspect.dossier)")
    return render(_Builder(content, photos or {}, lang, font).story(), font=font, lang=lang,
                  canvasmaker=canvas_for(font, margins, describe))
