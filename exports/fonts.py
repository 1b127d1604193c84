"""The font every PDF document is drawn in, and the check that it holds every character drawn.

The font travels with the app: WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0, exports/fonts/ with its
copyright file), a TrueType collection with Chinese, Latin letters and digits. reportlab embeds a
subset of it (only the glyphs a document uses), so a notice looks the same on Windows, macOS and a
bare Linux, whatever fonts the machine happens to have. No system font is ever picked up by itself:
a font that merely "has Chinese" may lack digits (Droid Sans Fallback does, and then numbers, dates
and amounts print blank).

An office may name another TrueType file (`[pdf] font = PATH` in config.toml, optionally
`face = N` or `face = "family name"` for a .ttc; environment PARKINSPECT_PDF_FONT). That file must be
TrueType (reportlab cannot embed CFF/OpenType-PS outlines) and hold `PROBE`: Chinese, Latin letters
and digits. A file that does not is logged as a warning and the bundled font is used, so a typo in
the office's config never stops or blanks a notice.

Every string drawn goes through `CheckedTTFont.splitString`: a character the font has no glyph for
raises a UserError naming it (reportlab would draw the empty .notdef box, a blank on paper). The
document is refused before it is signed or stored.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile

from db.errors import UserError

log = logging.getLogger(__name__)

BUNDLED_FONT = Path(__file__).with_name("fonts") / "wqy-microhei.ttc"
BUNDLED_NAME = "ParkInspectCJK"
# What a font must hold to be used at all: the documents' fixed Chinese words, Latin letters and digits
# (numbers, dates, credit codes, phones, amounts) and the punctuation around them.
PROBE = ("隐患整改通知书复查意见检查记录〔〕号第页共扫码核验签收（）：，。、《》"
         "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,:;-/()%¥")
_REGULAR_STYLES = {"regular", "normal", "book", "roman", "medium", "w3", "w4", "w5"}


class MissingGlyphError(UserError):
    """A character of the document that the font cannot draw."""

    def __init__(self, char: str, font_label: str):
        super().__init__("errors.pdf_font_missing_glyph", char=char, code=f"U+{ord(char):04X}",
                         name=unicodedata.name(char, "?"), font=font_label)
        self.char = char


@dataclass(frozen=True)
class PdfFont:
    name: str  # the name registered with reportlab
    label: str  # what the Creator entry and the log say
    path: Path
    face: int  # the face of a .ttc (0 for a plain .ttf)
    embedded: bool = True  # always: kept for callers that report it


class CheckedTTFont(TTFont):
    """A TrueType font that refuses to draw a character it has no glyph for (never a blank)."""

    label = ""
    face_index = 0

    def splitString(self, text, doc, encoding="utf-8"):
        if not isinstance(text, str):
            text = text.decode("utf-8")
        cmap = self.face.charToGlyph
        for char in text:
            code = ord(char)
            # nbsp is drawn as a space by reportlab; control characters are never drawn
            if code not in cmap and code != 0xA0 and unicodedata.category(char) != "Cc":
                raise MissingGlyphError(char, self.label)
        return super().splitString(text, doc, encoding)


_lock = threading.Lock()
_fonts: dict[tuple[Path | None, int | str | None], PdfFont] = {}


def _text(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _faces(path: Path) -> int:
    """How many faces the file holds (1 for a .ttf); raises for a file that is not TrueType."""
    return getattr(TTFontFile(str(path), charInfo=0), "numSubfonts", 0) or 1


def _load(path: Path, face: int, name: str) -> CheckedTTFont:
    font = CheckedTTFont(name, str(path), subfontIndex=face)
    font.face_index = face
    font.label = f"{_text(font.face.familyName)} (embedded subset, {path.name}, face {face})"
    return font


def _covers(font: TTFont) -> bool:
    return all(ord(c) in font.face.charToGlyph for c in PROBE)


def _pick_face(path: Path, face: int | str | None, name: str) -> CheckedTTFont:
    """The face to use: the one asked for, else the best face covering PROBE — a regular weight
    before bold or light, proportional before monospaced (Mono faces set Latin text wide), then the
    first. Raises ValueError when no face fits."""
    count = _faces(path)
    if isinstance(face, int):
        if not 0 <= face < count:
            raise ValueError(f"face {face} not in 0..{count - 1}")
        indices = [face]
    else:
        indices = list(range(count))
    best: tuple[tuple, CheckedTTFont] | None = None
    for index in indices:
        font = _load(path, index, name)
        family = _text(font.face.familyName)
        if isinstance(face, str) and face.casefold() not in (family.casefold(), _text(font.face.name).casefold()):
            continue
        if not _covers(font):
            continue
        style = _text(font.face.styleName).casefold()
        monospaced = bool(font.face.flags & 1) or "mono" in family.casefold()  # FF_FIXED, or named so
        rank = (style not in _REGULAR_STYLES, monospaced, index)
        if best is None or rank < best[0]:
            best = (rank, font)
    if best is None:
        raise ValueError("no face holds Chinese, Latin letters and digits" if face is None
                         else f"no face {face!r} holding Chinese, Latin letters and digits")
    return best[1]


def _register(path: Path | None, face: int | str | None) -> PdfFont:
    if path is not None:
        try:
            font = _pick_face(path, face, f"{BUNDLED_NAME}-{len(_fonts) + 1}")
        except Exception as exc:  # not a file, CFF outlines, damaged, no Latin or no Chinese
            log.warning("PDF font %s (config [pdf] font) is not usable: %s; using the bundled %s",
                        path, exc, BUNDLED_FONT.name)
            return pdf_font_locked(None, None)
    else:
        font = _pick_face(BUNDLED_FONT, None, BUNDLED_NAME)
    pdfmetrics.registerFont(font)
    log.info("PDF documents use the font %s", font.label)
    return PdfFont(font.fontName, font.label, path or BUNDLED_FONT, font.face_index)


def pdf_font_locked(path: Path | None, face: int | str | None) -> PdfFont:
    key = (path, face)
    if key not in _fonts:
        _fonts[key] = _register(path, face)
    return _fonts[key]


def pdf_font(path: Path | None = None, face: int | str | None = None) -> PdfFont:
    """The font documents use (the bundled one, or `path` as the office configured it), loaded and
    registered with reportlab once per process: parsing the 5 MB collection takes ~0.2 s."""
    with _lock:
        return pdf_font_locked(Path(path).expanduser() if path else None, face)


def reset_font_cache() -> None:
    """Forget the loaded fonts (tests)."""
    with _lock:
        _fonts.clear()
