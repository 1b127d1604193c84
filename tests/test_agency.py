"""The agency's root on the hub: device certificates at sync, the revocation list reaching every device,
hostile certificate requests, the root key kept out of the database and its backups (docs/SYNC.md,
"Agency"; docs/SECURITY.md). Real HTTP on loopback (tests/hub_server.py)."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from exports.signing import create_device_key
from inspect_app.cli import main
from inspect_app.hub import certificates
from inspect_app.hub.agency import (
    CERT_FILE,
    CRL_FILE,
    KEY_FILE,
    fingerprint,
    init_agency,
    issue_device_certificate,
    load_agency,
)
from inspect_app.hub.app import create_app
from inspect_app.hub.backup import backup, restore
from inspect_app.hub.crl import CrlCache
from inspect_app.hub.storage import device_certificate, enrol_device, open_engine, revoke_device
from inspect_app.sync.client import SyncAuthError, summary_line, sync_once
from inspect_app.sync.enrolment import DEVICE_URN_PREFIX, make_csr
from tests.hub_server import serve

API = "/api/v1"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """One agency root for the module (making a P-384 key is quick, but not free)."""
    return init_agency(tmp_path_factory.mktemp("agency"), name="平湖市经济和信息化局", short="平经信")


def device_certs(keys):
    return x509.load_pem_x509_certificates((keys / "device_cert.pem").read_bytes())


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    cert.verify_directly_issued_by(issuer)  # raises when not
    return True


def held_crl(keys, root) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl((keys / "revoked" / f"{root.fingerprint[:16]}.crl").read_bytes())


def test_two_devices_enrol_and_a_revocation_reaches_the_other(hub_url, root, devices, tmp_path):
    app = create_app(hub_url, agency=root)
    engine = app.state.engine
    _, token_a = enrol_device(engine, "巡查笔记本-A")
    _, token_b = enrol_device(engine, "巡查笔记本-B")
    a, b = devices.new("a"), devices.new("b")
    keys_a, keys_b = tmp_path / "keys-a", tmp_path / "keys-b"
    # B had a key before the agency existed (self-signed); A has none yet and gets one made.
    create_device_key(keys_b, common_name="李明", device_id=b.device_id)
    with serve(app) as url:
        first_a = sync_once(a, url, token_a, keys_dir=keys_a)
        first_b = sync_once(b, url, token_b, keys_dir=keys_b)
        assert first_a.enrolment == first_b.enrolment == "enrolled"
        assert "机构签发的设备证书" in summary_line(first_a)
        cert_a, chain_a = device_certs(keys_a)
        cert_b, chain_b = device_certs(keys_b)
        assert chain_a == chain_b == root.certificate
        assert issued_by(cert_a, root.certificate) and issued_by(cert_b, root.certificate)
        assert cert_a.serial_number != cert_b.serial_number
        assert cert_a.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "巡查笔记本-A"
        assert cert_a.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == root.name
        san = cert_b.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.UniformResourceIdentifier) == [DEVICE_URN_PREFIX + b.device_id]
        assert cert_a.not_valid_after_utc - cert_a.not_valid_before_utc >= timedelta(days=3 * 365)
        private_a = serialization.load_pem_private_key((keys_a / "device_key.pem").read_bytes(), None)
        assert cert_a.public_key() == private_a.public_key()
        assert stat.S_IMODE((keys_a / "device_key.pem").stat().st_mode) == 0o600
        for keys in (keys_a, keys_b):
            trusted = keys / "trusted" / f"agency-{root.fingerprint[:16]}.pem"
            assert x509.load_pem_x509_certificate(trusted.read_bytes()) == root.certificate
            assert list(held_crl(keys, root)) == []

        again = sync_once(b, url, token_b, keys_dir=keys_b)  # nothing to ask, the list unchanged (304)
        assert again.enrolment == "" and not again.crl_updated
        assert device_certs(keys_b)[0] == cert_b

        revoke_device(engine, "巡查笔记本-A")
        after = sync_once(b, url, token_b, keys_dir=keys_b)
        assert after.crl_updated
        [entry] = list(held_crl(keys_b, root))
        assert entry.serial_number == cert_a.serial_number
        assert datetime.now(UTC) - entry.revocation_date_utc < timedelta(minutes=5)
        assert held_crl(keys_b, root).is_signature_valid(root.certificate.public_key())
        with pytest.raises(SyncAuthError):  # the revoked device's token is refused as before
            sync_once(a, url, token_a, keys_dir=keys_a)
    with engine.connect() as conn:
        rows = conn.execute(select(device_certificate)).all()
    assert len(rows) == 2 and sum(row.revoked_at is not None for row in rows) == 1
    engine.dispose()


def test_a_new_key_is_certified_at_the_next_sync_and_a_lost_answer_gets_the_same_certificate(root, devices,
                                                                                            tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}", agency=root)
    name = "平湖经济开发区小微企业园巡查笔记本" * 5  # 85 characters: a certificate's name holds 64
    _, token = enrol_device(app.state.engine, name)
    store, keys = devices.new("a"), tmp_path / "keys"
    with serve(app) as url:
        assert sync_once(store, url, token, keys_dir=keys).enrolment == "enrolled"
        first = device_certs(keys)[0]
        assert first.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name[:21]  # 64 UTF-8 bytes
        # The same key asking again (an answer lost on the way) gets the same certificate back.
        private_key = serialization.load_pem_private_key((keys / "device_key.pem").read_bytes(), None)
        answer = httpx.post(f"{url}{API}/agency/enrol", headers={"Authorization": f"Bearer {token}"},
                            json={"csr": make_csr(private_key, name, store.device_id)})
        assert answer.status_code == 200
        assert x509.load_pem_x509_certificate(answer.json()["certificate"].encode()) == first
        # `keys init --force`: a new self-signed key, certified at the next sync.
        create_device_key(keys, common_name="李明", device_id=store.device_id, force=True)
        assert sync_once(store, url, token, keys_dir=keys).enrolment == "enrolled"
        second = device_certs(keys)[0]
        assert second.serial_number != first.serial_number
        assert issued_by(second, root.certificate)
    app.state.engine.dispose()


def _csr(key, name: str, device_id: str) -> str:
    return make_csr(key, name, device_id)


def test_hostile_certificate_requests_are_refused_with_codes_and_write_nothing(root, devices, tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}", agency=root)
    engine = app.state.engine
    _, token = enrol_device(engine, "laptop")
    enrol_device(engine, "other-laptop")
    store = devices.new("a")
    key = ec.generate_private_key(ec.SECP256R1())
    good = _csr(key, "laptop", store.device_id)
    der = bytearray(x509.load_pem_x509_csr(good.encode()).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the signature's last byte: still a CSR, no longer signed by its key
    forged = (b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der))
              + b"-----END CERTIFICATE REQUEST-----\n").decode()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p384 = ec.generate_private_key(ec.SECP384R1())
    two_names = (x509.CertificateSigningRequestBuilder()
                 .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "laptop")]))
                 .add_extension(x509.SubjectAlternativeName([
                     x509.UniformResourceIdentifier(DEVICE_URN_PREFIX + store.device_id),
                     x509.DNSName("hub.example")]), critical=False)
                 .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    headers = {"Authorization": f"Bearer {token}"}
    with serve(app) as url:
        def enrol(body, **kwargs):
            return httpx.post(f"{url}{API}/agency/enrol", headers=headers, json=body, **kwargs)

        def code(response) -> str:
            return response.json()["detail"]["code"]

        answer = enrol({"csr": _csr(key, "other-laptop", store.device_id)})  # another device's name
        assert answer.status_code == 403 and code(answer) == "csr_other_device"
        answer = enrol({"csr": forged})
        assert answer.status_code == 422 and code(answer) == "csr_signature"
        answer = enrol({"csr": _csr(weak, "laptop", store.device_id)})
        assert answer.status_code == 422 and code(answer) == "weak_key" and "1024" in answer.json()["detail"]["message"]
        answer = enrol({"csr": _csr(p384, "laptop", store.device_id)})
        assert answer.status_code == 422 and code(answer) == "weak_key"
        answer = enrol({"csr": two_names})
        assert answer.status_code == 422 and code(answer) == "csr_device_id"
        answer = enrol({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nnonsense\n"})
        assert answer.status_code == 422 and code(answer) == "csr_unreadable"
        answer = enrol({"csr": "A" * 9000})
        assert answer.status_code == 413 and code(answer) == "csr_too_large"
        answer = httpx.post(f"{url}{API}/agency/enrol", headers={**headers, "Content-Type": "application/json"},
                            content=b'{"csr": "' + b"A" * 40_000 + b'"}')
        assert answer.status_code == 413  # refused before the body is read
        assert enrol({"csr": good, "extra": 1}).status_code == 422
        assert httpx.post(f"{url}{API}/agency/enrol", json={"csr": good}).status_code == 401
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(device_certificate)).scalar_one() == 0
        # A request binds the token to its device id as a first push does; from then on another id is refused.
        assert enrol({"csr": good}).status_code == 200
        answer = enrol({"csr": _csr(key, "laptop", "ffffffffffff")})
        assert answer.status_code == 403 and code(answer) == "device_id_taken"
        assert sync_once(store, url, token).enrolment == ""  # the same device syncs on; no keys folder: data only
    engine.dispose()


def test_a_hub_without_an_agency_still_syncs_and_the_device_keeps_its_own_key(devices, tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}")
    _, token = enrol_device(app.state.engine, "laptop")
    store, keys = devices.new("a"), tmp_path / "keys"
    create_device_key(keys, common_name="李明", device_id=store.device_id)
    before = (keys / "device_cert.pem").read_bytes()
    with serve(app) as url:
        summary = sync_once(store, url, token, keys_dir=keys)
        assert summary.enrolment == "" and not summary.crl_updated
        headers = {"Authorization": f"Bearer {token}"}
        for method, path in (("POST", "/agency/enrol"), ("GET", "/agency/root"), ("GET", "/agency/crl")):
            answer = httpx.request(method, f"{url}{API}{path}", headers=headers, json={"csr": "x"})
            assert answer.status_code == 404 and answer.json()["detail"]["code"] == "no_agency"
        assert httpx.get(f"{url}{API}/me", headers=headers).json()["agency_root"] is None
    assert (keys / "device_cert.pem").read_bytes() == before
    assert not (keys / "trusted").exists()
    app.state.engine.dispose()


def test_a_failed_enrolment_never_fails_the_data_sync(root, devices, tmp_path, monkeypatch):
    from inspect_app.hub import certificates as hub_certificates

    monkeypatch.setattr(hub_certificates, "MAX_CERTIFICATES_PER_DEVICE", 0)
    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}", agency=root)
    _, token = enrol_device(app.state.engine, "laptop")
    store, keys = devices.new("a"), tmp_path / "keys"
    with serve(app) as url:
        summary = sync_once(store, url, token, keys_dir=keys)
    assert summary.enrolment == "failed" and "certificate_limit" in summary.enrolment_problem
    assert "未能获得机构证书" in summary_line(summary)
    [cert] = device_certs(keys)  # its own self-signed key, made for it, kept
    assert cert.issuer == cert.subject
    assert list(held_crl(keys, root)) == []  # the root and its list came all the same
    app.state.engine.dispose()


def test_the_device_keeps_only_lists_the_root_signed_and_never_an_older_one(root, tmp_path):
    from inspect_app.sync.enrolment import EnrolmentError, store_crl

    now = datetime.now(UTC)
    newer = certificates_crl(root, [(7, now)], now)
    older = certificates_crl(root, [], now - timedelta(hours=1))
    assert store_crl(tmp_path, newer, root.certificate)
    assert not store_crl(tmp_path, older, root.certificate)
    assert [e.serial_number for e in held_crl(tmp_path, root)] == [7]
    other = init_agency(tmp_path / "other", name="别的机构", short="别")
    with pytest.raises(EnrolmentError):
        store_crl(tmp_path, certificates_crl(other, [], now), root.certificate)


def certificates_crl(root, revoked, now) -> bytes:
    from inspect_app.hub.agency import build_crl

    return build_crl(root, revoked, now)


def test_agency_init_keeps_the_key_private_encrypted_and_out_of_backups(tmp_path, capsys, monkeypatch):
    hub_db = tmp_path / "hub" / "hub.db"
    folder = tmp_path / "hub" / "agency"  # beside a SQLite hub database by default
    monkeypatch.setenv("OFFICE_PASSPHRASE", "correct horse battery staple")
    assert main(["hub", "agency", "init", "--name", "平湖市经济和信息化局", "--short", "平经信",
                 "--passphrase-env", "OFFICE_PASSPHRASE", "--hub-db", str(hub_db)]) == 0
    out = capsys.readouterr().out
    assert "平湖市经济和信息化局" in out and "口令保护" in out
    key_file = folder / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    assert load_agency(folder).private_key is None  # no passphrase: shown and exported, never signing
    assert load_agency(folder, b"correct horse battery staple").private_key is not None

    assert main(["hub", "agency", "init", "--name", "X", "--short", "X", "--hub-db", str(hub_db)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["hub", "agency", "init", "--name", "浙江省嘉兴市平湖市经济和信息化局安全生产监督管理科", "--short", "X",
                 "--hub-db", str(hub_db), "--force"]) == 2  # 75 bytes: more than a certificate's name holds
    assert "64 字节" in capsys.readouterr().err
    assert main(["hub", "agency", "init", "--name", "X", "--short", "X", "--passphrase-env", "UNSET_VARIABLE_X",
                 "--hub-db", str(hub_db), "--force"]) == 2
    assert "UNSET_VARIABLE_X" in capsys.readouterr().err

    exported = tmp_path / "root.pem"
    assert main(["hub", "agency", "cert", "-o", str(exported), "--hub-db", str(hub_db)]) == 0
    assert exported.read_bytes() == (folder / CERT_FILE).read_bytes()
    assert main(["hub", "agency", "cert", "-o", str(exported), "--hub-db", str(hub_db)]) == 2
    capsys.readouterr()
    assert main(["--lang", "en", "hub", "agency", "show", "--hub-db", str(hub_db)]) == 0
    shown = capsys.readouterr().out
    root_cert = x509.load_pem_x509_certificate(exported.read_bytes())
    assert fingerprint(root_cert) in shown and "protected by a passphrase" in shown
    assert "Devices holding a valid certificate: 0" in shown
    constraints = root_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    assert root_cert.subject.get_attributes_for_oid(NameOID.PSEUDONYM)[0].value == "平经信"

    # Without a passphrase the key file is plain PEM: its secret must not be in a backup either.
    plain = init_agency(tmp_path / "plain", name="平湖市经济和信息化局", short="平经信")
    secret = plain.private_key.private_numbers().private_value.to_bytes(48, "big")
    backup_file = tmp_path / "hub-backup.db"
    assert main(["hub", "device", "add", "laptop", "--hub-db", str(hub_db)]) == 0
    assert main(["hub", "backup", str(backup_file), "--hub-db", str(hub_db)]) == 0
    data = backup_file.read_bytes()
    for folder_key in (key_file.read_bytes(), (tmp_path / "plain" / KEY_FILE).read_bytes()):
        assert folder_key not in data and folder_key[40:90] not in data
    assert secret not in data


def test_revoke_signs_the_list_when_the_key_opens_and_promises_it_otherwise(root, tmp_path, capsys, monkeypatch):
    hub_db = tmp_path / "hub.db"
    folder = tmp_path / "agency"
    monkeypatch.setenv("PARKINSPECT_AGENCY_PASSPHRASE", "s3cret")
    assert main(["hub", "agency", "init", "--name", "平湖市经济和信息化局", "--short", "平经信",
                 "--hub-db", str(hub_db)]) == 0
    opened = load_agency(folder, b"s3cret")
    engine = open_engine(f"sqlite:///{hub_db}")
    devices_ = [enrol_device(engine, name)[0] for name in ("a", "b")]
    key = ec.generate_private_key(ec.SECP256R1())
    with engine.begin() as conn:  # as the enrolment endpoint records them
        for hub_device in devices_:
            csr = x509.load_pem_x509_csr(make_csr(key, hub_device.name, f"dev{hub_device.name}").encode())
            cert = issue_device_certificate(opened, csr, device_name=hub_device.name,
                                                         device_id=f"dev{hub_device.name}")
            certificates.record(conn, hub_device, opened, cert, datetime.now(UTC))
    capsys.readouterr()

    monkeypatch.delenv("PARKINSPECT_AGENCY_PASSPHRASE")
    assert main(["hub", "device", "revoke", "a", "--hub-db", str(hub_db)]) == 0
    out = capsys.readouterr().out
    assert "吊销" in out and "下次 hub serve" in out and not (folder / CRL_FILE).exists()
    assert main(["hub", "serve", "--db", str(hub_db), "--port", "1"]) == 2  # a locked key: refused at once
    assert "PARKINSPECT_AGENCY_PASSPHRASE" in capsys.readouterr().err

    monkeypatch.setenv("PARKINSPECT_AGENCY_PASSPHRASE", "s3cret")
    assert main(["hub", "device", "revoke", "b", "--hub-db", str(hub_db)]) == 0
    assert str(folder / CRL_FILE) in capsys.readouterr().out
    crl = x509.load_der_x509_crl((folder / CRL_FILE).read_bytes())
    assert len(list(crl)) == 2 and crl.is_signature_valid(opened.certificate.public_key())

    # A hub put back from a backup keeps its revocations: the list is built from its database again.
    backup_file = tmp_path / "backup.db"
    backup(f"sqlite:///{hub_db}", backup_file)
    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    restore(restored_url, backup_file)
    restored = open_engine(restored_url)
    body, _ = CrlCache(restored, opened).current()
    assert {e.serial_number for e in x509.load_der_x509_crl(body)} == {e.serial_number for e in crl}
    restored.dispose()
    engine.dispose()


def test_a_notice_signed_after_enrolment_carries_the_agency_certified_device_certificate(root, store, park,
                                                                                          tmp_path):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from sqlmodel import select as sql_select

    from db.models import Notice
    from forms.inspector import InspectorInput
    from inspect_app.services.notices import Agency, issue_rectification_notice
    from inspect_app.services.profile import save_profile
    from tests.test_notices import hazards_of_a_tenant

    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}", agency=root)
    _, token = enrol_device(app.state.engine, "巡查笔记本-1")
    keys = tmp_path / "keys"
    with serve(app) as url:
        assert sync_once(store, url, token, keys_dir=keys).enrolment == "enrolled"
    app.state.engine.dispose()
    inspector = save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency=root.name))
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=Agency(name=root.name, short="平经信安整"),
                                        keys_dir=keys, now=datetime.now(UTC))
    with store.read() as session:
        pdf = session.exec(sql_select(Notice).where(Notice.number == issued.number)).one().pdf
    [signature] = PdfFileReader(BytesIO(pdf)).embedded_signatures
    signer = x509.load_der_x509_certificate(signature.signer_cert.dump())
    assert signer == device_certs(keys)[0]
    assert issued_by(signer, root.certificate)
    san = signer.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [DEVICE_URN_PREFIX + store.device_id]
    from exports.notice_pdf import read_embedded
    from exports.signing import TrustStore, verify_pdf

    assert verify_pdf(pdf, TrustStore.from_directory(keys), read_embedded).status == "authentic"


def test_parkinspect_sync_certifies_the_key_in_the_keys_folder(root, devices, tmp_path, capsys):
    from inspect_app import config

    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}", agency=root)
    _, token = enrol_device(app.state.engine, "巡查笔记本-1")
    laptop = devices.new("a")
    with serve(app) as url:
        assert main(["--db", str(laptop.path), "sync", "--hub", url, f"--token={token}"]) == 0
    assert "已获得机构签发的设备证书" in capsys.readouterr().out
    cert, chain = device_certs(config.keys_dir())
    assert chain == root.certificate and issued_by(cert, root.certificate)
    assert (config.keys_dir() / "revoked" / f"{root.fingerprint[:16]}.crl").exists()
    app.state.engine.dispose()
