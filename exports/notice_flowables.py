"""Drawn pieces of the printed documents: the QR code as vector modules, the seal area."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from exports.qr_symbol import qr_matrix

QR_MIN_WIDTH = 32 * mm  # the symbol itself, without its quiet zone: ≥ 3 cm scans from paper
QR_MIN_MODULE = 0.5 * mm
SEAL_HEIGHT = 26 * mm
SEAL_GUIDE_RADIUS = 15 * mm  # a guide where to stamp; the seal (42 mm) may reach over the lines around
INK = colors.black


class QRFlowable(Flowable):
    """The QR symbol (error correction M) drawn as filled squares, with its quiet zone and caption."""

    def __init__(self, payload: str, caption: str, font: str):
        super().__init__()

        self.matrix = qr_matrix(payload)
        count = len(self.matrix)
        self.symbol = max(QR_MIN_WIDTH, count * QR_MIN_MODULE)
        self.module = self.symbol / count
        self.quiet = 4 * self.module
        self.caption, self.font = caption, font
        self.width = self.symbol + 2 * self.quiet
        # the quiet zone above and below is the blank page: the frame's top edge, the caption
        self.height = self.symbol + 2 * self.module + 11
        self._path = self._modules()

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def _modules(self) -> str:
        """The dark modules as one PDF path (a rectangle per run of dark modules in a row, then fill),
        written once: a document drawing the symbol on each of its parts reuses it."""
        top = self.height - self.module
        ops = []
        for r, row in enumerate(self.matrix):
            y = top - (r + 1) * self.module
            x0 = None
            for col, dark in enumerate([*row, False]):
                if dark and x0 is None:
                    x0 = col
                elif not dark and x0 is not None:
                    ops.append(f"{self.quiet + x0 * self.module:.3f} {y:.3f} {(col - x0) * self.module:.3f} "
                               f"{self.module:.3f} re")
                    x0 = None
        return "\n".join([*ops, "f"])

    def draw(self):
        c = self.canv
        c.saveState()
        c.setFillColor(colors.white)
        c.rect(0, 11, self.width, self.height - 11, stroke=0, fill=1)
        c.setFillColor(INK)
        c.addLiteral(self._path)
        c.setFont(self.font, 8)
        c.drawCentredString(self.width / 2, 2, self.caption)
        c.restoreState()


class SealArea(Flowable):
    """Space for the agency's round seal, marked by a faint dashed circle, with lines in its middle
    (agency name, date)."""

    def __init__(self, lines: list, width: float):
        super().__init__()
        self.lines, self.width = lines, width
        self.height = SEAL_HEIGHT

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.saveState()
        c.setStrokeColor(colors.Color(0.75, 0.75, 0.75))
        c.setDash(2, 2)
        c.setLineWidth(0.5)
        c.circle(self.width / 2, self.height / 2, SEAL_GUIDE_RADIUS, stroke=1, fill=0)
        c.restoreState()
        y = self.height / 2 + 4 * mm
        for line in self.lines:
            _, h = line.wrap(self.width, self.height)
            line.drawOn(c, 0, y - h / 2)
            y -= h + 2 * mm
