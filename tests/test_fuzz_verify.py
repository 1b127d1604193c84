"""Fuzz: `parkinspect verify` on damaged notices and random QR text (issue 8, item 2).

A real signed notice (built and signed as tests/test_signing.py does) is cut short, has bytes
flipped, junk spliced in or appended; random bytes and random or mutated QR payloads are tried.
Each ends in "not authentic" or "unreadable" with a reason that reads in both languages — never
"authentic" for bytes that differ from the signed ones, never an exception, never a hang. Through
the CLI: exit 1 or 2 and a message, no traceback; the untouched notice still exits 0.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from exports.signing import (
    AUTHENTIC,
    NOT_AUTHENTIC,
    UNREADABLE,
    TrustStore,
    create_device_key,
    load_device_key,
    verify_pdf,
    verify_qr,
)
from forms.i18n import catalogue
from inspect_app.cli import main
from tests.fuzz import fuzz_settings, time_limit
from tests.test_signing import DEVICE, issue

SECONDS = 30


@pytest.fixture(scope="module")
def notice(tmp_path_factory):
    """(signed PDF, QR text, trust store) of one notice, shared: signing takes a while."""
    directory = tmp_path_factory.mktemp("fuzz-verify") / "keys"
    create_device_key(directory, common_name="王五", organisation="平湖市经济和信息化局", device_id=DEVICE)
    pdf, qr, _ = issue(load_device_key(directory))
    return pdf, qr, TrustStore.from_directory(directory), directory


def assert_refused(result) -> None:
    assert result.status in (NOT_AUTHENTIC, UNREADABLE), result
    for lang in ("zh_CN", "en"):
        assert f"signing.reason.{result.reason}" in catalogue(lang), result.reason


@st.composite
def damaged_pdf(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["cut", "flip", "splice", "append", "drop"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if how == "cut":
            del data[at:]
        elif how == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif how == "splice":
            data[at:at] = draw(st.one_of(st.binary(max_size=40), st.sampled_from(
                [b"%%EOF", b"endobj", b"/ByteRange [0 1 2 3]", b"xref\n0 1\n", b"<<", b">>", b"stream\n"])))
        elif how == "append":
            data += draw(st.one_of(st.binary(max_size=200), st.just(b"\n%%EOF\n")))
        else:
            del data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


@fuzz_settings(100)
@given(data=st.data())
def test_a_damaged_notice_is_never_authentic_and_always_answered(notice, data):
    pdf, _, trust, _ = notice
    changed = data.draw(damaged_pdf(pdf))
    with time_limit(SECONDS):
        result = verify_pdf(changed, trust)
    if changed == pdf:
        assert result.status == AUTHENTIC
    else:
        assert_refused(result)


@fuzz_settings(40)
@given(raw=st.binary(max_size=2000))
@example(raw=b"")
@example(raw=b"%PDF-1.7\n")
@example(raw=b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
def test_random_bytes_are_unreadable_or_not_authentic(notice, raw):
    _, _, trust, _ = notice
    with time_limit(SECONDS):
        assert_refused(verify_pdf(raw, trust))


QR_ALPHABET = string.ascii_letters + string.digits + "-_.|:~=/+ "


@st.composite
def qr_text(draw, original: str) -> str:
    how = draw(st.sampled_from(["random", "alphabet", "flip", "cut", "fields"]))
    if how == "random":
        return draw(st.text(max_size=300))
    if how == "alphabet":
        return draw(st.text(alphabet=QR_ALPHABET, max_size=300))
    if how == "cut":
        return original[: draw(st.integers(0, len(original) - 1))]
    if how == "flip":
        at = draw(st.integers(0, len(original) - 1))
        return original[:at] + draw(st.sampled_from(QR_ALPHABET + "令")) + original[at + 1:]
    separator = draw(st.sampled_from(["|", "~", ".", ":"]))
    parts = original.split(separator)
    at = draw(st.integers(0, len(parts) - 1))
    parts[at] = draw(st.one_of(st.text(alphabet=QR_ALPHABET, max_size=30), st.just(""), st.just("9" * 5000)))
    return separator.join(parts)


@fuzz_settings(100)
@given(data=st.data())
def test_random_and_mutated_qr_text_is_never_authentic_unless_untouched(notice, data):
    _, qr, trust, _ = notice
    text = data.draw(qr_text(qr))
    with time_limit(SECONDS):
        result = verify_qr(text, trust)
    if text == qr:
        assert result.status == AUTHENTIC
    else:
        assert_refused(result)


def test_the_untouched_notice_still_verifies(notice):
    pdf, qr, trust, _ = notice
    assert verify_pdf(pdf, trust).status == AUTHENTIC
    assert verify_qr(qr, trust).status == AUTHENTIC


@pytest.mark.parametrize("how", ["untouched", "cut", "flipped", "random", "qr-cut", "qr-junk"])
def test_the_cli_answers_exit_0_1_or_2_with_a_message(notice, tmp_path, monkeypatch, capsys, how):
    pdf, qr, _, keys = notice
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(keys))
    path = tmp_path / "notice.pdf"
    content = {"untouched": pdf, "cut": pdf[: len(pdf) // 2], "random": b"%PDF-\x00\xff" * 50,
               "flipped": pdf[:500] + bytes([pdf[500] ^ 0x40]) + pdf[501:]}.get(how, pdf)
    path.write_bytes(content)
    args = {"qr-cut": ["verify", "--qr", qr[: len(qr) // 2]], "qr-junk": ["verify", "--qr", "令|||~~~" * 40]}
    code = main(args.get(how, ["verify", str(path)]))
    out = capsys.readouterr()
    assert (out.out + out.err).strip() and "Traceback" not in out.out + out.err
    assert code == 0 if how == "untouched" else code in (1, 2)
