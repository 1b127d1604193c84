"""Signatures (issue 5, part 4): device keys, the QR payload, the PAdES signature, and verifying both.

The notice PDFs here are built with pyHanko's writer (one page, notice.json embedded, the QR text in
the document info) so these tests do not depend on the renderer; one test at the end goes through
exports.notice_pdf.render_document when it is there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from exports import signing
from exports.notice_content import EMBEDDED_FILE_NAME, QR_INFO_KEY, SCHEMA, canonical_json
from exports.signing import (
    AUTHENTIC,
    NOT_AUTHENTIC,
    UNREADABLE,
    KeyExistsError,
    SigningError,
    TrustStore,
    create_device_key,
    import_p12,
    load_device_key,
    make_qr_payload,
    parse_qr_payload,
    read_notice_parts,
    sign_pdf,
    verify_pdf,
    verify_qr,
)
from inspect_app.cli import main

NUMBER = "平经信安整〔2026〕A07-0012号"
OTHER_NUMBER = "平经信安整〔2026〕A07-0013号"
DEVICE = "a1b2c3d4e5f60718"


# --- helpers ------------------------------------------------------------------------------------


def notice_content(number: str = NUMBER, description: str = "疏散通道堆放杂物") -> dict:
    return {
        "schema": SCHEMA, "kind": "rectification", "number": number, "revision": 1, "supersedes": None,
        "issued_at": "2026-11-26T10:15:00+08:00",
        "agency": {"name": "平湖市经济和信息化局", "short": "平经信安整", "basis": ["《中华人民共和国消防法》第十六条"]},
        "addressee": {"name": "平湖测试精密机械有限公司", "credit_code": "91330482MA2B3C4D5E",
                      "address": "平湖市经济开发区新明路 1 号 3 号楼", "person_in_charge": "张伟"},
        "park": {"code": "PH01", "name": "平湖小微企业园"},
        "inspection": {"date": "2026-11-26", "checklist": "消防安全检查表",
                       "inspectors": [{"name": "王五", "id_number": "ZJ330482001"}]},
        "hazards": [{"no": 1, "description": description, "location": "一楼东侧", "severity": "general",
                     "legal_basis": "《中华人民共和国消防法》第二十八条", "responsible": "张伟",
                     "responsible_phone": "13812345678", "measures": "清理杂物", "funds_yuan": 0,
                     "funds_reason": "自行清理", "deadline": "2026-12-10", "contingency_plan": "专人值守",
                     "photos": [], "outcome": None}],
        "deadline": "2026-12-10", "references": None, "results": None,
    }  # fmt: skip


def build_pdf(content: bytes | None, qr: str | None, text: str = "Rectification notice") -> bytes:
    """A one-page PDF with notice.json embedded (direct name-tree arrays) and the QR text in /Info."""
    writer = PdfFileWriter()
    stream = generic.StreamObject(stream_data=f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1"))
    font = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name("/Helvetica"),
    })  # fmt: skip
    writer.insert_page(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Page"),
        pdf_name("/MediaBox"): generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
        pdf_name("/Contents"): writer.add_object(stream),
        pdf_name("/Resources"): generic.DictionaryObject(
            {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font})}),
    }))  # fmt: skip
    if content is not None:
        data = generic.StreamObject({pdf_name("/Type"): pdf_name("/EmbeddedFile")}, stream_data=content)
        spec = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Filespec"),
            pdf_name("/F"): generic.TextStringObject(EMBEDDED_FILE_NAME),
            pdf_name("/UF"): generic.TextStringObject(EMBEDDED_FILE_NAME),
            pdf_name("/EF"): generic.DictionaryObject({pdf_name("/F"): writer.add_object(data)}),
        })  # fmt: skip
        names = generic.ArrayObject([generic.TextStringObject(EMBEDDED_FILE_NAME), writer.add_object(spec)])
        writer.root[pdf_name("/Names")] = generic.DictionaryObject(
            {pdf_name("/EmbeddedFiles"): generic.DictionaryObject({pdf_name("/Names"): names})})
        writer.update_root()
    if qr is not None:
        writer.set_info(generic.DictionaryObject({pdf_name(QR_INFO_KEY): generic.TextStringObject(qr)}))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def issue(key, content: dict | None = None, *, qr_from: dict | None = None, qr_key=None,
          embedded: bytes | None = None) -> tuple[bytes, str, bytes]:
    """(signed PDF, QR text, canonical bytes) of one notice, optionally built wrong on purpose."""
    content = content or notice_content()
    canonical = canonical_json(content)
    source = qr_from or content
    qr = make_qr_payload(source["number"], canonical_json(source), qr_key or key)
    pdf = sign_pdf(build_pdf(canonical if embedded is None else embedded, qr), key)
    return pdf, qr, canonical


@pytest.fixture
def keys(tmp_path) -> Path:
    directory = tmp_path / "keys"
    create_device_key(directory, common_name="王五", organisation="平湖市经济和信息化局", device_id=DEVICE)
    return directory


@pytest.fixture
def key(keys):
    return load_device_key(keys)


@pytest.fixture
def trust(keys) -> TrustStore:
    return TrustStore.from_directory(keys)


@pytest.fixture
def stranger(tmp_path):
    """A key nobody here trusts."""
    create_device_key(tmp_path / "stranger", common_name="冒名者", device_id="ffffffffffffffff")
    return load_device_key(tmp_path / "stranger")


@pytest.fixture(scope="module")
def signed_notice(tmp_path_factory):
    """One signed notice and its trust store, shared by the read-only tests."""
    directory = tmp_path_factory.mktemp("shared") / "keys"
    create_device_key(directory, common_name="王五", organisation="平湖市经济和信息化局", device_id=DEVICE)
    pdf, qr, canonical = issue(load_device_key(directory))
    return pdf, qr, canonical, TrustStore.from_directory(directory)


def make_ca(name: str = "平湖市经信局 CA"):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    ca_cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))  # fmt: skip
    return ca_key, ca_cert


def issue_cert(ca_key, ca_cert, private_key, cn: str, *, non_repudiation: bool = False) -> x509.Certificate:
    now = datetime.now(UTC)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "平湖市经济和信息化局")]))
            .issuer_name(ca_cert.subject).public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=non_repudiation,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         key_cert_sign=False, crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))  # fmt: skip


def write_p12(path: Path, private_key, cert, chain=(), password: bytes | None = None) -> Path:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"device", private_key, cert, list(chain) or None,
                                                           encryption))
    return path


# --- keys ---------------------------------------------------------------------------------------


def test_created_key_is_p256_with_a_ten_year_self_signed_signing_certificate(keys):
    key = load_device_key(keys)
    cert = key.certificate
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    assert key.private_key.curve.name == "secp256r1"
    assert cert.issuer == cert.subject
    cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert timedelta(days=3640) < cert.not_valid_after_utc - cert.not_valid_before_utc < timedelta(days=3660)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert "王五" in common_name and DEVICE in common_name
    assert key.subject == f"王五 ({DEVICE}) / 平湖市经济和信息化局"
    assert key.fingerprint == signing.fingerprint(cert) and len(key.fingerprint) == 64
    assert key.short_fingerprint == key.fingerprint[:16]
    assert key.not_after == cert.not_valid_after_utc


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
def test_private_key_file_is_readable_by_its_owner_only(keys):
    assert stat.S_IMODE(os.stat(keys / signing.KEY_FILE).st_mode) == 0o600
    assert b"PRIVATE KEY" in (keys / signing.KEY_FILE).read_bytes()


def test_no_key_yet_loads_as_none(tmp_path):
    assert load_device_key(tmp_path / "nothing") is None
    assert signing.key_info(tmp_path / "nothing") is None


def test_an_existing_key_is_not_replaced_unless_forced(keys):
    before = load_device_key(keys).fingerprint
    key_bytes = (keys / signing.KEY_FILE).read_bytes()
    with pytest.raises(KeyExistsError):
        create_device_key(keys, common_name="别人", device_id=DEVICE)
    assert (keys / signing.KEY_FILE).read_bytes() == key_bytes
    after = create_device_key(keys, common_name="别人", device_id=DEVICE, force=True)
    assert after.fingerprint != before
    assert load_device_key(keys).fingerprint == after.fingerprint


def test_a_damaged_key_file_is_a_clear_refusal(keys):
    (keys / signing.KEY_FILE).write_text("not a key")
    with pytest.raises(SigningError) as caught:
        load_device_key(keys)
    assert caught.value.kind == "key_unreadable"


def test_import_an_rsa_key_issued_by_the_agency(tmp_path):
    ca_key, ca_cert = make_ca()
    device_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issue_cert(ca_key, ca_cert, device_key, "王五 平湖经信局")  # digitalSignature only
    p12 = write_p12(tmp_path / "wangwu.p12", device_key, cert, [ca_cert], password=b"s3cret")
    directory = tmp_path / "keys"

    with pytest.raises(SigningError) as caught:
        import_p12(directory, p12, b"wrong")
    assert caught.value.kind == "p12_invalid"
    info = import_p12(directory, p12, b"s3cret")
    assert info.fingerprint == signing.fingerprint(cert) and info.key_type == "RSA 2048" and not info.self_signed
    key = load_device_key(directory)
    assert key.chain == (ca_cert,)
    with pytest.raises(KeyExistsError):
        import_p12(directory, p12, b"s3cret")

    pdf, qr, canonical = issue(key)
    own = TrustStore.from_directory(directory)  # the device's own certificate: both proofs check out
    assert verify_pdf(pdf, own).status == AUTHENTIC
    assert verify_qr(qr, own, canonical).status == AUTHENTIC
    only_ca = TrustStore([ca_cert])  # an office that trusts the agency's CA
    assert verify_pdf(pdf, only_ca).status == AUTHENTIC
    assert verify_qr(qr, only_ca).reason == "signer_unknown"  # the QR names the device certificate only
    assert verify_pdf(pdf, TrustStore()).reason == "unknown_key"


def test_import_an_ec_key_without_password_and_refuse_junk(tmp_path):
    ca_key, ca_cert = make_ca()
    device_key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_cert(ca_key, ca_cert, device_key, "李四", non_repudiation=True)
    info = import_p12(tmp_path / "keys", write_p12(tmp_path / "a.p12", device_key, cert), None)
    assert info.key_type == "EC secp256r1"
    qr = make_qr_payload(NUMBER, b"{}", load_device_key(tmp_path / "keys"))
    assert len(qr.encode("utf-8")) <= 220  # PI2 without facts: 13 fields, a P-256 signature

    (tmp_path / "junk.p12").write_bytes(b"junk")
    with pytest.raises(SigningError) as caught:
        import_p12(tmp_path / "keys2", tmp_path / "junk.p12", None)
    assert caught.value.kind == "p12_invalid"
    with pytest.raises(SigningError) as caught:
        import_p12(tmp_path / "keys2", tmp_path / "missing.p12", None)
    assert caught.value.kind == "p12_unreadable_file"


def test_trust_store_reads_the_device_and_trusted_certificates(keys, stranger, tmp_path):
    trusted = keys / signing.TRUSTED_DIR
    trusted.mkdir()
    (trusted / "colleague.crt").write_bytes(stranger.certificate.public_bytes(serialization.Encoding.DER))
    (trusted / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n")
    (trusted / "notes.txt").write_text("ignored")
    store = TrustStore.from_directory(keys)
    assert len(store) == 2 and store.problems == [str(trusted / "broken.pem")]
    assert stranger.fingerprint in store and stranger.short_fingerprint in store
    assert store.get(stranger.short_fingerprint) == stranger.certificate
    assert "0000000000000000" not in store

    synced = TrustStore()
    assert synced.add(stranger.certificate.public_bytes(serialization.Encoding.PEM)) == stranger.fingerprint
    assert stranger.short_fingerprint in synced


# --- QR payload ---------------------------------------------------------------------------------


def test_qr_payload_is_compact_and_round_trips(key):
    canonical = canonical_json(notice_content())
    signed_at = datetime(2026, 11, 26, 2, 15, tzinfo=UTC)
    text = make_qr_payload(NUMBER, canonical, key, signed_at=signed_at)
    assert len(text.encode("utf-8")) <= 330  # PI2 with the facts (see exports/signing/qr.py)
    assert text.startswith("PI2|" + NUMBER + "|")
    payload = parse_qr_payload(text)
    assert payload.number == NUMBER
    assert payload.content_hash_hex == hashlib.sha256(canonical).hexdigest()
    assert payload.signer == key.short_fingerprint
    assert payload.signed_at == signed_at
    assert len(payload.signature) == 64  # raw r||s
    assert len(text.split("|")[9]) == 43 and len(text.split("|")[12]) == 86
    assert parse_qr_payload(text + "\n") == payload  # scanners may add a line end


def test_qr_payload_verifies_alone_and_against_its_content(key, trust):
    canonical = canonical_json(notice_content())
    text = make_qr_payload(NUMBER, canonical, key)
    alone = verify_qr(text, trust)
    assert (alone.status, alone.number, alone.fingerprint) == (AUTHENTIC, NUMBER, key.fingerprint)
    assert alone.signer == key.subject and alone.signed_at is not None
    assert verify_qr(text, trust, canonical).authentic


def test_qr_fields_are_all_under_the_signature(key, trust):
    text = make_qr_payload(NUMBER, canonical_json(notice_content()), key)
    fields = text.split("|")
    for index, forged in ((1, OTHER_NUMBER), (3, "zzzzzz"), (5, "91330000MA2B3C4D5E"), (6, "7"), (7, "20991231")):
        changed = "|".join(fields[:index] + [forged] + fields[index + 1:])
        assert verify_qr(changed, trust).reason == "signature_invalid"


def test_qr_with_changed_content_is_wrong_hash(key, trust):
    text = make_qr_payload(NUMBER, canonical_json(notice_content()), key)
    changed = canonical_json(notice_content(description="疏散通道畅通"))
    assert verify_qr(text, trust, changed).reason == "wrong_hash"


def test_qr_of_another_notice_is_a_mismatch(key, trust):
    other = make_qr_payload(OTHER_NUMBER, canonical_json(notice_content(OTHER_NUMBER)), key)
    result = verify_qr(other, trust, canonical_json(notice_content()))
    assert (result.status, result.reason) == (NOT_AUTHENTIC, "qr_mismatch")


def test_qr_signed_by_an_unknown_key(stranger, trust):
    result = verify_qr(make_qr_payload(NUMBER, b"{}", stranger), trust)
    assert (result.status, result.reason, result.number) == (NOT_AUTHENTIC, "unknown_key", NUMBER)


@pytest.mark.parametrize("text, reason", [
    ("", "unreadable"), ("   ", "unreadable"), ("https://example.org/", "not_a_notice"),
    ("PI1|only|three", "unreadable"), ("PI3|a|b|c|d|e", "unsupported_version"), ("PI2|a|b|c|d|e", "unreadable"),
    ("PI1|号|" + "A" * 43 + "|0123456789abcdef|zzzzzzzz|" + "A" * 86, "unreadable"),
    ("PI1|号|" + "A" * 42 + "|0123456789abcdef|tp4fr8|" + "A" * 86, "unreadable"),
    ("PI1|号|" + "A" * 43 + "|0123456789ABCDEF|tp4fr8|" + "A" * 86, "unreadable"),
])  # fmt: skip
def test_malformed_qr_text_is_unreadable(text, reason, trust):
    result = verify_qr(text, trust)
    assert (result.status, result.reason) == (UNREADABLE, reason)


def test_qr_refuses_a_number_that_would_break_the_format(key):
    with pytest.raises(ValueError):
        make_qr_payload("A|B", b"{}", key)


# --- the PDF ------------------------------------------------------------------------------------


def test_signed_pdf_validates_with_pyhankos_own_validator(signed_notice):
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    pdf, _, _, trust = signed_notice
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert embedded.field_name == signing.SIGNATURE_FIELD
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust.certificates()]
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=roots, allow_fetching=False))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"


def test_issued_notice_verifies(signed_notice):
    pdf, qr, canonical, trust = signed_notice
    result = verify_pdf(pdf, trust)
    assert (result.status, result.reason, result.number) == (AUTHENTIC, "ok", NUMBER)
    assert result.signer == f"王五 ({DEVICE}) / 平湖市经济和信息化局"
    assert abs(result.signed_at - datetime.now(UTC)) < timedelta(minutes=10)
    assert read_notice_parts(pdf) == (canonical, qr)
    assert verify_pdf(pdf, trust, read_notice_parts).authentic


def test_flipping_one_byte_of_the_page_is_altered_bytes(signed_notice):
    pdf, _, _, trust = signed_notice
    at = pdf.index(b"Rectification notice")
    altered = pdf[:at] + b"r" + pdf[at + 1:]
    result = verify_pdf(altered, trust)
    assert (result.status, result.reason) == (NOT_AUTHENTIC, "altered_bytes")


def test_no_single_byte_change_anywhere_passes(signed_notice):
    """Bytes across the file, and more densely the signature blob no signature covers (its DER,
    its certificate, the signer's name, the zero padding): changed two ways, never authentic."""
    pdf, _, _, trust = signed_notice
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    blob = 2 * signing.der.der_length(bytes.fromhex(pdf[start:pdf.index(b">", start)].decode()))
    positions = [*range(0, len(pdf), 97), *range(start, start + blob + 40, 11)]
    reasons = set()
    for at in positions:
        for mask in (0x02, 0x20):
            changed = bytearray(pdf)
            changed[at] ^= mask
            result = verify_pdf(bytes(changed), trust)
            assert result.status != AUTHENTIC, (at, mask)
            reasons.add(result.reason)
    assert {"altered_bytes", "signature_invalid"} <= reasons


@pytest.mark.parametrize("blob, der", [
    (bytes.fromhex("3003020101"), True),
    (bytes.fromhex("308103020101"), False),  # long-form length where the short form fits
    (bytes.fromhex("3080020101" + "0000"), False),  # indefinite length (BER)
    (bytes.fromhex("3005020101" + "0000"), False),  # zero padding pulled into the structure
    (bytes.fromhex("3004020101"), False),  # length past the end
    (bytes.fromhex("3003020101" + "05"), False),  # something left over
])  # fmt: skip
def test_der_check_refuses_ber_variants(blob, der):
    assert signing.der.is_der(blob) is der


def test_an_update_appended_after_signing_is_not_authentic(signed_notice):
    pdf, _, _, trust = signed_notice
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    info = writer.trailer["/Info"].get_object()
    info[pdf_name("/Title")] = generic.TextStringObject("已整改")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue(), trust)
    assert (result.status, result.reason) == (NOT_AUTHENTIC, "modified_after_signing")


def test_content_with_one_word_changed_is_wrong_hash(key, trust):
    changed = canonical_json(notice_content(description="疏散通道畅通"))
    pdf, _, _ = issue(key, embedded=changed)  # the QR still carries the original content's hash
    assert verify_pdf(pdf, trust).reason == "wrong_hash"


def test_the_qr_code_of_another_notice_is_a_mismatch(key, trust):
    pdf, _, _ = issue(key, qr_from=notice_content(OTHER_NUMBER))
    result = verify_pdf(pdf, trust)
    assert (result.status, result.reason, result.number) == (NOT_AUTHENTIC, "qr_mismatch", NUMBER)


def test_pdf_signed_by_an_unknown_key(stranger, trust):
    pdf, _, _ = issue(stranger)
    assert verify_pdf(pdf, trust).reason == "unknown_key"


def test_pdf_and_qr_signed_by_different_certificates(key, stranger, keys):
    trusted = keys / signing.TRUSTED_DIR
    trusted.mkdir()
    (trusted / "stranger.pem").write_bytes(stranger.certificate.public_bytes(serialization.Encoding.PEM))
    pdf, _, _ = issue(key, qr_key=stranger)
    assert verify_pdf(pdf, TrustStore.from_directory(keys)).reason == "signer_mismatch"


def test_unsigned_and_foreign_pdfs(key, trust):
    canonical = canonical_json(notice_content())
    unsigned = build_pdf(canonical, make_qr_payload(NUMBER, canonical, key))
    assert (verify_pdf(unsigned, trust).status, verify_pdf(unsigned, trust).reason) == (NOT_AUTHENTIC, "no_signature")
    assert verify_pdf(build_pdf(None, None), trust).reason == "not_a_notice"
    signed_foreign = sign_pdf(build_pdf(None, None), key)  # signed, but no notice inside
    assert verify_pdf(signed_foreign, trust).reason == "not_a_notice"
    signed_no_qr = sign_pdf(build_pdf(canonical, None), key)
    assert verify_pdf(signed_no_qr, trust).status == NOT_AUTHENTIC


@pytest.mark.parametrize("cut", [0, 1, 100, 0.5, -1, -40])
def test_empty_truncated_and_garbage_input_is_unreadable(signed_notice, cut):
    pdf = signed_notice[0]
    data = pdf[: int(len(pdf) * cut)] if isinstance(cut, float) else pdf[:cut]
    result = verify_pdf(data, signed_notice[3])
    assert (result.status, result.reason) == (UNREADABLE, "unreadable")


def test_garbage_is_unreadable(trust):
    for data in (b"", b"\x00" * 64, os.urandom(4096), b"%PDF-1.7\n" + os.urandom(2048), "text"):
        assert verify_pdf(data, trust).status == UNREADABLE


def test_sign_pdf_refuses_what_is_not_a_pdf(key):
    with pytest.raises(SigningError):
        sign_pdf(b"not a pdf at all", key)


async def test_signing_and_verifying_inside_a_running_event_loop(key, trust):
    """The TUI calls these from its event loop; pyHanko's blocking wrappers use asyncio.run."""
    canonical = canonical_json(notice_content())
    pdf = sign_pdf(build_pdf(canonical, make_qr_payload(NUMBER, canonical, key)), key)
    assert verify_pdf(pdf, trust).authentic


def test_rendered_notice_verifies(key, trust):
    notice_pdf = pytest.importorskip("exports.notice_pdf")
    content = notice_content()
    canonical = canonical_json(content)
    qr = make_qr_payload(NUMBER, canonical, key)
    pdf = sign_pdf(notice_pdf.render_document(content, qr_payload=qr), key)
    assert verify_pdf(pdf, trust).authentic  # through notice_pdf.read_embedded
    assert verify_pdf(pdf, trust, read_notice_parts).authentic


# --- never raise --------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=4096), st.binary(max_size=2048).map(lambda b: b"%PDF-1.7\n" + b)))
def test_verify_pdf_never_raises(trust, data):
    assert verify_pdf(data, trust).status in (UNREADABLE, NOT_AUTHENTIC)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(max_size=400),
    st.lists(st.text(alphabet="PI1|0123456789abcdefzAZ_-号", max_size=60), min_size=6, max_size=6)
    .map(lambda parts: "PI1|" + "|".join(parts[1:])),
))  # fmt: skip
def test_verify_qr_never_raises(trust, text):
    assert verify_qr(text, trust).status in (UNREADABLE, NOT_AUTHENTIC)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.integers(min_value=0), char=st.characters(codec="utf-8"))
def test_no_changed_character_of_a_payload_verifies(key, trust, at, char):
    text = make_qr_payload(NUMBER, b"{}", key)
    at %= len(text)
    if text[at] == char:
        return
    assert verify_qr(text[:at] + char + text[at + 1:], trust).status != AUTHENTIC


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(tmp_path / "cli-keys"))
    monkeypatch.setenv("PARKINSPECT_DB", str(tmp_path / "cli.db"))
    monkeypatch.delenv("PARKINSPECT_LANG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "cli-keys"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_keys_init_show_and_refuse_overwrite(cli_env, capsys):
    code, out, _ = run(capsys, "keys", "show")
    assert code == 1 and "keys init" in out
    code, out, _ = run(capsys, "keys", "init", "--name", "王五")
    assert code == 0 and "已生成签名密钥" in out and "王五" in out
    fingerprint = load_device_key(cli_env).fingerprint
    assert fingerprint in out
    code, _, err = run(capsys, "keys", "init")
    assert code == 2 and "--force" in err
    code, out, _ = run(capsys, "--lang", "en", "keys", "show", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["fingerprint"] == fingerprint and shown["short_fingerprint"] == fingerprint[:16]
    code, out, _ = run(capsys, "keys", "init", "--force", "--json")
    assert code == 0 and json.loads(out)["fingerprint"] != fingerprint


def test_cli_keys_init_names_the_profile_and_device(cli_env, capsys, tmp_path):
    from db.store import Store
    from forms.inspector import InspectorInput
    from inspect_app.services.profile import save_profile

    store = Store.open(tmp_path / "cli.db")
    save_profile(store, InspectorInput(name="赵六", id_number="ZJ330482009", agency="平湖市消防救援大队"))
    device_id = store.device_id
    store.close()
    assert run(capsys, "keys", "init")[0] == 0
    key = load_device_key(cli_env)
    assert key.subject == f"赵六 ({device_id}) / 平湖市消防救援大队"


def test_cli_keys_import_reads_the_password_from_the_environment(cli_env, capsys, tmp_path, monkeypatch):
    device_key = ec.generate_private_key(ec.SECP256R1())
    ca_key, ca_cert = make_ca()
    p12 = write_p12(tmp_path / "d.p12", device_key, issue_cert(ca_key, ca_cert, device_key, "王五"),
                    password=b"pa55-word")
    code, _, err = run(capsys, "keys", "import", str(p12), "--password-env", "PI_P12_PASSWORD")
    assert code == 2 and "PI_P12_PASSWORD" in err
    monkeypatch.setenv("PI_P12_PASSWORD", "wrong")
    code, out, err = run(capsys, "keys", "import", str(p12), "--password-env", "PI_P12_PASSWORD")
    assert code == 2 and "wrong" not in out + err
    monkeypatch.setenv("PI_P12_PASSWORD", "pa55-word")
    code, out, err = run(capsys, "keys", "import", str(p12), "--password-env", "PI_P12_PASSWORD")
    assert code == 0 and "已导入" in out and "pa55-word" not in out + err
    assert load_device_key(cli_env).info.key_type == "EC secp256r1"


def test_cli_verify_exit_codes(cli_env, capsys, tmp_path, stranger):
    assert run(capsys, "keys", "init", "--name", "王五")[0] == 0
    key = load_device_key(cli_env)
    pdf, qr, _ = issue(key)
    good = tmp_path / "good.pdf"
    good.write_bytes(pdf)

    code, out, _ = run(capsys, "verify", str(good))
    assert code == 0 and out.startswith(f"真实有效：{NUMBER}") and "签名设备：王五" in out and "签发时间：" in out
    code, out, _ = run(capsys, "verify", "--qr", qr)
    assert code == 0 and NUMBER in out
    code, out, _ = run(capsys, "--lang", "en", "verify", str(good), "--json")
    assert code == 0 and json.loads(out)["status"] == "authentic"

    altered = tmp_path / "altered.pdf"
    at = pdf.index(b"Rectification notice")
    altered.write_bytes(pdf[:at] + b"X" + pdf[at + 1:])
    code, out, _ = run(capsys, "verify", str(altered))
    assert code == 1 and out.startswith("无效：") and "改动" in out
    code, out, _ = run(capsys, "--lang", "en", "verify", str(altered))
    assert code == 1 and out.startswith("Not authentic: the file was changed")
    unknown = tmp_path / "unknown.pdf"
    unknown.write_bytes(issue(stranger)[0])
    code, out, _ = run(capsys, "verify", str(unknown))
    assert code == 1 and "不在本机信任的根证书之中" in out and "冒名者" in out  # the signer named, not just "unknown key"

    for data in (b"", pdf[: len(pdf) // 2], os.urandom(1000)):
        bad = tmp_path / "bad.pdf"
        bad.write_bytes(data)
        assert run(capsys, "verify", str(bad))[0] == 2
    assert run(capsys, "verify", str(tmp_path / "missing.pdf"))[0] == 2
    assert run(capsys, "verify", "--qr", "hello")[0] == 2
    assert run(capsys, "verify")[0] == 2
    assert run(capsys, "verify", str(good), "--qr", qr)[0] == 2


def test_a_long_chinese_name_and_agency_fit_the_certificate_instead_of_failing(tmp_path):
    # X.509 bounds a name attribute at 64, which cryptography counts in UTF-8 bytes: 22 Chinese
    # characters are already too many. The key is still made, with the names cut and marked.
    name = "平湖市经济和信息化局安全生产监督管理科第一检查组检查员张三丰"
    info = create_device_key(tmp_path / "keys", common_name=name, organisation="平湖市经济和信息化局" * 5,
                             device_id="0123456789abcdef")
    cn, organisation = info.subject.split(" / ")
    assert cn.endswith("… (0123456789abcdef)") and name.startswith(cn.split("…")[0])
    assert len(cn.encode()) <= 64 and len(organisation.encode()) <= 64 and organisation.endswith("…")
