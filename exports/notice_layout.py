"""What every printed document has, whatever its kind: the builder the kinds extend.

A document is one or two parts (exports/notice_kinds.py says which): a 隐患整改通知书 and a
复查意见书 are printed twice in one PDF — the part for the unit (交被检查单位) and the archive part
(存根) — identical but for their mark and the service receipt (送达回执), which only the archive
part carries. Each part reads: title block (agency, title, the number right-aligned under the
title, the QR code beside), the facts (addressee, inspection time and legal basis), the kind's
body, the closing paragraphs (rights notice, consequence, contact), signatures with the seal
area — kept on one page with the text above them — and the photos.

The wording is in the catalogues (forms/locales/<lang>/notice.toml, keys `document.*`) in the
document's language; the values come from the content dict (exports/notice_content.py), read with
`.get` so that content of every schema renders.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Image, KeepTogether, PageBreak, Spacer, Table, TableStyle

from exports.document_page import FRAME_WIDTH, QUIET
from exports.fonts import PdfFont, pdf_font
from exports.notice_flowables import INK, QRFlowable, SealArea
from exports.notice_page import PartMark
from exports.notice_text import Text, day, merge_basis, moment, text
from exports.photo_jpeg import downscaled_jpeg
from forms.i18n import t

PHOTO_WIDTH = 50 * mm
PHOTO_MAX_HEIGHT = 45 * mm
PHOTO_PIXELS = 640  # long side of an embedded photo: 50 mm at ~300 dpi
GRID = colors.Color(0.35, 0.35, 0.35)
HEADER_FILL = colors.Color(0.9, 0.9, 0.9)
UNIT, ARCHIVE = "unit", "archive"


class Styles:
    def __init__(self, font: str):
        base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK", textColor=INK)
        self.body = base
        self.indent = ParagraphStyle("indent", parent=base, firstLineIndent=21)
        self.agency = ParagraphStyle("agency", parent=base, fontSize=13, leading=18, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER)
        self.number = ParagraphStyle("number", parent=base, fontSize=11, leading=15, alignment=TA_RIGHT)
        self.revision = ParagraphStyle("revision", parent=base, fontSize=8.5, leading=11, alignment=TA_RIGHT)
        self.label = ParagraphStyle("label", parent=base, fontSize=9.5, leading=13, textColor=QUIET)
        self.value = ParagraphStyle("value", parent=base, fontSize=9.5, leading=13)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5)
        self.cell_center = ParagraphStyle("cellc", parent=self.cell, alignment=TA_CENTER)
        self.head = ParagraphStyle("head", parent=self.cell, alignment=TA_CENTER, leading=11)
        self.small = ParagraphStyle("small", parent=self.cell, fontSize=7.5, leading=10, textColor=QUIET)
        self.caption = ParagraphStyle("caption", parent=self.small, alignment=TA_CENTER)
        self.section = ParagraphStyle("section", parent=base, fontSize=10.5, leading=16, spaceBefore=4)
        self.receipt_title = ParagraphStyle("rtitle", parent=base, fontSize=11, leading=13, alignment=TA_CENTER)
        self.receipt_line = ParagraphStyle("rline", parent=base, fontSize=10, leading=14)  # room to write
        self.sign = ParagraphStyle("sign", parent=base, fontSize=10, leading=14, alignment=TA_LEFT)
        self.sign_line = ParagraphStyle("signl", parent=self.sign, leading=20)  # room to write
        self.sign_right = ParagraphStyle("signr", parent=base, fontSize=10.5, leading=15, alignment=TA_CENTER)


def table_style(header_rows: int, extra: list | None = None) -> TableStyle:
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BOX", (0, 0), (-1, -1), 0.9, INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),  # room for punctuation hanging at a line's end
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    return TableStyle(commands + (extra or []))


def widths(*parts: float) -> list[float]:
    """Column widths from relative parts, filling the frame exactly."""
    total = sum(parts)
    return [FRAME_WIDTH * p / total for p in parts]


def people(value) -> list[dict]:
    """Inspectors as content lists them: [{"name", "id_number"}], or names alone."""
    return [p if isinstance(p, dict) else {"name": str(p), "id_number": ""} for p in value or []]


class DocumentBuilder:
    """The parts of one document; a kind (exports/notice_kinds.py) supplies `body()`."""

    parts: tuple[str, ...] = (UNIT, ARCHIVE)
    salutation = True  # addressed to the unit ("{name}：") — a record is not
    rights = True  # an administrative decision: the rights notice applies

    def __init__(self, content: dict, qr_payload: str, photos: dict[str, Path] | None, lang: str,
                 font: PdfFont | None):
        self.c = content
        self.qr_payload = qr_payload
        self.photos = photos or {}
        self.lang = "en" if (lang or "").lower().startswith("en") else "zh_CN"
        self.font = font or pdf_font()
        self.s = Styles(self.font.name)
        self._thumbnails: dict[str, object] = {}
        self._qr: QRFlowable | None = None
        self._paragraphs: dict[tuple[str, str, int], Text] = {}  # see p()
        self._made: dict[tuple[str, str], int] = {}  # paragraphs made in this part, by markup and style

    # helpers --------------------------------------------------------------------------------------
    def w(self, key: str, **values) -> str:
        """The document wording of `key` in the document's language."""
        return t(f"document.{key}", lang=self.lang, **values)

    def we(self, key: str, **values) -> str:
        """`w`, made markup-safe."""
        return text(self.w(key, **values))

    def table(self, rows: list, **options) -> Table:
        """A table whose plain-string cells (empty ones too) use the document's font: reportlab's
        default cell font is Helvetica, which would sit unembedded in the page resources."""
        return Table(rows, style=[("FONTNAME", (0, 0), (-1, -1), self.font.name)], **options)

    def p(self, markup: str, style: ParagraphStyle | None = None) -> Text:
        """A paragraph. The second part of a document is the first again: it gets the first part's
        paragraphs back, in the order they were made, with their lines already broken (never shared
        within one part, where a table may measure two cells at once)."""
        style = style or self.s.body
        key = (markup, style.name, self._made.get((markup, style.name), 0))
        self._made[key[:2]] = key[2] + 1
        paragraph = self._paragraphs.get(key)
        if paragraph is None:
            paragraph = self._paragraphs[key] = Text(markup, style)
        return paragraph

    def date(self, value) -> str:
        return text(day(value, self.lang))

    def date_cell(self, value) -> str:
        """A date in a narrow column: broken after the year (2026年 / 12月11日), never mid-number."""
        return self.date(value).replace("年", "年<br/>", 1)

    @property
    def agency(self) -> dict:
        return self.c.get("agency") or {}

    @property
    def inspection(self) -> dict:
        return self.c.get("inspection") or {}

    # the title block ---------------------------------------------------------------------------------
    def header(self) -> list:
        s = self.s
        if self._qr is None:  # one symbol for both parts: encoding it is the costly bit
            self._qr = QRFlowable(self.qr_payload, self.w("qr_caption"), self.font.name)
        qr = self._qr
        side = qr.width
        middle = [self.p(text(self.agency.get("name")), s.agency),
                  self.p(self.we(f"title.{self.c['kind']}"), s.title),
                  self.p(text(self.c.get("number")), s.number)]
        if self.c.get("supersedes"):
            middle.append(self.p(self.we("revision", revision=self.c.get("revision"),
                                         supersedes=self.c["supersedes"]), s.revision))
        table = self.table([["", middle, qr]], colWidths=[side, FRAME_WIDTH - 2 * side, side])
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (2, 0), (2, 0), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]))
        return [table, Spacer(1, 2 * mm)]

    # the facts ------------------------------------------------------------------------------------------
    def when_row(self) -> tuple[str, str] | None:
        """(label, value) of the inspection's time: from–to when the content has it, else the date."""
        i = self.inspection
        start, end = i.get("started_at"), i.get("finished_at")
        if start:
            first = moment(start, self.lang)
            if end:
                last = moment(end, self.lang)
                if str(end)[:10] == str(start)[:10]:
                    last = last.rsplit(" ", 1)[-1]  # the same day: its time alone
                first = self.w("inspection.time_range", start=first, end=last)
            return self.w("inspection.time"), text(first)
        if i.get("date"):
            return self.w("inspection.date"), self.date(i["date"])
        return None

    def basis_text(self) -> str | None:
        """检查依据: the template's legal basis when the content names it, else (older content) the
        checklist's title."""
        basis = self.inspection.get("basis")
        if isinstance(basis, list | tuple):
            basis = merge_basis(basis, self.w("sep"))
        return basis or self.inspection.get("checklist")

    def facts(self) -> list:
        s = self.s
        a = self.c.get("addressee") or {}
        rows = [
            [self.p(self.we("addressee.name"), s.label), self.p(text(a.get("name")), s.value),
             self.p(self.we("addressee.credit_code"), s.label), self.p(text(a.get("credit_code")), s.value)],
            [self.p(self.we("addressee.address"), s.label), self.p(text(a.get("address")), s.value),
             self.p(self.we("addressee.person_in_charge"), s.label),
             self.p(text(a.get("person_in_charge")), s.value)],
        ]
        spans = []
        if self.inspection:
            # time and legal basis across the whole width: a basis of four titles in the narrow last
            # column took five lines and pushed the receipt of the archive part onto a page of its own
            when = self.when_row() or (self.w("inspection.date"), "—")
            for label, value in ((text(when[0]), when[1]), (self.we("inspection.checklist"), text(self.basis_text()))):
                spans.append(("SPAN", (1, len(rows)), (-1, len(rows))))
                rows.append([self.p(label, s.label), self.p(value, s.value), "", ""])
        # the labels' columns fit 被检查单位 and 统一社会信用代码 on one line
        table = self.table(rows, colWidths=[21 * mm, 57 * mm, 30 * mm, FRAME_WIDTH - 108 * mm])
        table.setStyle(TableStyle([
            *spans,
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.Color(0.8, 0.8, 0.8)),
            ("LEFTPADDING", (0, 0), (-1, -1), 1), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]))
        story = [table, Spacer(1, 2 * mm)]
        if self.salutation:
            story.append(self.p(self.we("salutation", name=a.get("name") or ""), s.body))
        return story

    # closing: rights, contact ------------------------------------------------------------
    def closing(self) -> list:
        story = []
        if self.rights and self.agency.get("rights_notice"):
            story.append(self.p(text(self.agency["rights_notice"]), self.s.indent))
        contact = self.agency.get("contact") or {}
        pieces = [f"{self.w(f'contact.{k}')}{self.w('colon')}{contact[k]}" for k in ("address", "phone", "person")
                  if contact.get(k)]
        if pieces:
            story.append(self.p(text("　".join(pieces) if self.lang != "en" else "; ".join(pieces)), self.s.small))
        return story

    # signatures --------------------------------------------------------------------------------------
    def signers(self) -> tuple[str, list[dict]]:
        """(label, people) who sign for the agency: the inspectors of the inspection."""
        return "inspectors", people(self.inspection.get("inspectors"))

    def accompanying(self) -> list:
        """Extra signature lines on the left (the record's accompanying person)."""
        return []

    def signatures(self) -> Table:
        s = self.s
        label, signing = self.signers()
        while len(signing) < 2:  # enforcement needs two: blank lines to write in
            signing.append({"name": "", "id_number": ""})
        left = [self.p(self.we(label), s.sign)]
        blank = "＿" * 6
        for person in signing:  # one line each: name, ID, and room to sign
            name = text(person.get("name")) if person.get("name") else blank
            ident = text(person.get("id_number")) if person.get("id_number") else blank
            left.append(self.p(f"{name}　{self.we('inspector_id')}{self.we('colon')}{ident}　"
                               f"{self.we('signature')}{self.we('colon')}________", s.sign_line))
        left += self.accompanying()
        right = SealArea([self.p(text(self.agency.get("name") or "") + self.we("agency_seal"), s.sign_right),
                          self.p(self.date(self.c.get("issued_at")), s.sign_right)], FRAME_WIDTH * 0.45)
        table = self.table([[left, right]], colWidths=[FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        return table

    def receipt(self) -> list:
        """送达回执: on the archive part only — the unit signs the archive copy when it receives its own."""
        s = self.s
        line = "＿" * 8

        def label(key: str):
            return self.p(self.we(key), s.sign)

        # the title down the first column, a refusal's witness on the signers' row: three rows, so a
        # one-page notice keeps its receipt on its own page of the archive part
        rows = [
            [self.p(self.we("receipt.title"), s.receipt_title), label("receipt.recipient"),
             self.p(line, s.receipt_line), label("receipt.date"), self.p(line, s.receipt_line)],
            ["", label("receipt.method"), self.p(self.we("receipt.methods"), s.receipt_line), "", ""],
            ["", label("receipt.server"), self.p(line, s.receipt_line), label("receipt.witness"),
             self.p(line, s.receipt_line)],
        ]
        table = self.table(rows, colWidths=widths(9, 26, 28, 30, 25))
        table.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 0.9, INK), ("LINEAFTER", (0, 0), (0, -1), 0.5, GRID),
            ("SPAN", (0, 0), (0, -1)), ("SPAN", (2, 1), (4, 1)),
            ("VALIGN", (0, 0), (0, -1), "MIDDLE"), ("VALIGN", (1, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("TOPPADDING", (0, 0), (-1, -1), 0.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]))
        return [KeepTogether([table])]

    # photos -----------------------------------------------------------------------------------------------
    def thumbnail(self, sha: str):
        if sha not in self._thumbnails:
            self._thumbnails[sha] = _thumbnail(self.photos.get(sha))
        return self._thumbnails[sha]

    def photo_section(self) -> list:
        cells = []
        for h in self.c.get("hazards") or []:
            for n, sha in enumerate(h.get("photos") or [], start=1):
                make = self.thumbnail(sha)
                if make is None:
                    continue
                caption = self.p(self.we("photo_caption", no=h.get("no"), n=n), self.s.caption)
                cells.append([make(), caption])
        if not cells:
            return []
        per_row = 3
        grid = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
        grid[-1] += [""] * (per_row - len(grid[-1]))
        table = self.table(grid, colWidths=[FRAME_WIDTH / per_row] * per_row)
        table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
        # the heading never stays alone at the foot of a page
        return [CondPageBreak(PHOTO_MAX_HEIGHT + 25 * mm), Spacer(1, 4 * mm),
                self.p(self.we("photos"), self.s.section), Spacer(1, 1 * mm), table]

    # the whole ------------------------------------------------------------------------------------------
    def body(self) -> tuple[list, list]:
        """(the body, its last paragraphs): the last are kept on one page with the signatures."""
        raise NotImplementedError

    def part(self, which: str | None) -> list:
        self._made.clear()
        body, last = self.body()
        ending = [*last, *self.closing(), Spacer(1, 2 * mm), self.signatures()]
        if len(self.parts) > 1:
            ending.append(self.p(self.we("copies"), self.s.small))
        story = [PartMark(self.w(f"part.{which}")) if which else Spacer(0, 0), *self.header(), *self.facts(),
                 Spacer(1, 1 * mm), *body, KeepTogether(ending)]
        if which == ARCHIVE:
            story += self.receipt()
        return story + self.photo_section()

    def story(self) -> list:
        story: list = []
        for which in self.parts:
            if story:
                story.append(PageBreak())
            story += self.part(which)
        return story


def _thumbnail(path: Path | None):
    """A maker of reportlab Images of a downscaled JPEG of the photo; None when it cannot be read."""
    small = downscaled_jpeg(path, PHOTO_PIXELS, quality=80, document="notice")
    if small is None:
        return None
    data, width, height = small
    scale = min(PHOTO_WIDTH / width, PHOTO_MAX_HEIGHT / height)
    return lambda: Image(io.BytesIO(data), width=width * scale, height=height * scale)
