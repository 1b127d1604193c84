"""Trust that travels: agency roots on a fresh machine, chains in the signature, CRLs, what `verify` says.

A "fresh machine" is an empty keys folder (PARKINSPECT_KEYS_DIR) and no database. The agency root
and the device certificates are made here with cryptography, as the hub does (CN = device name,
O = agency, a urn:parkinspect:device SAN, issuer = the root).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from exports.notice_content import canonical_json
from exports.notice_pdf import render_document
from exports.signing import (
    AUTHENTIC,
    TrustStore,
    load_device_key,
    make_qr_payload,
    parse_qr_payload,
    sign_pdf,
    verify_pdf,
    verify_qr,
)
from exports.signing.qr import _b64url, _base36
from forms.i18n import set_language
from inspect_app.cli import main

AGENCY = "平湖市经济和信息化局"
DEVICE_NAME = "李明的笔记本"
NUMBER = "平经信安整〔2026〕A07-0012号"
CREDIT = "91330482MA2B3C4D5E"


# --- an agency, as the hub makes it -------------------------------------------------------------


def _name(cn: str, org: str = AGENCY) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def make_root(name: str = AGENCY):
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=30)
    cert = (x509.CertificateBuilder().subject_name(_name(name, name)).issuer_name(_name(name, name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_device_cert(root_key, root_cert, device_key, *, cn: str = DEVICE_NAME, device_id: str = "0192a1b2c3d4",
                     days: int = 365, start: datetime | None = None):
    start = start or datetime.now(UTC) - timedelta(days=1)
    return (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(root_cert.subject)
            .public_key(device_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"urn:parkinspect:device:{device_id}")]), critical=False)
            .sign(root_key, hashes.SHA256()))


def enrolled_keys(folder: Path, root_key, root_cert, **cert_options) -> Path:
    """A device's keys folder after enrolment: its key, its certificate then the root, the root trusted."""
    device_key = ec.generate_private_key(ec.SECP256R1())
    cert = make_device_cert(root_key, root_cert, device_key, **cert_options)
    folder.mkdir(parents=True)
    (folder / "device_key.pem").write_bytes(device_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "device_cert.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                                      for c in (cert, root_cert)))
    (folder / "trusted").mkdir()
    (folder / "trusted" / "agency.pem").write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
    return folder


def make_crl(root_key, root_cert, serial: int, revoked_on: datetime) -> bytes:
    entry = (x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revoked_on).build())
    now = datetime.now(UTC)
    return (x509.CertificateRevocationListBuilder().issuer_name(root_cert.subject).last_update(now)
            .next_update(now + timedelta(days=7)).add_revoked_certificate(entry)
            .sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def content(issued_at: datetime | None = None, **changes) -> dict:
    issued_at = issued_at or datetime.now(UTC).replace(microsecond=0)
    base = {
        "schema": "parkinspect.notice/1", "kind": "rectification", "number": NUMBER, "revision": 1,
        "supersedes": None, "issued_at": issued_at.isoformat(),
        "agency": {"name": AGENCY, "short": "平经信安整", "basis": ["《中华人民共和国消防法》第十六条"]},
        "addressee": {"name": "平湖测试精密机械有限公司", "credit_code": CREDIT,
                      "address": "平湖市经济开发区新明路 1 号 3 号楼", "person_in_charge": "张伟"},
        "park": {"code": "PH01", "name": "平湖小微企业园"},
        "inspection": {"date": "2026-11-26", "checklist": "消防安全检查表",
                       "inspectors": [{"name": "王五", "id_number": "ZJ330482001"},
                                      {"name": "赵六", "id_number": "ZJ330482002"}]},
        "hazards": [{"no": n, "description": f"疏散通道堆放杂物 {n}", "location": "一楼东侧", "severity": "general",
                     "legal_basis": "《中华人民共和国消防法》第二十八条", "responsible": "张伟",
                     "responsible_phone": "13812345678", "measures": "清理杂物", "funds_yuan": 0,
                     "funds_reason": "自行清理", "deadline": deadline, "contingency_plan": "专人值守",
                     "photos": [], "outcome": None}
                    for n, deadline in ((1, "2026-12-10"), (2, "2026-12-20"))],
        "deadline": "2026-12-20", "references": None, "results": None,
    }  # fmt: skip
    base.update(changes)
    return base


def issue(keys: Path, notice: dict | None = None) -> tuple[bytes, str]:
    """A real notice: rendered by exports.notice_pdf, QR payload made and PAdES-signed by this device."""
    notice = notice or content()
    key = load_device_key(keys)
    canonical = canonical_json(notice)
    qr = make_qr_payload(notice["number"], canonical, key, signed_at=datetime.fromisoformat(notice["issued_at"]))
    return sign_pdf(render_document(notice, qr_payload=qr), key), qr


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    """The agency root, one enrolled device and a genuine notice it signed (made once: rendering costs)."""
    folder = tmp_path_factory.mktemp("agency")
    root_key, root_cert = make_root()
    (folder / "root.pem").write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
    keys = enrolled_keys(folder / "device", root_key, root_cert)
    pdf, qr = issue(keys)
    (folder / "notice.pdf").write_bytes(pdf)
    return {"root_key": root_key, "root_cert": root_cert, "root_pem": folder / "root.pem", "keys": keys,
            "pdf": pdf, "pdf_path": folder / "notice.pdf", "qr": qr, "folder": folder}


@pytest.fixture
def office(tmp_path, monkeypatch):
    """A fresh machine: an empty keys folder, no database anywhere near."""
    keys = tmp_path / "office-keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(keys))
    monkeypatch.setenv("PARKINSPECT_DB", str(tmp_path / "never-created.db"))
    set_language("zh_CN")
    yield keys
    assert not (tmp_path / "never-created.db").exists()  # verify and keys trust need no database


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def fingerprint_of(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def device_cert(keys: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates((keys / "device_cert.pem").read_bytes())[0]


# --- a fresh machine ----------------------------------------------------------------------------


def test_genuine_notice_on_a_fresh_machine_is_not_trusted_until_the_root_is(agency, office, capsys):
    code, out, _ = run(capsys, "verify", str(agency["pdf_path"]))
    signer = device_cert(agency["keys"])
    assert code == 1
    assert DEVICE_NAME in out and fingerprint_of(signer) in out  # who signed, by name and fingerprint
    assert fingerprint_of(agency["root_cert"]) in out and "不在本机信任的根证书之中" in out
    assert "parkinspect keys trust" in out

    code, out, _ = run(capsys, "keys", "trust", str(agency["root_pem"]))
    assert code == 0 and AGENCY in out and fingerprint_of(agency["root_cert"]) in out
    code, out, _ = run(capsys, "verify", str(agency["pdf_path"]))
    assert code == 0, out
    for fact in ("真实有效", "隐患整改通知书", NUMBER, AGENCY, DEVICE_NAME, "王五、赵六", "平湖测试精密机械有限公司",
                 CREDIT, "隐患：2 项", "2026-12-10、2026-12-20", "UTC+08:00"):
        assert fact in out, (fact, out)


def test_issue_time_is_shown_in_china_time(agency, office, capsys):
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    late = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 00:30 the next day in Beijing
    keys = agency["keys"]
    pdf, _ = issue(keys, content(issued_at=late))
    path = office.parent / "late.pdf"
    path.write_bytes(pdf)
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 0 and "2026-12-02 00:30 (UTC+08:00)" in out


def test_english_output(agency, office, capsys):
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    code, out, _ = run(capsys, "--lang", "en", "verify", str(agency["pdf_path"]))
    assert code == 0 and "Hazard rectification notice" in out and "Hazards: 2" in out
    set_language("zh_CN")


def test_same_subject_forgeries_are_refused(agency, office, tmp_path, capsys):
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    # a new key with the same CN / O, self-signed
    forger = tmp_path / "forger"
    key = ec.generate_private_key(ec.SECP256R1())
    name = device_cert(agency["keys"]).subject
    start = datetime.now(UTC) - timedelta(days=1)
    self_signed = (x509.CertificateBuilder().subject_name(name).issuer_name(agency["root_cert"].subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + timedelta(days=30))
                   .sign(key, hashes.SHA256()))  # claims the agency as issuer, signed by itself
    forger.mkdir()
    (forger / "device_key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (forger / "device_cert.pem").write_bytes(self_signed.public_bytes(serialization.Encoding.PEM))
    # a fake root with the agency's exact name, and a device certificate it issued
    fake_root_key, fake_root = make_root()
    fake = enrolled_keys(tmp_path / "fake", fake_root_key, fake_root)
    for keys in (forger, fake):
        pdf, qr = issue(keys)
        path = tmp_path / f"{keys.name}.pdf"
        path.write_bytes(pdf)
        code, out, _ = run(capsys, "verify", str(path))
        assert code == 1, out
        assert DEVICE_NAME in out and fingerprint_of(device_cert(keys)) in out
        code, out, _ = run(capsys, "verify", "--qr", qr)
        assert code == 1 and "真实有效" not in out


def test_revoked_signer_after_and_before_revocation(agency, office, tmp_path, capsys):
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    serial = device_cert(agency["keys"]).serial_number
    revoked = office / "revoked"
    revoked.mkdir(parents=True)
    # revoked yesterday: the notice (signed now) came after
    (revoked / "agency.crl").write_bytes(make_crl(agency["root_key"], agency["root_cert"], serial,
                                                  datetime.now(UTC) - timedelta(days=1)))
    code, out, _ = run(capsys, "verify", str(agency["pdf_path"]))
    assert code == 1 and DEVICE_NAME in out and "已被吊销" in out and "在吊销之后" in out
    code, out, _ = run(capsys, "verify", "--json", str(agency["pdf_path"]))
    assert code == 1 and '"reason": "revoked"' in out
    # revoked tomorrow: the notice was signed before, it stays valid, and says so
    (revoked / "agency.crl").write_bytes(make_crl(agency["root_key"], agency["root_cert"], serial,
                                                  datetime.now(UTC) + timedelta(days=1)))
    code, out, _ = run(capsys, "verify", str(agency["pdf_path"]))
    assert code == 0 and "已被吊销" in out and "签于吊销之前" in out


def test_a_crl_not_signed_by_a_trusted_root_is_ignored(agency, office, capsys, caplog):
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    fake_key, fake_root = make_root()  # same name as the agency, another key
    (office / "revoked").mkdir()
    (office / "revoked" / "forged.crl").write_bytes(
        make_crl(fake_key, fake_root, device_cert(agency["keys"]).serial_number, datetime.now(UTC) - timedelta(days=9)))
    trust = TrustStore.from_directory(office)
    assert any("forged.crl" in problem for problem in trust.problems)
    assert verify_pdf(agency["pdf"], trust).status == AUTHENTIC
    assert "not signed by a trusted root" in caplog.text


def test_certificate_not_valid_at_signing_time(agency, tmp_path):
    keys = enrolled_keys(tmp_path / "old", agency["root_key"], agency["root_cert"],
                         start=datetime.now(UTC) - timedelta(days=40), days=30)
    pdf, qr = issue(keys)
    trust = TrustStore([agency["root_cert"]])
    assert verify_pdf(pdf, trust).reason == "expired"


# --- the QR code --------------------------------------------------------------------------------


def test_qr_shows_its_facts_once_the_signer_is_known(agency, office, tmp_path, capsys):
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    code, out, _ = run(capsys, "verify", "--qr", agency["qr"])
    signer = device_cert(agency["keys"])
    assert code == 1 and fingerprint_of(signer)[:16] in out and fingerprint_of(agency["root_cert"])[:16] in out
    assert "parkinspect keys trust" in out  # how to get the device certificate
    cert_file = tmp_path / "device.pem"
    cert_file.write_bytes(signer.public_bytes(serialization.Encoding.PEM))
    assert run(capsys, "keys", "trust", str(cert_file))[0] == 0
    code, out, _ = run(capsys, "verify", "--qr", agency["qr"])
    assert code == 0, out
    for fact in (NUMBER, "隐患整改通知书", AGENCY, DEVICE_NAME, "王五、赵六", "平湖测试精密机械有限公司", CREDIT,
                 "隐患：2 项", "2026-12-10、2026-12-20", "二维码只证明以上各项"):
        assert fact in out, (fact, out)


def test_qr_facts_are_signed_and_must_match_the_pdf(agency):
    payload = parse_qr_payload(agency["qr"])
    assert payload.version == "PI2" and payload.root == fingerprint_of(agency["root_cert"])[:16]
    assert payload.facts.credit_code == CREDIT and payload.facts.hazards == 2
    fields = agency["qr"].split("|")
    trust = TrustStore.from_directory(agency["keys"])
    for index, forged in ((6, "1"), (7, "20261231"), (4, "平湖另一家公司")):  # hazards, deadline, addressee
        changed = "|".join(fields[:index] + [forged] + fields[index + 1:])
        assert verify_qr(changed, trust).reason == "signature_invalid"
    # a QR honestly signed for other facts does not vouch for this content
    key = load_device_key(agency["keys"])
    other = make_qr_payload(NUMBER, canonical_json(content(deadline="2027-01-31")), key)
    assert verify_qr(other, trust, canonical_json(content())).reason in ("qr_mismatch", "wrong_hash")


def test_a_pi1_notice_still_verifies(agency, tmp_path):
    """Notices issued before the agency PKI carry a PI1 QR code: they stay verifiable."""
    key = load_device_key(agency["keys"])
    notice = content()
    canonical = canonical_json(notice)
    signed_text = "|".join(("PI1", NUMBER, _b64url(hashlib.sha256(canonical).digest()), key.short_fingerprint,
                            _base36(int(datetime.now(UTC).timestamp()))))
    qr = signed_text + "|" + _b64url(key.sign_bytes(signed_text.encode()))
    pdf = sign_pdf(render_document(notice, qr_payload=qr), key)
    trust = TrustStore([agency["root_cert"]])
    result = verify_pdf(pdf, trust)
    assert result.status == AUTHENTIC and result.facts.addressee == "平湖测试精密机械有限公司"
    trust.add_known(key.certificate)
    assert verify_qr(qr, trust, canonical).status == AUTHENTIC


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")), reason="needs poppler and zbar")
def test_the_printed_qr_code_decodes_from_a_200_dpi_scan(agency, tmp_path):
    """The longest QR a notice makes (long addressee, three inspectors, several deadlines) at the printed size."""
    notice = content(addressee={"name": "平湖市经济开发区某某精密机械制造股份有限公司第二分公司", "credit_code": CREDIT,
                                "address": "平湖市新明路 1 号", "person_in_charge": "张伟"})
    notice["inspection"]["inspectors"].append({"name": "欧阳建国", "id_number": "ZJ330482003"})
    for hazard, deadline in zip(notice["hazards"], ("2026-12-10", "2026-12-31"), strict=True):
        hazard["deadline"] = deadline
    pdf, qr = issue(agency["keys"], notice)
    (tmp_path / "n.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(tmp_path / "n.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    [page] = tmp_path.glob("page*.png")
    scanned = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", str(page)], capture_output=True, timeout=60)
    assert scanned.stdout.decode("utf-8").strip() == qr
    assert len(qr.encode("utf-8")) <= 400


# --- keys trust / trusted / untrust -------------------------------------------------------------


def test_keys_trust_refuses_what_is_not_a_certificate(office, tmp_path, capsys):
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    code, _, err = run(capsys, "keys", "trust", str(junk))
    assert code == 2 and "不是证书" in err and not office.exists()
    code, _, err = run(capsys, "keys", "trust", str(tmp_path / "missing.pem"))
    assert code == 2 and not office.exists()


def test_keys_trusted_and_untrust(agency, office, capsys):
    import json

    assert run(capsys, "keys", "trusted")[0] == 0
    run(capsys, "keys", "trust", str(agency["root_pem"]))
    code, out, _ = run(capsys, "keys", "trust", str(agency["root_pem"]))  # twice: one file
    assert code == 0 and "已受信任" in out
    code, out, _ = run(capsys, "keys", "trusted", "--json")
    [entry] = json.loads(out)["trusted"]
    full = fingerprint_of(agency["root_cert"])
    assert entry["fingerprint"] == full and entry["ca"] is True and entry["subject"] == f"{AGENCY} / {AGENCY}"
    code, out, _ = run(capsys, "keys", "trusted")
    assert full in out and "根证书" in out
    assert run(capsys, "keys", "untrust", full[:8])[0] == 2  # too short to name one certificate
    assert run(capsys, "keys", "untrust", "0" * 16)[0] == 1  # unknown
    code, out, _ = run(capsys, "keys", "untrust", full[:16])
    assert code == 0 and AGENCY in out
    assert json.loads(run(capsys, "keys", "trusted", "--json")[1])["trusted"] == []
    assert run(capsys, "verify", str(agency["pdf_path"]))[0] == 1
