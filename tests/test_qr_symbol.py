"""The notice's QR symbol (exports/qr_symbol.py) is module for module the one `qrcode` makes: same version,
same mask by the penalty rules, same format information — for random text and for real PI2 payloads —
and it still scans from a rendered notice."""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import qrcode
from hypothesis import given
from hypothesis import strategies as st
from qrcode.constants import ERROR_CORRECT_M

from exports.notice_content import canonical_json
from exports.notice_pdf import render_document
from exports.qr_symbol import qr_matrix
from exports.signing import create_device_key, load_device_key, make_qr_payload
from tests.fuzz import fuzz_settings


def qrcode_matrix(payload: str) -> list[list[bool]]:
    """What the notice drew before: qrcode choosing version and mask itself."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


# pieces that steer qrcode into each of its modes: numeric and alphanumeric runs (≥ 20 characters make
# their own segment), Chinese (3 UTF-8 bytes a character), and any text at all
PIECES = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=60),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", min_size=1, max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=60),
    st.text(min_size=1, max_size=80),
)


def _fit(text: str) -> str:
    """At most 600 UTF-8 bytes, cut on a character boundary."""
    return text.encode("utf-8")[:600].decode("utf-8", "ignore")


@fuzz_settings(300)
@given(st.lists(PIECES, min_size=1, max_size=8).map("".join).map(_fit).filter(bool))
def test_the_symbol_is_qrcodes_for_any_text(payload):
    assert qr_matrix(payload) == qrcode_matrix(payload)


def test_every_mask_is_chosen_somewhere():
    """The comparison above means something only if the scoring picks among all eight masks."""
    rng = random.Random(1)
    seen = set()
    for _ in range(300):
        matrix = qr_matrix("".join(rng.choice("abcdefXYZ0123 园检隐患") for _ in range(rng.randint(1, 60))))
        # the mask's three bits, read from the format information beside the top-left finder
        bits = [matrix[8][col] for col in range(5)]
        seen.add(tuple(bits))
    assert len(seen) == 8


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys") / "keys"
    create_device_key(folder, common_name="二维码测试设备", device_id="qr-test")
    return load_device_key(folder)


def pi2_content(rng: random.Random, sequence: int) -> dict:
    """A rectification notice with what varies between real ones: number, addressee, hazards,
    inspectors, deadlines, issue time."""
    deadlines = sorted(f"2026-12-{day:02d}" for day in rng.sample(range(1, 29), rng.randint(1, 4)))
    return {
        "schema": "parkinspect.notice/1", "kind": rng.choice(["rectification", "review"]),
        "number": f"平经信安整〔2026〕A{rng.randint(1, 99):02d}-{sequence:04d}号", "revision": 1,
        "issued_at": (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 90000))).isoformat(),
        "addressee": {"name": rng.choice(["平湖市恒达精密机械有限公司", "嘉兴某某科技股份有限公司第二分公司",
                                          "平湖市经济开发区某某精密机械制造股份有限公司"]),
                      "credit_code": rng.choice(["91330482MA2BCDEF1X", "91330400123456789Q", ""])},
        "inspection": {"date": "2026-11-26",
                       "inspectors": [{"name": name, "id_number": f"浙执{rng.randint(10**9, 10**10)}"}
                                      for name in rng.sample(["张伟", "陈静", "欧阳建国", "李明"], rng.randint(1, 3))]},
        "hazards": [{"no": n + 1, "description": "灭火器压力不足", "deadline": deadlines[n % len(deadlines)]}
                    for n in range(rng.randint(1, 30))],
        "deadline": deadlines[-1],
    }


def test_the_symbol_is_qrcodes_for_real_notice_payloads(key):
    rng = random.Random(18004)
    for sequence in range(1, 41):
        content = pi2_content(rng, sequence)
        payload = make_qr_payload(content["number"], canonical_json(content), key,
                                  signed_at=datetime.fromisoformat(content["issued_at"]))
        assert payload.startswith("PI2|")
        assert qr_matrix(payload) == qrcode_matrix(payload), payload


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)")
def test_a_rendered_notice_scans(key, tmp_path):
    content = pi2_content(random.Random(7), 1)
    payload = make_qr_payload(content["number"], canonical_json(content), key)
    (tmp_path / "n.pdf").write_bytes(render_document(content, qr_payload=payload))
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(tmp_path / "n.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    [page] = tmp_path.glob("page*.png")
    scanned = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", str(page)], capture_output=True, timeout=60)
    assert scanned.stdout.decode("utf-8").strip() == payload
