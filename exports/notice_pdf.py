"""The printed notice: a PDF of one document's canonical content (reportlab), unsigned.

`render_document(content, qr_payload=..., photos=...)` draws what `exports/notice_content.py`
describes — a 隐患整改通知书, a 复查意见书 or a 消防安全检查记录 — on A4 portrait: title and
number with the QR code beside them, addressee, findings with their legal basis, the hazard table
with the five implementations (header repeated on every page), photos, inspectors' and tenant's
signature lines, issuing agency with date and seal area, and "第 X 页 共 Y 页" in the footer. The
result is a plain single-revision PDF; the caller signs it (PAdES) afterwards.

Inside the PDF, for `verify`: the canonical content bytes as the embedded file
`EMBEDDED_FILE_NAME` (catalog /Names /EmbeddedFiles), and the QR payload text in the document
information dictionary under `QR_INFO_KEY`. `read_embedded(pdf_bytes)` gets both back.

Fonts: `exports/fonts.py` — the bundled WenQuanYi Micro Hei (or the office's configured TrueType
file), embedded as a subset; a character it cannot draw refuses the document (UserError naming it),
never a blank. The font used is named in the PDF's Creator entry. Every page's resources name only
that font: no base-14 Helvetica is left behind.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib import textsplit as rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as rl_paragraph

from exports.fonts import PdfFont, pdf_font
from exports.notice_content import EMBEDDED_FILE_NAME, KINDS, QR_INFO_KEY, canonical_json

log = logging.getLogger(__name__)

CREATOR = "ParkInspect 园检"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 25 * mm  # room to bind or punch the filed copy
MARGIN_RIGHT = 20 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 20 * mm  # the footer sits inside this margin
FRAME_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
QR_MIN_WIDTH = 32 * mm  # the symbol itself, without its quiet zone: ≥ 3 cm scans from paper
QR_MIN_MODULE = 0.5 * mm
PHOTO_WIDTH = 50 * mm
PHOTO_MAX_HEIGHT = 45 * mm
PHOTO_PIXELS = 640  # long side of an embedded photo: 50 mm at ~300 dpi
INK = colors.black
GRID = colors.Color(0.35, 0.35, 0.35)
HEADER_FILL = colors.Color(0.9, 0.9, 0.9)
QUIET = colors.Color(0.45, 0.45, 0.45)


# Chinese punctuation never starts a line. reportlab's CJK wrapping knows the Japanese set (、。）」)
# but not the full-width comma, semicolon, colon, ! ? or closing 》” — without these a cell reads
# "电气线路私拉乱接 / ，未穿管保护". Extending its module-level set is idempotent and only ever
# keeps such a character on the line before (hanging by at most one character).
_NO_LINE_START = "，；：！？》〉”’％"
for _module in (rl_paragraph, rl_textsplit):
    _module.ALL_CANNOT_START += "".join(c for c in _NO_LINE_START if c not in _module.ALL_CANNOT_START)


class NotANoticeError(ValueError):
    """The bytes are not a readable PDF (garbage, truncated, damaged beyond reading)."""


# --- wording -------------------------------------------------------------------------------------

ZH = {
    "title.rectification": "隐患整改通知书",
    "title.reinspection_opinion": "复查意见书",
    "title.inspection_record": "消防安全检查记录",
    "revision": "（第{revision}版，更正并替代{supersedes}）",
    "qr_caption": "扫码核验",
    "addressee.name": "被检查单位",
    "addressee.credit_code": "统一社会信用代码",
    "addressee.address": "地址",
    "addressee.person_in_charge": "负责人",
    "inspection.date": "检查日期",
    "inspection.checklist": "检查依据",
    "salutation": "{name}：",
    "body.rectification": "经检查，你单位存在下列消防安全隐患：",
    "col.no": "序号",
    "col.code": "编号",
    "col.description": "隐患内容",
    "col.location": "部位",
    "col.severity": "等级",
    "col.five": "五落实",
    "col.responsible": "整改责任人\n（电话）",
    "col.measures": "整改措施",
    "col.funds": "整改资金\n（元）",
    "col.deadline": "整改时限",
    "col.contingency": "整改预案",
    "col.outcome": "复查结果",
    "col.outcome_date": "复查日期",
    "col.evidence": "复查情况",
    "col.category": "类别",
    "col.item": "检查项目",
    "col.result": "结果",
    "col.note": "备注",
    "severity.general": "一般",
    "severity.major": "重大",
    "basis": "依据：{basis}",
    "basis_line": "根据{basis}之规定，",
    "order": "请于{deadline}前整改完毕，整改期间应落实防范措施，确保安全。",
    "order.each": "各项隐患的整改时限见上表。",
    "reinspection_note": "整改期限届满后，我单位将组织复查。",
    "photos": "附件：隐患照片",
    "photo_caption": "隐患{no} · 照片{n}",
    "inspectors": "检查人员（签名）：",
    "inspector_id": "证号",
    "signature": "签名",
    "agency_seal": "（盖章）",
    "receipt": "被检查单位签收：________ 日期：________",
    "copies": "本文书一式两份，一份交被检查单位，一份存档（签收联）。",
    "footer.page": "第 {page} 页 共 {pages} 页",
    "body.reinspection": "根据{references}《隐患整改通知书》，我单位对你单位隐患整改情况进行了复查，复查意见如下：",
    "outcome.rectified": "已整改",
    "outcome.not_rectified": "未整改",
    "outcome.escalated": "已上报",
    "outcome.none": "未复查",
    "new_deadline": "新整改时限：{deadline}",
    "conclusion.all_rectified": "经复查，上述隐患已全部整改完毕。",
    "conclusion.not_rectified": "对未整改完毕的隐患，请于{deadline}前整改完毕，整改期间应落实防范措施，确保安全。",
    "conclusion.escalated": "对逾期未整改或拒不整改的隐患，已报送有关部门依法处理。",
    "body.inspection_record": "{date}，检查人员对你单位进行了消防安全检查，检查情况记录如下：",
    "result.pass": "符合",
    "result.fail": "不符合",
    "result.na": "不适用",
    "summary": "共检查 {total} 项：符合 {passed} 项，不符合 {failed} 项，不适用 {na} 项。",
    "summary_fail": "不符合项已列为隐患，整改要求另行以《隐患整改通知书》告知。",
    "no_items": "（无）",
    "sep": "、",
    "colon": "：",
}

EN = {
    **ZH,
    "title.rectification": "Hazard Rectification Notice",
    "title.reinspection_opinion": "Re-inspection Opinion",
    "title.inspection_record": "Fire-Safety Inspection Record",
    "revision": "(revision {revision}, corrects and replaces {supersedes})",
    "qr_caption": "Scan to verify",
    "addressee.name": "Inspected unit",
    "addressee.credit_code": "Unified social credit code",
    "addressee.address": "Address",
    "addressee.person_in_charge": "Person in charge",
    "inspection.date": "Inspection date",
    "inspection.checklist": "Checklist",
    "salutation": "To {name}:",
    "body.rectification": "The inspection found the following fire-safety hazards in your unit:",
    "col.no": "No.",
    "col.code": "Code",
    "col.description": "Hazard",
    "col.location": "Location",
    "col.severity": "Severity",
    "col.five": "Five implementations",
    "col.responsible": "Responsible\n(phone)",
    "col.measures": "Measures",
    "col.funds": "Funds\n(yuan)",
    "col.deadline": "Deadline",
    "col.contingency": "Contingency plan",
    "col.outcome": "Outcome",
    "col.outcome_date": "Re-inspected",
    "col.evidence": "Findings",
    "col.category": "Category",
    "col.item": "Item",
    "col.result": "Result",
    "col.note": "Note",
    "severity.general": "general",
    "severity.major": "major",
    "basis": "Basis: {basis}",
    "basis_line": "Under {basis}, ",
    "order": "rectify by {deadline}, and keep preventive measures in place until then to stay safe.",
    "order.each": "Each hazard's deadline is in the table.",
    "reinspection_note": "A re-inspection follows when the deadline has passed.",
    "photos": "Attachment: photos of the hazards",
    "photo_caption": "Hazard {no} · photo {n}",
    "inspectors": "Inspectors (signature):",
    "inspector_id": "ID",
    "signature": "Signature",
    "agency_seal": "(seal)",
    "receipt": "Received by the inspected unit: ________ Date: ________",
    "copies": "Two copies: one for the inspected unit, one filed (with the receipt).",
    "footer.page": "Page {page} of {pages}",
    "body.reinspection": "Following notice {references}, we re-inspected the rectification of the hazards:",
    "outcome.rectified": "rectified",
    "outcome.not_rectified": "not rectified",
    "outcome.escalated": "escalated",
    "outcome.none": "not re-inspected",
    "new_deadline": "New deadline: {deadline}",
    "conclusion.all_rectified": "All hazards listed above have been rectified.",
    "conclusion.not_rectified": "Rectify the remaining hazards by {deadline}, keeping preventive measures in place.",
    "conclusion.escalated": "Hazards left unrectified have been reported to the competent authorities.",
    "body.inspection_record": "On {date} the inspectors checked your unit's fire safety; the results:",
    "result.pass": "pass",
    "result.fail": "fail",
    "result.na": "n/a",
    "summary": "{total} items checked: {passed} passed, {failed} failed, {na} not applicable.",
    "summary_fail": "Failed items are recorded as hazards; a rectification notice follows.",
    "no_items": "(none)",
    "sep": ", ",
    "colon": ": ",
}

def _wording(lang: str) -> dict[str, str]:
    return EN if (lang or "").lower().startswith("en") else ZH


# --- small formatting helpers ----------------------------------------------------------------------


def _text(value) -> str:
    """Markup-safe text for a Paragraph (content is data, never markup); None reads as a dash."""
    if value is None or value == "":
        return "—"
    return escape(str(value)).replace("\n", "<br/>")


def _date(value: str | None, lang: str) -> str:
    if not value:
        return "—"
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return day.isoformat() if lang == "en" else f"{day.year}年{day.month}月{day.day}日"


def _money(value) -> str:
    if value is None:
        return "—"
    amount = float(value)
    return f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"


_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _article_order(article: str) -> int:
    """第二十八条 -> 28 (for sorting the articles of one law); unknown forms sort last."""
    m = re.fullmatch(r"第([零一二三四五六七八九十百]+)条.*", article)
    if not m:
        return 10_000
    total, current = 0, 0
    for c in m.group(1):
        if c == "百":
            total, current = total + max(current, 1) * 100, 0
        elif c == "十":
            total, current = total + max(current, 1) * 10, 0
        else:
            current = _CN_DIGITS[c]
    return total + current


def merge_basis(lines: Iterable[str | None], sep: str = "、") -> str:
    """One legal-basis phrase from the agency's lines and the hazards': each law once, its articles
    in order ("《中华人民共和国消防法》第十六条、第二十八条、《浙江省消防条例》")."""
    laws: dict[str, list[str]] = {}
    for line in lines:
        for part in re.split(r"[；;]", line or ""):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"(《[^》]+》)\s*((?:第[^、，,《]+条[^、，,《]*[、，,]?\s*)+)", part)
            if m:
                articles = laws.setdefault(m.group(1), [])
                for article in re.split(r"[、，,]\s*", m.group(2)):
                    if article and article not in articles:
                        articles.append(article)
            else:
                laws.setdefault(part, [])
    return sep.join(law + "、".join(sorted(arts, key=_article_order)) for law, arts in laws.items())


# --- the QR code as vector modules ------------------------------------------------------------------


class QRFlowable(Flowable):
    """The QR symbol (error correction M) drawn as filled squares, with its quiet zone and caption."""

    def __init__(self, payload: str, caption: str, font: str):
        super().__init__()
        import qrcode
        from qrcode.constants import ERROR_CORRECT_M

        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
        code.add_data(payload)
        code.make(fit=True)
        self.matrix = code.get_matrix()
        count = len(self.matrix)
        self.symbol = max(QR_MIN_WIDTH, count * QR_MIN_MODULE)
        self.module = self.symbol / count
        self.quiet = 4 * self.module
        self.caption, self.font = caption, font
        self.width = self.symbol + 2 * self.quiet
        self.height = self.width + 11

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.saveState()
        c.setFillColor(colors.white)
        c.rect(0, 11, self.width, self.width, stroke=0, fill=1)
        c.setFillColor(INK)
        top = 11 + self.quiet + self.symbol
        path = c.beginPath()
        for r, row in enumerate(self.matrix):
            y = top - (r + 1) * self.module
            x0 = None
            for col, dark in enumerate([*row, False]):
                if dark and x0 is None:
                    x0 = col
                elif not dark and x0 is not None:
                    path.rect(self.quiet + x0 * self.module, y, (col - x0) * self.module, self.module)
                    x0 = None
        c.drawPath(path, stroke=0, fill=1)
        c.setFont(self.font, 8)
        c.drawCentredString(self.width / 2, 2, self.caption)
        c.restoreState()


class SealArea(Flowable):
    """Space for the agency's round seal (42 mm), marked by a faint dashed circle."""

    def __init__(self, lines: list[Paragraph], width: float):
        super().__init__()
        self.lines, self.width = lines, width
        self.height = 44 * mm

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.saveState()
        c.setStrokeColor(colors.Color(0.75, 0.75, 0.75))
        c.setDash(2, 2)
        c.setLineWidth(0.5)
        c.circle(self.width / 2, self.height / 2, 21 * mm, stroke=1, fill=0)
        c.restoreState()
        y = self.height / 2 + 4 * mm
        for line in self.lines:
            _, h = line.wrap(self.width, self.height)
            line.drawOn(c, 0, y - h / 2)
            y -= h + 2 * mm


# --- the canvas: page numbers, metadata, embedded content -----------------------------------------------


class _NoticeInfo(pdfdoc.PDFInfo):
    """The document information dictionary, with the QR payload entry and the issue time."""

    def __init__(self, extra: dict[str, str], when: str | None):
        super().__init__()
        self.extra, self.when = extra, when

    def format(self, document):
        entries = {
            "Title": pdfdoc.PDFString(self.title), "Author": pdfdoc.PDFString(self.author),
            "Subject": pdfdoc.PDFString(self.subject), "Keywords": pdfdoc.PDFString(self.keywords),
            "Creator": pdfdoc.PDFString(self.creator), "Producer": pdfdoc.PDFString(self.producer),
            "Trapped": pdfdoc.PDFName(self.trapped),
        }
        stamp = pdfdoc.PDFString(self.when) if self.when else pdfdoc.PDFDate(ts=document._timeStamp)
        entries["CreationDate"] = entries["ModDate"] = stamp
        for key, value in self.extra.items():
            entries[key.lstrip("/")] = pdfdoc.PDFString(value)
        return pdfdoc.PDFDictionary(entries).format(document)


def _pdf_date(iso: str | None) -> str | None:
    """2026-11-26T10:15:00+08:00 -> D:20261126101500+08'00' (the issue time, not the render time)."""
    if not iso:
        return None
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    stamp = when.strftime("D:%Y%m%d%H%M%S")
    offset = when.utcoffset()
    if offset is None:
        return stamp
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{stamp}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _attach(doc: pdfdoc.PDFDocument, name: str, data: bytes, description: str) -> None:
    """Embed `data` as a document-level attachment (catalog /Names /EmbeddedFiles)."""
    import hashlib

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


@dataclass
class _Finish:
    """What the canvas adds when the pages are done: footer, metadata, attachment."""

    font: PdfFont
    number: str
    page_label: str
    info: dict[str, str]
    qr_payload: str
    issued: str | None
    canonical: bytes


class _NoticeCanvas(rl_canvas.Canvas):
    """Keeps each page until the end, so the footer can say how many pages there are."""

    finish: _Finish

    def __init__(self, *args, finish: _Finish, **kwargs):
        super().__init__(*args, **kwargs)
        self.finish = finish
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        f = self.finish
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont(f.font.name, 8)
            self.setFillColor(QUIET)
            y = MARGIN_BOTTOM - 10 * mm
            self.drawCentredString(PAGE_WIDTH / 2, y, f.page_label.format(page=number, pages=total))
            self.drawString(MARGIN_LEFT, y, f.number)
            self.setStrokeColor(colors.Color(0.7, 0.7, 0.7))
            self.setLineWidth(0.4)
            self.line(MARGIN_LEFT, y + 10, PAGE_WIDTH - MARGIN_RIGHT, y + 10)
            self.restoreState()
            super().showPage()
        doc = self._doc
        doc.info = _NoticeInfo({QR_INFO_KEY: f.qr_payload}, _pdf_date(f.issued))
        doc.setTitle(f.info["title"])
        doc.setAuthor(f.info["author"])
        doc.setSubject(f.info["subject"])
        doc.setKeywords(f.number)
        doc.setCreator(f"{CREATOR}; font: {f.font.label}")
        doc.updateSignature(f.canonical)  # the file /ID follows the content, not the clock
        _attach(doc, EMBEDDED_FILE_NAME, f.canonical, "canonical content (parkinspect.notice)")
        super().save()


# --- the document ------------------------------------------------------------------------------------


class _Styles:
    def __init__(self, font: str):
        base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK",
                              textColor=INK)
        self.body = base
        self.indent = ParagraphStyle("indent", parent=base, firstLineIndent=21)
        self.agency = ParagraphStyle("agency", parent=base, fontSize=13, leading=18, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER)
        self.number = ParagraphStyle("number", parent=base, fontSize=11, leading=15, alignment=TA_CENTER)
        self.revision = ParagraphStyle("revision", parent=base, fontSize=8.5, leading=11, alignment=TA_CENTER)
        self.label = ParagraphStyle("label", parent=base, fontSize=9.5, leading=13, textColor=QUIET)
        self.value = ParagraphStyle("value", parent=base, fontSize=9.5, leading=13)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5)
        self.cell_center = ParagraphStyle("cellc", parent=self.cell, alignment=TA_CENTER)
        self.cell_right = ParagraphStyle("cellr", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, alignment=TA_CENTER, leading=11)
        self.small = ParagraphStyle("small", parent=self.cell, fontSize=7.5, leading=10, textColor=QUIET)
        self.caption = ParagraphStyle("caption", parent=self.small, alignment=TA_CENTER)
        self.section = ParagraphStyle("section", parent=base, fontSize=10.5, leading=16, spaceBefore=4)
        self.sign = ParagraphStyle("sign", parent=base, fontSize=10, leading=14, alignment=TA_LEFT)
        self.sign_line = ParagraphStyle("signl", parent=self.sign, leading=22)  # room to write
        self.sign_right = ParagraphStyle("signr", parent=base, fontSize=10.5, leading=15, alignment=TA_CENTER)


def _table_style(header_rows: int, extra: list | None = None) -> TableStyle:
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


def _widths(*parts: float) -> list[float]:
    """Column widths from relative parts, filling the frame exactly."""
    total = sum(parts)
    return [FRAME_WIDTH * p / total for p in parts]


class _Builder:
    def __init__(self, content: dict, qr_payload: str, photos: dict[str, Path] | None, lang: str,
                 font: PdfFont | None):
        self.c = content
        self.qr_payload = qr_payload
        self.photos = photos or {}
        self.lang = "en" if (lang or "").lower().startswith("en") else "zh_CN"
        self.w = _wording(lang)
        self.font = font or pdf_font()
        self.s = _Styles(self.font.name)

    def table(self, rows: list, **options) -> Table:
        """A table whose plain-string cells (empty ones too) use the document's font: reportlab's
        default cell font is Helvetica, which would sit unembedded in the page resources."""
        return Table(rows, style=[("FONTNAME", (0, 0), (-1, -1), self.font.name)], **options)

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(text, style or self.s.body)

    def date(self, value) -> str:
        return escape(_date(value, self.lang))

    def date_cell(self, value) -> str:
        """A date in a narrow column: broken after the year (2026年 / 12月11日), not mid-word."""
        return self.date(value).replace("年", "年<br/>", 1)

    # header -------------------------------------------------------------------------------------------
    def header(self) -> list:
        c, w, s = self.c, self.w, self.s
        qr = QRFlowable(self.qr_payload, w["qr_caption"], self.font.name)
        side = qr.width
        middle = [self.p(_text((c.get("agency") or {}).get("name")), s.agency),
                  self.p(escape(w[f"title.{c['kind']}"]), s.title),
                  self.p(_text(c.get("number")), s.number)]
        if c.get("supersedes"):
            middle.append(self.p(escape(w["revision"].format(revision=c.get("revision"),
                                                             supersedes=c["supersedes"])), s.revision))
        table = self.table([["", middle, qr]], colWidths=[side, FRAME_WIDTH - 2 * side, side])
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (2, 0), (2, 0), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]))
        return [table, Spacer(1, 3 * mm)]

    def addressee(self) -> list:
        c, w, s = self.c, self.w, self.s
        a = c.get("addressee") or {}
        inspection = c.get("inspection") or {}
        rows = [
            [self.p(w["addressee.name"], s.label), self.p(_text(a.get("name")), s.value),
             self.p(w["addressee.credit_code"], s.label), self.p(_text(a.get("credit_code")), s.value)],
            [self.p(w["addressee.address"], s.label), self.p(_text(a.get("address")), s.value),
             self.p(w["addressee.person_in_charge"], s.label), self.p(_text(a.get("person_in_charge")), s.value)],
        ]
        if inspection:
            rows.append([self.p(w["inspection.date"], s.label), self.p(self.date(inspection.get("date")), s.value),
                         self.p(w["inspection.checklist"], s.label), self.p(_text(inspection.get("checklist")), s.value)])
        table = self.table(rows, colWidths=_widths(19, 62, 29, 55))
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.Color(0.8, 0.8, 0.8)),
            ("LEFTPADDING", (0, 0), (-1, -1), 1), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]))
        salutation = self.p(escape(w["salutation"].format(name=a.get("name") or "")), s.body)
        return [table, Spacer(1, 3 * mm), salutation]

    # rectification ----------------------------------------------------------------------------------
    def hazard_table(self) -> Table:
        w, s = self.w, self.s
        head = [self.p(_text(w[k]), s.head) for k in
                ("col.no", "col.description", "col.location", "col.severity", "col.five")]
        sub = [self.p(_text(w[k]), s.head) for k in
               ("col.responsible", "col.measures", "col.funds", "col.deadline", "col.contingency")]
        rows: list[list] = [[*head, "", "", "", ""], ["", "", "", "", *sub]]
        for h in self.c.get("hazards") or []:
            description = _text(h.get("description"))
            if h.get("legal_basis"):
                description += f'<br/><font size="7" color="#555555">{_text(w["basis"].format(basis=h["legal_basis"]))}</font>'
            responsible = _text(h.get("responsible"))
            if h.get("responsible_phone"):
                responsible += f"<br/>{_text(h['responsible_phone'])}"
            funds = _money(h.get("funds_yuan"))
            if h.get("funds_reason"):
                funds += f'<br/><font size="7.5">（{_text(h["funds_reason"])}）</font>'
            severity = w.get(f"severity.{h.get('severity')}", h.get("severity") or "—")
            rows.append([
                self.p(_text(h.get("no")), s.cell_center), self.p(description, s.cell),
                self.p(_text(h.get("location")), s.cell), self.p(_text(severity), s.cell_center),
                self.p(responsible, s.cell), self.p(_text(h.get("measures")), s.cell),
                self.p(funds, s.cell_center), self.p(self.date_cell(h.get("deadline")), s.cell_center),
                self.p(_text(h.get("contingency_plan")), s.cell),
            ])
        if len(rows) == 2:
            rows.append([self.p(w["no_items"], s.cell_center), "", "", "", "", "", "", "", ""])
        spans = [("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)),
                 ("SPAN", (3, 0), (3, 1)), ("SPAN", (4, 0), (8, 0))]
        if len(self.c.get("hazards") or []) == 0:
            spans.append(("SPAN", (0, 2), (-1, 2)))
        table = self.table(rows, colWidths=_widths(7, 27, 13, 8.5, 21.5, 27, 14.5, 15, 24), repeatRows=2, splitInRow=1)
        table.setStyle(_table_style(2, spans))
        return table

    def rectification(self) -> list:
        c, w, s = self.c, self.w, self.s
        hazards = c.get("hazards") or []
        story = [self.p(escape(w["body.rectification"]), s.indent), Spacer(1, 2 * mm), self.hazard_table(),
                 Spacer(1, 3 * mm)]
        basis = merge_basis([*((c.get("agency") or {}).get("basis") or []), *(h.get("legal_basis") for h in hazards)],
                            w["sep"])
        order = escape(w["basis_line"].format(basis=basis)) if basis else ""
        deadline = c.get("deadline") or max((h.get("deadline") or "" for h in hazards), default="")
        order += escape(w["order"].format(deadline=self.date(deadline)))
        if len({h.get("deadline") for h in hazards}) > 1:
            order += escape(w["order.each"])
        story.append(self.p(order, s.indent))
        note = (c.get("agency") or {}).get("reinspection_note") or w["reinspection_note"]
        story.append(self.p(escape(note), s.indent))
        return story

    # re-inspection opinion ----------------------------------------------------------------------------
    def reinspection(self) -> list:
        c, w, s = self.c, self.w, self.s
        hazards = c.get("hazards") or []
        intro = w["body.reinspection"].format(references=c.get("references") or "—")
        head = [self.p(escape(w[k]), s.head) for k in
                ("col.no", "col.description", "col.location", "col.deadline", "col.outcome_date",
                 "col.outcome", "col.evidence")]
        rows: list[list] = [head]
        for h in hazards:
            outcome = h.get("outcome") or {}
            result = w.get(f"outcome.{outcome.get('result')}", outcome.get("result")) if outcome else w["outcome.none"]
            evidence = _text(outcome.get("evidence")) if outcome else "—"
            if outcome.get("new_deadline"):
                evidence += "<br/>" + escape(w["new_deadline"].format(deadline=self.date(outcome["new_deadline"])))
            rows.append([
                self.p(_text(h.get("no")), s.cell_center),
                self.p(_text(h.get("description")) + f'<br/><font size="7" color="#555555">'
                       f'{_text(h.get("measures"))}</font>', s.cell),
                self.p(_text(h.get("location")), s.cell), self.p(self.date_cell(h.get("deadline")), s.cell_center),
                self.p(self.date_cell(outcome.get("date")), s.cell_center), self.p(_text(result), s.cell_center),
                self.p(evidence, s.cell),
            ])
        if not hazards:
            rows.append([self.p(w["no_items"], s.cell_center), "", "", "", "", "", ""])
        table = self.table(rows, colWidths=_widths(7, 44, 16, 16, 16, 14.5, 43), repeatRows=1, splitInRow=1)
        table.setStyle(_table_style(1, [("SPAN", (0, 1), (-1, 1))] if not hazards else []))
        story = [self.p(escape(intro), s.indent), Spacer(1, 2 * mm), table, Spacer(1, 3 * mm)]
        results = [(h.get("outcome") or {}).get("result") for h in hazards]
        if results and all(r == "rectified" for r in results):
            story.append(self.p(escape(w["conclusion.all_rectified"]), s.indent))
        open_deadlines = [(h.get("outcome") or {}).get("new_deadline") for h in hazards
                          if (h.get("outcome") or {}).get("result") == "not_rectified"]
        if open_deadlines:
            deadline = max((d for d in open_deadlines if d), default=None)
            story.append(self.p(escape(w["conclusion.not_rectified"].format(deadline=self.date(deadline))), s.indent))
        if "escalated" in results:
            story.append(self.p(escape(w["conclusion.escalated"]), s.indent))
        return story

    # inspection record --------------------------------------------------------------------------------
    def inspection_record(self) -> list:
        c, w, s = self.c, self.w, self.s
        results = c.get("results") or []
        intro = w["body.inspection_record"].format(date=self.date((c.get("inspection") or {}).get("date")))
        rows: list[list] = [[self.p(escape(w[k]), s.head) for k in
                             ("col.code", "col.category", "col.item", "col.result", "col.note")]]
        fails = []
        for r in results:
            outcome = r.get("outcome")
            label = w.get(f"result.{outcome}", outcome or "—")
            if outcome == "fail":
                fails.append(len(rows))
            rows.append([self.p(_text(r.get("code")), s.cell_center), self.p(_text(r.get("category")), s.cell),
                         self.p(_text(r.get("text")), s.cell), self.p(_text(label), s.cell_center),
                         self.p(_text(r.get("note")) if r.get("note") else "", s.cell)])
        if not results:
            rows.append([self.p(w["no_items"], s.cell_center), "", "", "", ""])
        extra = [("BACKGROUND", (3, i), (3, i), colors.Color(0.93, 0.93, 0.93)) for i in fails]
        if not results:
            extra.append(("SPAN", (0, 1), (-1, 1)))
        table = self.table(rows, colWidths=_widths(9, 16, 78, 13, 49), repeatRows=1, splitInRow=1)
        table.setStyle(_table_style(1, extra))
        counts = {k: sum(1 for r in results if r.get("outcome") == k) for k in ("pass", "fail", "na")}
        story = [self.p(escape(intro), s.indent), Spacer(1, 2 * mm), table, Spacer(1, 3 * mm),
                 self.p(escape(w["summary"].format(total=len(results), passed=counts["pass"], failed=counts["fail"],
                                                   na=counts["na"])), s.indent)]
        if counts["fail"]:
            story.append(self.p(escape(w["summary_fail"]), s.indent))
        return story

    # photos ---------------------------------------------------------------------------------------------
    def photo_section(self) -> list:
        cells, thumbnails = [], {}
        for h in self.c.get("hazards") or []:
            for n, sha in enumerate(h.get("photos") or [], start=1):
                if sha not in thumbnails:
                    thumbnails[sha] = _thumbnail(self.photos.get(sha))
                if thumbnails[sha] is None:
                    continue
                image = thumbnails[sha]()
                caption = self.p(escape(self.w["photo_caption"].format(no=h.get("no"), n=n)), self.s.caption)
                cells.append([image, caption])
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
                self.p(escape(self.w["photos"]), self.s.section), Spacer(1, 1 * mm), table]

    # signatures -------------------------------------------------------------------------------------------
    def signatures(self) -> list:
        c, w, s = self.c, self.w, self.s
        inspectors = list((c.get("inspection") or {}).get("inspectors") or [])
        while len(inspectors) < 2:  # enforcement needs two: blank lines to write in
            inspectors.append({"name": "", "id_number": ""})
        left = [self.p(escape(w["inspectors"]), s.sign)]
        blank = "＿" * 6
        for person in inspectors:
            name = escape(person.get("name") or "") or blank
            ident = escape(person.get("id_number") or "") or blank
            left.append(self.p(f"{name}　{escape(w['inspector_id'])}{escape(w['colon'])}{ident}", s.sign))
            left.append(self.p(f"{escape(w['signature'])}{escape(w['colon'])}________________", s.sign_line))
            left.append(Spacer(1, 2 * mm))
        agency = (c.get("agency") or {}).get("name") or ""
        right = SealArea([self.p(escape(agency) + escape(w["agency_seal"]), s.sign_right),
                          self.p(self.date(c.get("issued_at")), s.sign_right)], FRAME_WIDTH * 0.45)
        table = self.table([[left, right]], colWidths=[FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        receipt = self.table([[self.p(escape(w["receipt"]), s.body)]], colWidths=[FRAME_WIDTH])
        receipt.setStyle(TableStyle([("LINEABOVE", (0, 0), (-1, 0), 0.5, GRID, None, (3, 2)),
                                     ("TOPPADDING", (0, 0), (-1, -1), 12), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        return [Spacer(1, 4 * mm), KeepTogether([table, Spacer(1, 2 * mm), receipt,
                                                 self.p(escape(w["copies"]), s.small)])]

    def story(self) -> list:
        kind = self.c.get("kind")
        body = {"rectification": self.rectification, "reinspection_opinion": self.reinspection,
                "inspection_record": self.inspection_record}[kind]()
        return [*self.header(), *self.addressee(), Spacer(1, 1 * mm), *body, *self.signatures(),
                *self.photo_section()]


def _thumbnail(path: Path | None):
    """A maker of reportlab Images of a downscaled JPEG of the photo; None when it cannot be read."""
    if path is None:
        return None
    from PIL import Image as PILImage
    from PIL import ImageOps
    from reportlab.platypus import Image

    try:
        with PILImage.open(path) as im:
            scale = PHOTO_PIXELS / max(im.size)
            im.draft("RGB", (round(im.size[0] * scale), round(im.size[1] * scale)))  # JPEG: decode small
            im = ImageOps.exif_transpose(im)
            im.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
            im = im.convert("RGB")
            buffer = io.BytesIO()
            im.save(buffer, "JPEG", quality=80)
            width, height = im.size
    except Exception as exc:  # missing, unreadable, not an image, a decompression bomb: leave it out
        log.warning("photo %s left out of the notice: %s", path, exc)
        return None
    data = buffer.getvalue()
    scale = min(PHOTO_WIDTH / width, PHOTO_MAX_HEIGHT / height)
    return lambda: Image(io.BytesIO(data), width=width * scale, height=height * scale)


def render_document(content: dict, *, qr_payload: str, photos: dict[str, Path] | None = None,
                    lang: str = "zh_CN", font: PdfFont | None = None) -> bytes:
    """The unsigned PDF of one document (see the module docstring); `photos` maps sha256 -> file;
    `font` the office's configured font (default: the bundled one). Raises MissingGlyphError (a
    UserError) when the font cannot draw a character of the document."""
    kind = content.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    builder = _Builder(content, qr_payload, photos, lang, font)
    w = builder.w
    title = w[f"title.{kind}"]
    finish = _Finish(
        font=builder.font, number=content.get("number") or "", page_label=w["footer.page"],
        info={"title": f"{title} {content.get('number') or ''}".strip(),
              "author": (content.get("agency") or {}).get("name") or "",
              "subject": f"{title}：{(content.get('addressee') or {}).get('name') or ''}"},
        qr_payload=qr_payload, issued=content.get("issued_at"), canonical=canonical_json(content))
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
                          topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, invariant=1,
                          initialFontName=builder.font.name,  # no page refers to an unembedded Helvetica
                          lang="en" if builder.lang == "en" else "zh-CN")
    frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(builder.story(), canvasmaker=lambda *a, **kw: _NoticeCanvas(*a, finish=finish, **kw))
    return buffer.getvalue()


# --- reading back ---------------------------------------------------------------------------------------


def _embedded_files(names_root) -> Iterable[tuple[str, object]]:
    """(name, file spec) pairs of an /EmbeddedFiles name tree, Kids included."""
    stack, seen = [names_root], 0
    while stack and seen < 10_000:
        node = stack.pop().get_object()
        seen += 1
        # Indexing (not .get) resolves indirect arrays, as pyHanko's own embed_file writes them.
        if "/Names" in node:
            pairs = list(node["/Names"])
            for i in range(0, len(pairs) - 1, 2):
                yield str(pairs[i]), pairs[i + 1].get_object()
        if "/Kids" in node:
            stack.extend(node["/Kids"])


def read_embedded(pdf_bytes: bytes) -> tuple[bytes | None, str | None]:
    """(canonical content bytes, QR payload) of a notice PDF, signed or not; None for what is absent.

    Raises NotANoticeError when the bytes are not a readable PDF at all.
    """
    if not isinstance(pdf_bytes, bytes | bytearray | memoryview):
        raise NotANoticeError("not PDF data")
    data = bytes(pdf_bytes)
    if b"%PDF-" not in data[:1024]:  # the header may follow some junk, within the first 1 KiB
        raise NotANoticeError("not a PDF file (no %PDF- header)")
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        root = reader.root
        content = None
        names = root.get("/Names")
        embedded = names.get_object().get("/EmbeddedFiles") if names is not None else None
        if embedded is not None:
            for name, spec in _embedded_files(embedded):
                if name == EMBEDDED_FILE_NAME:
                    content = spec["/EF"]["/F"].get_object().data
                    break
        payload = None
        info = reader.trailer_view.get("/Info")
        if info is not None:
            value = info.get_object().get(QR_INFO_KEY)
            payload = str(value) if value is not None else None
    except Exception as exc:  # whatever pyHanko meets in damaged input, the caller gets one clear error
        raise NotANoticeError(f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    return content, payload
