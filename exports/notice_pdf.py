"""The printed notice: a PDF of one document's canonical content (reportlab), unsigned.

`render_document(content, qr_payload=..., photos=...)` draws what `exports/notice_content.py`
describes — a 隐患整改通知书, a 复查意见书 or a 消防安全检查记录 — on A4 portrait with the
margins of Chinese official documents (GB/T 9704: 37 mm top, 28 mm binding side). The pieces:

- exports/document_page.py — page geometry, the footer, the embedded content (every document's);
  exports/notice_page.py — the footer counted per part, part marks, the QR payload in the
  document information;
- exports/notice_layout.py — what every kind has: title block with the QR code, addressee and
  inspection facts, rights/consequence/contact paragraphs, signatures with the seal area, the
  service receipt (送达回执) on the archive part, photos;
- exports/notice_kinds.py — each kind's body, and whether it is printed in two parts
  (交被检查单位 and 存根: the rectification notice and the re-inspection opinion) or one (the record);
- exports/notice_text.py — line breaking that never splits a number, code or date; value formats;
- exports/fonts.py — the font (bundled, embedded as a subset; a character it cannot draw refuses
  the document, naming it); the wording is in forms/locales/<lang>/notice.toml.

The result is a plain single-revision PDF; the caller signs it (PAdES) afterwards. Inside it, for
`verify`: the canonical content bytes as the embedded file `EMBEDDED_FILE_NAME` (catalog /Names
/EmbeddedFiles), and the QR payload text in the document information dictionary under
`QR_INFO_KEY`. `read_embedded(pdf_bytes)` gets both back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from exports.document_page import CREATOR, render
from exports.fonts import PdfFont, pdf_font
from exports.notice_content import EMBEDDED_FILE_NAME, KINDS, QR_INFO_KEY, canonical_json
from exports.notice_flowables import QRFlowable
from exports.notice_kinds import BUILDERS
from exports.notice_page import Finish, NoticeCanvas
from exports.notice_text import merge_basis
from forms.i18n import t

__all__ = ["CREATOR", "NotANoticeError", "QRFlowable", "merge_basis", "pdf_font", "read_embedded",
           "render_document"]


class NotANoticeError(ValueError):
    """The bytes are not a readable PDF (garbage, truncated, damaged beyond reading)."""


def render_document(content: dict, *, qr_payload: str, photos: dict[str, Path] | None = None,
                    lang: str = "zh_CN", font: PdfFont | None = None) -> bytes:
    """The unsigned PDF of one document (see the module docstring); `photos` maps sha256 -> file;
    `font` the office's configured font (default: the bundled one). Raises MissingGlyphError (a
    UserError) when the font cannot draw a character of the document."""
    kind = content.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    builder = BUILDERS[kind](content, qr_payload, photos, lang, font)
    title = builder.w(f"title.{kind}")
    finish = Finish(
        font=builder.font, number=content.get("number") or "", page_label=builder.w("footer.page"),
        info={"title": f"{title} {content.get('number') or ''}".strip(),
              "author": (content.get("agency") or {}).get("name") or "",
              "subject": f"{title}{t('document.colon', lang=builder.lang)}"
                         f"{(content.get('addressee') or {}).get('name') or ''}"},
        qr_payload=qr_payload, issued=content.get("issued_at"), canonical=canonical_json(content))
    return render(builder.story(), font=builder.font, lang=builder.lang,
                  canvasmaker=lambda *a, **kw: NoticeCanvas(*a, finish=finish, **kw))


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
