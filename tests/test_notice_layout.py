"""The documents' pages as a clerk expects them: GB/T 9704 margins, two parts with the service receipt on
the archive part, the record addressed to nobody, the rights and consequence paragraphs, deadlines stated
once, signatures kept with their text, and numbers, codes and dates never broken across lines."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.units import mm

from exports.notice_layout import Styles
from exports.notice_pdf import pdf_font, render_document
from exports.notice_text import Text
from tests.test_notice_pdf import (
    QR,
    inspection_record,
    needs_pdftotext,
    notice,
    page_texts,
    reinspection_opinion,
)

RIGHTS = ("被检查单位对本文书不服的，可以自收到之日起六十日内依法向平湖市人民政府申请行政复议，"
          "或者在六个月内依法向平湖市人民法院提起行政诉讼。")
CONSEQUENCE = "逾期不整改或者整改不符合要求的，将依照《中华人民共和国消防法》第六十条等规定移送消防救援机构依法处理。"


def with_agency(content: dict, rights: str | None = RIGHTS) -> dict:
    content["agency"].update(rights_notice=rights, consequence=CONSEQUENCE,
                             contact={"address": "平湖市当湖街道胜利路1号", "phone": "0573-85011234", "person": "周强"})
    return content


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def texts(content: dict, tmp_path: Path, **options) -> list[str]:
    return [flat(p) for p in page_texts(render_document(content, qr_payload=QR, **options), tmp_path)]


# --- parts and receipt ---------------------------------------------------------------------------


@needs_pdftotext
@pytest.mark.parametrize("make", [lambda: notice(1), reinspection_opinion])
def test_two_parts_each_marked_and_the_receipt_only_on_the_archive_part(make, tmp_path):
    pages = texts(with_agency(make()), tmp_path)
    archive = [p for p in pages if "存根" in p]  # the mark (the unit's part mentions 交被检查单位 anyway)
    unit = [p for p in pages if "存根" not in p]
    assert unit and archive and all(p.startswith("交被检查单位") for p in unit)
    assert pages.index(archive[0]) == len(unit)  # the unit's part first, then the archive part
    unit_text, archive_text = "".join(unit), "".join(archive)
    for words in ("受送达人（签收）", "送达方式", "直接送达", "留置送达", "送达人（签名）", "见证人（拒收时签名）"):
        assert words in archive_text and words not in unit_text, words
    for part in (unit_text, archive_text):  # otherwise the same document
        assert "平湖市恒达精密机械有限公司：" in part and "（盖章）" in part and "第1页共" in part


@needs_pdftotext
def test_a_one_hazard_notice_with_the_templates_whole_legal_basis_keeps_each_part_on_one_page(tmp_path):
    from forms.checklist import builtin_templates

    fire = builtin_templates()["fire_safety"]
    content = with_agency(notice(1))
    content["inspection"]["basis"] = list(fire.legal_basis)
    assert len(fire.legal_basis) >= 4  # the titles that once wrapped to five lines in a narrow column
    pages = texts(content, tmp_path)
    assert len(pages) == 2 and "存根" in pages[1] and "送达回执" in pages[1]


@needs_pdftotext
def test_the_record_is_one_part_addressed_to_nobody_signed_by_both_inspectors_and_the_accompanying_person(
        tmp_path):
    content = inspection_record()
    content["inspection"].update(started_at="2026-11-26T09:30:00+08:00", finished_at="2026-11-26T11:05:00+08:00",
                                 accompanied_by="李明", basis=["《中华人民共和国消防法》第十六条", "《浙江省消防条例》"])
    whole = "".join(texts(with_agency(content), tmp_path))
    assert "你单位" not in whole
    assert "平湖市恒达精密机械有限公司：" not in whole  # no salutation
    assert "交被检查单位" not in whole and "存根" not in whole and "送达回执" not in whole
    assert "检查时间2026年11月26日09:30至11:05" in whole
    assert "检查人员对平湖市恒达精密机械有限公司进行了消防安全检查" in whole
    assert "《中华人民共和国消防法》第十六条、《浙江省消防条例》" in whole  # 检查依据: the legal basis
    assert "张伟证号：浙执3304820123签名：" in whole and "陈静证号：浙执3304820456签名：" in whole
    assert "被检查单位陪同人员（签名）：李明签名：" in whole
    assert "行政复议" not in whole  # a record decides nothing


@needs_pdftotext
def test_old_content_without_the_new_keys_still_renders_each_kind(tmp_path):
    for make in (lambda: notice(1), reinspection_opinion, inspection_record):
        pages = texts(make(), tmp_path)
        assert pages and "行政复议" not in "".join(pages)


# --- rights, consequence, contact --------------------------------------------------------------------


@needs_pdftotext
def test_the_rights_notice_is_printed_when_the_agency_is_an_administrative_organ_and_not_otherwise(tmp_path):
    with_rights = "".join(texts(with_agency(notice(1)), tmp_path))
    assert flat(RIGHTS) in with_rights
    assert flat(CONSEQUENCE) in with_rights
    assert "联系地址：平湖市当湖街道胜利路1号" in with_rights and "联系电话：0573-85011234" in with_rights
    without = "".join(texts(with_agency(notice(1), rights=None), tmp_path))
    assert "行政复议" not in without and "行政诉讼" not in without
    assert flat(CONSEQUENCE) in without


# --- the opinion ---------------------------------------------------------------------------------


@needs_pdftotext
def test_the_opinion_shows_the_reinspection_date_and_reinspectors(tmp_path):
    content = reinspection_opinion()
    content["reinspection"] = {"date": "2026-12-12", "inspectors": [{"name": "李娜", "id_number": "浙执3304820789"},
                                                                   {"name": "王强", "id_number": "浙执3304820999"}]}
    whole = "".join(texts(content, tmp_path))
    assert "复查日期2026年12月12日" in whole
    assert "复查人员（签名）：" in whole and "李娜证号：浙执3304820789" in whole and "王强" in whole
    assert "张伟" not in whole  # the original inspectors do not sign the opinion


@needs_pdftotext
@pytest.mark.parametrize("hazards", range(3, 12))
def test_the_opinion_s_signatures_never_stand_alone_on_a_page(hazards, tmp_path):
    content = with_agency(reinspection_opinion())
    outcome = content["hazards"][1]
    content["hazards"] = [dict(outcome, no=n, outcome=dict(outcome["outcome"])) for n in range(1, hazards + 1)]
    for page in texts(content, tmp_path):
        if "（签名）：" in page and "送达回执" not in page.split("（签名）：")[0][-20:]:
            if "复查人员（签名）" in page or "检查人员（签名）" in page:
                assert "对未整改完毕的隐患" in page, page[:80]


# --- deadlines -------------------------------------------------------------------------------------


@needs_pdftotext
def test_the_deadline_is_stated_once(tmp_path):
    same = notice(2)
    for h in same["hazards"]:
        h["deadline"] = "2026-12-15"
    text = "".join(texts(same, tmp_path))
    assert "请于2026年12月15日前整改完毕" in text and "上表" not in text
    differing = "".join(texts(notice(2), tmp_path))  # 12-11 and 12-12
    assert "请按上表所列整改时限整改完毕" in differing
    assert "请于" not in differing and "各项隐患的整改时限见上表" not in differing


# --- tokens never broken ---------------------------------------------------------------------------


TOKENS = ["3号楼 3F-301", "23,800.50", "13857312345", "91330482MA2BCDEF1X", "2026年12月11日", "0573-85011234",
          "2026-12-11"]


@pytest.mark.parametrize("width_mm", [9, 12, 15, 20, 26, 33])
def test_line_breaks_never_fall_inside_a_number_code_or_date(width_mm):
    style = Styles(pdf_font().name).cell
    for token in TOKENS:
        for prefix in ("", "整改", "安全出口被锁闭，位于"):
            paragraph = Text(prefix + token + "，尽快整改", style)
            paragraph.wrap(width_mm * mm, 1000)
            lines = ["".join(f.text for f in line.words) for line in paragraph.blPara.lines]
            assert "".join(lines) == prefix + token + "，尽快整改"
            for part in token.split(" "):
                if Text(part, style).minWidth() <= width_mm * mm:  # fits a line: never split
                    assert any(part in line for line in lines), (width_mm, token, lines)


def test_a_token_wider_than_its_line_still_wraps_and_loses_nothing():
    paragraph = Text("https://example.invalid/" + "x" * 200, Styles(pdf_font().name).cell)
    paragraph.wrap(20 * mm, 10_000)
    lines = ["".join(f.text for f in line.words) for line in paragraph.blPara.lines]
    assert len(lines) > 5 and "".join(lines) == "https://example.invalid/" + "x" * 200


def test_punctuation_never_starts_a_line():
    paragraph = Text("电气线路私拉乱接，未穿管保护；插座超负荷使用。" * 4, Styles(pdf_font().name).cell)
    paragraph.wrap(22 * mm, 1000)
    lines = ["".join(f.text for f in line.words) for line in paragraph.blPara.lines]
    assert len(lines) > 3 and not any(line[0] in "，；。：" for line in lines[1:])


@needs_pdftotext
def test_cells_on_the_page_keep_room_numbers_amounts_and_phones_whole(tmp_path):
    content = notice(2)
    content["hazards"][0].update(location="3号楼 3F-301", funds_yuan=23800.5)
    content["hazards"][1].update(location="3号楼 3F-301", funds_yuan=1234567.25)
    path = tmp_path / "n.pdf"
    path.write_bytes(render_document(content, qr_payload=QR))
    layout = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                            check=True).stdout
    for token in ("3F-301", "23,800.50", "1,234,567.25", "13857312345", "91330482MA2BCDEF1X"):
        assert token in layout, token


# --- the page --------------------------------------------------------------------------------------


def _ink_box(png: Path, dpi: int) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in mm of everything darker than paper on the page."""
    from PIL import Image, ImageOps

    with Image.open(png) as image:
        box = ImageOps.invert(image.convert("L")).point(lambda v: 255 if v > 40 else 0).getbbox()
    return tuple(v * 25.4 / dpi for v in box)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_gb_t_9704_margins_text_block_inside_and_the_footer_in_the_bottom_margin(tmp_path):
    content = inspection_record()  # one part: nothing printed in the top margin
    path = tmp_path / "r.pdf"
    path.write_bytes(render_document(content, qr_payload=QR))
    subprocess.run(["pdftoppm", "-png", "-gray", "-r", "100", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                   check=True)
    left, top, right, bottom = _ink_box(next(tmp_path.glob("p*.png")), 100)
    assert left == pytest.approx(28, abs=0.6)  # the binding side
    assert top == pytest.approx(37, abs=1.0)  # the QR code's top row is the text block's top
    assert right <= 210 - 26 + 0.6 and right >= 210 - 26 - 1.5  # the tables fill the 156 mm block
    assert 297 - 35 < bottom < 297 - 15  # the page line sits in the bottom margin


@needs_pdftotext
def test_english_cells_keep_iso_dates_and_severity_words_whole(tmp_path):
    path = tmp_path / "en.pdf"
    path.write_bytes(render_document(notice(2), qr_payload=QR, lang="en"))
    layout = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                            check=True).stdout
    for token in ("2026-12-11", "2026-12-12", "general", "major", "13857312345"):
        assert token in layout, token


def test_a_one_hazard_notice_with_every_paragraph_and_a_full_qr_code_is_one_page_per_part():
    """The receipt fits under the signatures of a one-hazard notice: rights, consequence and contact
    printed, and a QR code as long as a real one (PI2 with its facts, ~300 characters)."""
    from tests.test_notice_pdf import page_count

    payload = "PI2|平经信安整〔2026〕A07-0012号|R|tp37l0|平湖市恒达精密机械有限公司|91330482MA2BCDEF1X|1|" \
              "20261210|张伟,陈静|" + "A" * 43 + "|" + "f" * 64 + "|" + "B" * 96
    assert len(payload.encode()) > 290
    assert page_count(render_document(with_agency(notice(1)), qr_payload=payload)) == 2
