"""The page of a printed document: GB/T 9704 geometry, footer, part marks, metadata, embedded content.

The page is A4 with the margins of Chinese official documents (GB/T 9704-2012): top 37 mm, the
binding side (left) 28 mm, a text block of 156 × 225 mm — so 26 mm right and 35 mm bottom. The
footer (number, "第 x 页 共 y 页") sits inside the bottom margin. A document printed in two parts
(交被检查单位 and 存根) numbers the pages of each part on their own — each part is a paper of its
own — and marks the part in the top margin of each of its pages.

When the pages are done the canvas writes the document information (title, the QR payload under
`QR_INFO_KEY`, the issue time) and embeds the canonical content as `EMBEDDED_FILE_NAME`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable

from exports.fonts import PdfFont
from exports.notice_content import EMBEDDED_FILE_NAME, QR_INFO_KEY

CREATOR = "ParkInspect 园检"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_TOP = 37 * mm
MARGIN_LEFT = 28 * mm  # the binding side
FRAME_WIDTH = 156 * mm
FRAME_HEIGHT = 225 * mm
MARGIN_RIGHT = PAGE_WIDTH - MARGIN_LEFT - FRAME_WIDTH  # 26 mm
MARGIN_BOTTOM = PAGE_HEIGHT - MARGIN_TOP - FRAME_HEIGHT  # 35 mm
FOOTER_Y = MARGIN_BOTTOM - 14 * mm  # the page line, inside the bottom margin
PART_MARK_Y = PAGE_HEIGHT - 20 * mm  # the part's name, inside the top margin
QUIET = colors.Color(0.45, 0.45, 0.45)


class PartMark(Flowable):
    """Starts a part of the document: the pages from here on carry `label` and count from 1."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label
        self.width = self.height = 0

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.start_part(self.label)


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


def pdf_date(iso: str | None) -> str | None:
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
class Finish:
    """What the canvas adds when the pages are done: footer, part marks, metadata, attachment."""

    font: PdfFont
    number: str
    page_label: str  # "第 {page} 页 共 {pages} 页"
    info: dict[str, str]  # title, author, subject
    qr_payload: str
    issued: str | None
    canonical: bytes


class NoticeCanvas(rl_canvas.Canvas):
    """Keeps each page until the end, so the footer can say how many pages its part has."""

    def __init__(self, *args, finish: Finish, **kwargs):
        super().__init__(*args, **kwargs)
        self.finish = finish
        self._pages: list[dict] = []
        self._part: str | None = None  # the label of the part being drawn
        self._part_index = 0

    def start_part(self, label: str) -> None:
        self._part = label
        self._part_index += 1

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        f = self.finish
        parts = [state["_part_index"] for state in self._pages]
        seen: dict[int, int] = {}
        for state, part in zip(self._pages, parts, strict=True):
            seen[part] = seen.get(part, 0) + 1
            self.__dict__.update(state)
            self._draw_margins(seen[part], parts.count(part))
            super().showPage()
        doc = self._doc
        doc.info = _NoticeInfo({QR_INFO_KEY: f.qr_payload}, pdf_date(f.issued))
        doc.setTitle(f.info["title"])
        doc.setAuthor(f.info["author"])
        doc.setSubject(f.info["subject"])
        doc.setKeywords(f.number)
        doc.setCreator(f"{CREATOR}; font: {f.font.label}")
        doc.updateSignature(f.canonical)  # the file /ID follows the content, not the clock
        _attach(doc, EMBEDDED_FILE_NAME, f.canonical, "canonical content (parkinspect.notice)")
        super().save()

    def _draw_margins(self, page: int, pages: int) -> None:
        f = self.finish
        self.saveState()
        self.setFont(f.font.name, 8)
        self.setFillColor(QUIET)
        self.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, f.page_label.format(page=page, pages=pages))
        self.drawString(MARGIN_LEFT, FOOTER_Y, f.number)
        self.setStrokeColor(colors.Color(0.7, 0.7, 0.7))
        self.setLineWidth(0.4)
        self.line(MARGIN_LEFT, FOOTER_Y + 10, PAGE_WIDTH - MARGIN_RIGHT, FOOTER_Y + 10)
        if self._part:
            # the part's name in a box at the top right, above the text block
            self.setFont(f.font.name, 10.5)
            self.setFillColor(colors.black)
            width = self.stringWidth(self._part, f.font.name, 10.5) + 6 * mm
            right = PAGE_WIDTH - MARGIN_RIGHT
            self.setStrokeColor(colors.black)
            self.setLineWidth(0.6)
            self.rect(right - width, PART_MARK_Y - 2.5 * mm, width, 8 * mm, stroke=1, fill=0)
            self.drawCentredString(right - width / 2, PART_MARK_Y, self._part)
        self.restoreState()
