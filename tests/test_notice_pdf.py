"""The printed documents (exports/notice_pdf.py): layout, pagination, embedded content, fonts."""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from exports import fonts, notice_pdf
from exports.notice_content import EMBEDDED_FILE_NAME, QR_INFO_KEY, SCHEMA, canonical_json
from exports.notice_pdf import NotANoticeError, merge_basis, read_embedded, render_document

QR = "PI1|平经信安整〔2026〕A07-0012号|" + "3f" * 32 + "|" + "MEUCIQ" + "A" * 80
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) not installed")

FINDINGS = [
    ("安全出口被锁闭，疏散通道堆放纸箱等杂物", "一层东侧安全出口", "major", "《中华人民共和国消防法》第二十八条"),
    ("车间内违章搭建钢结构夹层", "二层车间", "general", "《租赁厂房和仓库消防安全管理办法（试行）》"),
    ("灭火器压力不足，部分已过有效期", "仓库", "general", "《中华人民共和国消防法》第十六条"),
    ("电动自行车在楼道内停放充电", "楼梯间", "general", None),
]


def hazard(no: int, **changes) -> dict:
    description, location, severity, basis = FINDINGS[(no - 1) % len(FINDINGS)]
    entry = {
        "no": no, "description": description, "location": location, "severity": severity, "legal_basis": basis,
        "responsible": "王建国", "responsible_phone": "13857312345",
        "measures": "立即清除堆放物品，拆除安全出口锁具，保持疏散通道畅通",
        "funds_yuan": 0 if no % 2 else 3500, "funds_reason": "清理整理物品，不产生费用" if no % 2 else None,
        "deadline": f"2026-12-{10 + no % 10:02d}",
        "contingency_plan": "整改期间加强防火巡查，每日不少于两次，并在现场增配灭火器4具",
        "photos": [], "outcome": None,
    }
    entry.update(changes)
    return entry


def notice(hazards: int = 1, **changes) -> dict:
    entries = [hazard(n) for n in range(1, hazards + 1)]
    content = {
        "schema": SCHEMA, "kind": "rectification", "number": "平经信安整〔2026〕A07-0012号", "revision": 1,
        "supersedes": None, "issued_at": "2026-11-26T10:15:00+08:00",
        "agency": {"name": "平湖市经济和信息化局", "short": "平经信安整",
                   "basis": ["《中华人民共和国消防法》第十六条、第二十八条", "《浙江省消防条例》"],
                   "reinspection_note": "整改期限届满后，我单位将组织复查。"},
        "addressee": {"name": "平湖市恒达精密机械有限公司", "credit_code": "91330482MA2BCDEF1X",
                      "address": "平湖市当湖街道 新华小微企业园 3号楼 201", "person_in_charge": "李明"},
        "park": {"code": "P001", "name": "新华小微企业园"},
        "inspection": {"date": "2026-11-26", "checklist": "消防安全检查表",
                       "inspectors": [{"name": "张伟", "id_number": "浙执3304820123"},
                                      {"name": "陈静", "id_number": "浙执3304820456"}]},
        "hazards": entries, "deadline": max((h["deadline"] for h in entries), default=None),
        "references": None, "results": None,
    }
    content.update(changes)
    return content


def reinspection_opinion() -> dict:
    content = notice(3, kind="reinspection_opinion", number="平经信安整〔2026〕A07-0031号",
                     references="平经信安整〔2026〕A07-0012号", deadline=None)
    outcomes = [{"result": "rectified", "date": "2026-12-12", "evidence": "已清除杂物，拆除锁具", "new_deadline": None},
                {"result": "not_rectified", "date": "2026-12-12", "evidence": "夹层尚未拆除",
                 "new_deadline": "2026-12-31"},
                {"result": "escalated", "date": "2026-12-12", "evidence": "逾期未整改，已上报", "new_deadline": None}]
    for entry, outcome in zip(content["hazards"], outcomes, strict=True):
        entry["outcome"] = outcome
    return content


def inspection_record() -> dict:
    results = [{"code": f"A{n:02d}", "category": "使用性质", "text": f"检查项目第{n}项：防火门常闭完好",
                "outcome": "fail" if n == 3 else "pass", "note": "防火门被木楔固定" if n == 3 else ""}
               for n in range(1, 31)]
    return notice(0, kind="inspection_record", number="平经信安整〔2026〕A07-0011号", results=results)


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def page_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:page_count(pdf)]


# --- rendering ---------------------------------------------------------------------------------


def test_a_one_hazard_notice_is_one_a4_page_per_part():
    pdf = render_document(notice(1), qr_payload=QR)
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 2  # the part for the unit, the archive part
    for page in PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"]:
        box = [float(v) for v in page.get_object()["/MediaBox"]]
        assert box[2:] == pytest.approx([595.28, 841.89], abs=0.1)


@needs_pdftotext
def test_a_one_hazard_notice_says_what_the_domain_requires(tmp_path):
    unit, archive = page_texts(render_document(notice(1), qr_payload=QR), tmp_path)
    flat = re.sub(r"\s+", "", archive)
    for words in ("隐患整改通知书", "平经信安整〔2026〕A07-0012号", "平湖市恒达精密机械有限公司", "91330482MA2BCDEF1X",
                  "经检查，你单位存在下列消防安全隐患：", "整改责任人", "整改措施", "整改资金", "整改时限", "整改预案",
                  "13857312345", "费用）",
                  "根据《中华人民共和国消防法》第十六条、第二十八条、《浙江省消防条例》之规定",
                  "请于2026年12月11日前整改完毕，整改期间应落实防范措施，确保安全。", "整改期限届满后，我单位将组织复查。",
                  "张伟", "浙执3304820123", "陈静", "浙执3304820456", "平湖市经济和信息化局（盖章）",
                  "送达回执", "受送达人（签收）", "存根", "扫码核验", "第1页共1页"):
        assert words in flat, words


@needs_pdftotext
def test_a_25_hazard_notice_repeats_the_table_header_on_every_page_it_spans(tmp_path):
    pdf = render_document(notice(25), qr_payload=QR)
    pages = page_texts(pdf, tmp_path)
    assert len(pages) > 1
    table_pages = [p for p in pages if "王建国" in p]  # pages holding hazard rows
    assert len(table_pages) > 1
    for text in table_pages:
        flat = re.sub(r"\s+", "", text)
        assert "五落实" in flat and "整改措施" in flat and "整改预案" in flat
    half = len(pages) // 2  # each part counts its own pages
    for number, text in enumerate(pages, start=1):
        assert f"第{(number - 1) % half + 1}页共{half}页" in re.sub(r"\s+", "", text)
    assert sum(p.count("王建国") for p in pages) == 2 * 25


@needs_pdftotext
def test_a_reinspection_opinion_references_the_notice_and_gives_each_outcome(tmp_path):
    flat = re.sub(r"\s+", "", "".join(page_texts(render_document(reinspection_opinion(), qr_payload=QR), tmp_path)))
    assert "复查意见书" in flat
    assert "根据平经信安整〔2026〕A07-0012号《隐患整改通知书》" in flat
    for words in ("已整改", "未整改", "已上报", "新整改时限：2026年12月31日", "请于2026年12月31日前整改完毕"):
        assert words in flat, words


@needs_pdftotext
def test_an_inspection_record_lists_every_checklist_result(tmp_path):
    flat = re.sub(r"\s+", "", "".join(page_texts(render_document(inspection_record(), qr_payload=QR), tmp_path)))
    assert "消防安全检查记录" in flat
    assert "共检查30项：符合29项，不符合1项，不适用0项。" in flat
    assert "A30" in flat and "防火门被木楔固定" in flat


@needs_pdftotext
def test_long_text_wraps_inside_its_cell_and_nothing_is_lost(tmp_path):
    content = notice(2)
    content["hazards"][0]["measures"] = "拆除夹层并恢复原状，" * 300  # taller than a page
    content["hazards"][1]["description"] = "https://example.invalid/" + "x" * 300  # no break opportunity
    content["addressee"]["person_in_charge"] = "<b>&amp;不是标记</b>"
    pages = page_texts(render_document(content, qr_payload=QR), tmp_path)
    text = "".join(pages)
    assert text.count("恢") == 2 * 300
    assert text.count("x") == 2 * 301
    assert "<b>&amp;不是标记</b>" in re.sub(r"\s+", "", text)


def test_the_same_content_renders_the_same_bytes():
    assert render_document(notice(3), qr_payload=QR) == render_document(notice(3), qr_payload=QR)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown document kind"):
        render_document(notice(1, kind="invoice"), qr_payload=QR)


def test_a_common_area_notice_without_inspection_or_credit_code_renders():
    content = notice(1, inspection=None)
    content["addressee"]["credit_code"] = None
    assert page_count(render_document(content, qr_payload=QR)) == 2


@pytest.mark.parametrize("make", [lambda: notice(1), lambda: reinspection_opinion(), lambda: inspection_record()])
def test_english_wording_renders(make):
    assert page_count(render_document(make(), qr_payload=QR, lang="en")) >= 1


# --- photos ------------------------------------------------------------------------------------


def test_photos_are_embedded_as_thumbnails_and_unreadable_ones_left_out(tmp_path):
    from PIL import Image

    big = tmp_path / "big.jpg"
    Image.new("RGB", (4000, 3000), (180, 120, 60)).save(big, quality=90)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    content = notice(2)
    tall = tmp_path / "tall.png"
    Image.new("RGB", (600, 900), (60, 160, 90)).save(tall)
    content["hazards"][0]["photos"] = ["a" * 64, "b" * 64, "c" * 64, "d" * 64]
    content["hazards"][1]["photos"] = ["a" * 64]
    photos = {"a" * 64: big, "b" * 64: broken, "c" * 64: tmp_path / "missing.jpg", "d" * 64: tall}
    with_photos = render_document(content, qr_payload=QR, photos=photos)
    without = render_document(content, qr_payload=QR, photos={})
    # the broken and missing ones left out; the one shown twice stored once; both downscaled
    sizes = sorted(re.findall(rb"/Height (\d+) [^>]*/Subtype /Image\s+/Type /XObject /Width (\d+)", with_photos))
    assert sizes == [(b"480", b"640"), (b"640", b"427")]
    assert without.count(b"/Subtype /Image") == 0
    assert len(with_photos) - len(without) < 200_000  # downscaled, not the camera's full-size file


# --- what verify reads back --------------------------------------------------------------------


def test_the_embedded_content_round_trips_byte_exact():
    content = notice(3)
    pdf = render_document(content, qr_payload=QR)
    body, payload = read_embedded(pdf)
    assert body == canonical_json(content)
    assert payload == QR


def test_the_qr_payload_is_in_the_document_info():
    pdf = render_document(notice(1), qr_payload=QR)
    info = PdfFileReader(io.BytesIO(pdf)).trailer_view["/Info"]
    assert str(info[QR_INFO_KEY]) == QR
    assert "平经信安整〔2026〕A07-0012号" in str(info["/Title"])


def test_the_content_is_a_document_level_attachment():
    pdf = render_document(notice(1), qr_payload=QR)
    names = PdfFileReader(io.BytesIO(pdf)).root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert str(names[0]) == EMBEDDED_FILE_NAME
    assert str(names[1]["/EF"]["/F"]["/Subtype"]) == "/application/json"


def test_a_pdf_that_is_no_notice_reads_as_nothing():
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 100, "hello")
    page.save()
    assert read_embedded(buffer.getvalue()) == (None, None)


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x00" * 2000, b"%PDF-1.4\n%%EOF", "a str", None])
def test_garbage_is_not_a_notice(data):
    with pytest.raises(NotANoticeError):
        read_embedded(data)


def test_truncated_pdfs_are_not_notices():
    pdf = render_document(notice(1), qr_payload=QR)
    for cut in range(0, len(pdf) - 1, len(pdf) // 40):
        with pytest.raises(NotANoticeError):
            read_embedded(pdf[:cut])


def test_pyhanko_can_sign_the_pdf_and_the_content_survives(tmp_path):
    import datetime

    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test device")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=None)
    content = notice(1)
    unsigned = render_document(content, qr_payload=QR)
    signed = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(unsigned)),
                              signers.PdfSignatureMetadata(field_name="Signature"), signer=signer).getvalue()
    assert signed.startswith(unsigned)
    assert read_embedded(signed) == (canonical_json(content), QR)


# --- the QR code on paper -----------------------------------------------------------------------


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="pdftoppm (poppler-utils) or zbarimg (zbar-tools) not installed")
def test_the_qr_code_decodes_from_the_rendered_page(tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_document(notice(1), qr_payload=QR))
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(path), str(tmp_path / "page")], check=True)
    png = sorted(tmp_path.glob("page*.png"))[0]
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, check=True).stdout
    assert decoded.decode("utf-8").strip() == QR


def test_the_qr_symbol_is_at_least_3_cm_wide():
    from reportlab.lib.units import cm

    symbol = notice_pdf.QRFlowable(QR, "扫码核验", notice_pdf.pdf_font().name)
    assert symbol.symbol >= 3 * cm


# --- fonts -------------------------------------------------------------------------------------


DROID = [Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
         Path("/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf")]


@pytest.fixture
def fresh_fonts():
    fonts.reset_font_cache()
    yield
    fonts.reset_font_cache()


def pdffonts(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(name, embedded yes/no) of every font in the document, as poppler's `pdffonts` lists them."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [(line.split()[0], line.split()[-5]) for line in out.splitlines()[2:] if line.strip()]


@needs_pdftotext
def test_every_character_prints_with_the_bundled_font_whatever_the_machine_has(tmp_path, monkeypatch,
                                                                                fresh_fonts):
    """Droid Sans Fallback (no Latin letters, no digits) once made numbers, dates, credit codes, phones
    and funds print blank. No system font is looked at now: with the home folder and the font folders
    pointing at nothing else, the bundled WenQuanYi Micro Hei draws every character of the content."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("PARKINSPECT_PDF_FONT", raising=False)
    content = notice(2)
    pdf = render_document(content, qr_payload=QR)
    assert fonts.pdf_font().path == fonts.BUNDLED_FONT and fonts.pdf_font().face == 0
    squeezed = re.sub(r"\s+", "", page_texts(pdf, tmp_path)[0])
    first = content["hazards"][0]
    for expected in (content["number"], "2026年11月26日", "12月11日", "12月12日",
                     content["addressee"]["credit_code"], first["responsible_phone"], "3,500",
                     "浙执3304820123", "浙执3304820456", "3号楼201", "第1页共1页", "A07-0012"):
        assert re.sub(r"\s+", "", expected) in squeezed, expected
    listed = pdffonts(pdf, tmp_path)
    assert listed and all(embedded == "yes" and name.split("+")[1].startswith("WenQuanYiMicroHei")
                          for name, embedded in listed), listed  # subsets only, no Helvetica
    assert b"/Helvetica" not in pdf
    creator = str(PdfFileReader(io.BytesIO(pdf)).trailer_view["/Info"]["/Creator"])
    assert "WenQuanYi Micro Hei (embedded subset, wqy-microhei.ttc, face 0)" in creator


def test_a_character_the_font_lacks_refuses_the_document_naming_it(fresh_fonts):
    """A rare name character (CJK extension B) is not in the font: a refusal, never a blank box."""
    content = notice(1)
    content["addressee"]["person_in_charge"] = "李𠀀"
    with pytest.raises(fonts.MissingGlyphError) as refused:
        render_document(content, qr_payload=QR)
    assert refused.value.char == "𠀀"
    assert "𠀀" in refused.value.message("zh_CN") and "U+20000" in refused.value.message("zh_CN")
    assert "has no glyph for the character “𠀀” (U+20000" in refused.value.message("en")


def test_a_config_font_without_digits_or_latin_is_refused_for_the_bundled_one(tmp_path, caplog, fresh_fonts):
    """A font with Chinese but no digits (Droid Sans Fallback), or Latin but no Chinese (DejaVu), or no
    font at all: the office's [pdf] font is logged and the bundled font is used."""
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    candidates = [bogus, tmp_path / "missing.ttf", *[p for p in DROID if p.is_file()],
                  *[p for p in [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")] if p.is_file()]]
    for path in candidates:
        with caplog.at_level("WARNING", logger="exports.fonts"):
            chosen = fonts.pdf_font(path)
        assert chosen.path == fonts.BUNDLED_FONT, path
        assert any(str(path) in r.message and "not usable" in r.message for r in caplog.records), path
        caplog.clear()


def test_a_usable_config_font_is_used_and_its_face_chosen_by_name(fresh_fonts):
    bundled = fonts.BUNDLED_FONT
    mono = fonts.pdf_font(bundled, "WenQuanYi Micro Hei Mono")
    assert mono.face == 1 and "Mono" in mono.label and mono.name != fonts.pdf_font().name
    assert fonts.pdf_font(bundled, 1).face == 1
    pdf = render_document(notice(1), qr_payload=QR, font=mono)
    assert "WenQuanYi Micro Hei Mono" in str(PdfFileReader(io.BytesIO(pdf)).trailer_view["/Info"]["/Creator"])


def test_a_collection_s_first_face_is_not_taken_blindly(tmp_path, fresh_fonts):
    """The same collection with its faces listed the other way round (Mono first): the proportional
    face is still the one chosen, by its place in the file (1), not always face 0."""
    data = bytearray(fonts.BUNDLED_FONT.read_bytes())
    assert data[:4] == b"ttcf" and int.from_bytes(data[8:12], "big") == 2
    data[12:16], data[16:20] = data[16:20], data[12:16]  # the two faces' offset tables, swapped
    swapped = tmp_path / "swapped.ttc"
    swapped.write_bytes(bytes(data))
    chosen = fonts.pdf_font(swapped)
    assert chosen.face == 1 and "Micro Hei (" in chosen.label


def test_the_pdf_section_of_the_config_is_checked(tmp_path, monkeypatch, caplog):
    from inspect_app.config import pdf_font_setting

    monkeypatch.delenv("PARKINSPECT_PDF_FONT", raising=False)
    assert pdf_font_setting({}) == (None, None)
    assert pdf_font_setting({"font": "~/f.ttc", "face": 2}) == (Path("~/f.ttc").expanduser(), 2)
    with caplog.at_level("WARNING", logger="inspect_app.config"):
        assert pdf_font_setting({"font": 12, "face": True}) == (None, None)
        assert pdf_font_setting({"font": "/x.ttf", "face": -1}) == (Path("/x.ttf"), None)
    assert len(caplog.records) == 3
    monkeypatch.setenv("PARKINSPECT_PDF_FONT", str(tmp_path / "env.ttf"))
    assert pdf_font_setting({"font": "/x.ttf"}) == (tmp_path / "env.ttf", None)


# --- legal basis -------------------------------------------------------------------------------


def test_legal_basis_lines_merge_each_law_once_with_its_articles_in_order():
    merged = merge_basis(["《中华人民共和国消防法》第十六条、第二十八条", "《浙江省消防条例》",
                          "《中华人民共和国消防法》第十九条", "《中华人民共和国消防法》第十六条", None,
                          "《建筑设计防火规范》（GB 50016）"])
    assert merged == ("《中华人民共和国消防法》第十六条、第十九条、第二十八条、《浙江省消防条例》、"
                      "《建筑设计防火规范》（GB 50016）")


def test_rendering_does_not_change_the_content():
    content = notice(3)
    before = copy.deepcopy(content)
    render_document(content, qr_payload=QR)
    assert content == before


def test_a_file_embedded_by_pyhanko_is_read_too():
    """pyHanko writes the /EmbeddedFiles names array as an indirect object."""
    import io

    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 700, "notice")
    page.save()
    writer = IncrementalPdfFileWriter(io.BytesIO(buffer.getvalue()))
    data = embed.EmbeddedFileObject.from_file_data(writer, b'{"a":1}')
    embed.embed_file(writer, embed.FileSpec(file_spec_string="notice.json", embedded_data=data))
    out = io.BytesIO()
    writer.write(out)
    content, _ = read_embedded(out.getvalue())
    assert content == b'{"a":1}'
