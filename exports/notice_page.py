"""The notices' page: part marks and the document information with the QR payload, on the page
every printed document shares (exports/document_page.py: GB/T 9704 geometry, footer, embedded content).

A document printed in two parts (交被检查单位 and 存根) numbers the pages of each part on their own
— each part is a paper of its own — and marks the part in the top margin of each of its pages.

When the pages are done the canvas writes the document information (title, the QR payload under
`QR_INFO_KEY`, the issue time) and embeds the canonical content as `EMBEDDED_FILE_NAME`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.platypus import Flowable

from exports.document_page import (
    MARGIN_RIGHT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Describe,
    DocumentCanvas,
    Margins,
)
from exports.fonts import PdfFont
from exports.notice_content import EMBEDDED_FILE_NAME, QR_INFO_KEY

PART_MARK_Y = PAGE_HEIGHT - 20 * mm  # the part's name, inside the top margin


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


class NoticeCanvas(DocumentCanvas):
    """Numbers each part's pages on their own and marks the part; the information carries the QR payload."""

    def __init__(self, *args, finish: Finish, **kwargs):
        describe = Describe(title=finish.info["title"], author=finish.info["author"], subject=finish.info["subject"],
                            keywords=finish.number, file_name=EMBEDDED_FILE_NAME, canonical=finish.canonical,
                            description="canonical content (parkinspect.notice)")
        super().__init__(*args, font=finish.font, margins=Margins(finish.page_label, footer_left=finish.number),
                         describe=describe, **kwargs)
        self.finish = finish
        self._part: str | None = None  # the label of the part being drawn
        self._part_index = 0

    def start_part(self, label: str) -> None:
        self._part = label
        self._part_index += 1

    def page_numbers(self) -> list[tuple[int, int]]:
        parts = [state["_part_index"] for state in self._pages]
        seen: dict[int, int] = {}
        numbers = []
        for part in parts:
            seen[part] = seen.get(part, 0) + 1
            numbers.append((seen[part], parts.count(part)))
        return numbers

    def write_information(self, doc: pdfdoc.PDFDocument) -> None:
        doc.info = _NoticeInfo({QR_INFO_KEY: self.finish.qr_payload}, pdf_date(self.finish.issued))
        super().write_information(doc)

    def draw_margins(self, page: int, pages: int) -> None:
        super().draw_margins(page, pages)
        if self._part:
            # the part's name in a box at the top right, above the text block
            self.saveState()
            self.setFont(self.font.name, 10.5)
            self.setFillColor(colors.black)
            width = self.stringWidth(self._part, self.font.name, 10.5) + 6 * mm
            right = PAGE_WIDTH - MARGIN_RIGHT
            self.setStrokeColor(colors.black)
            self.setLineWidth(0.6)
            self.rect(right - width, PART_MARK_Y - 2.5 * mm, width, 8 * mm, stroke=1, fill=0)
            self.drawCentredString(right - width / 2, PART_MARK_Y, self._part)
            self.restoreState()
