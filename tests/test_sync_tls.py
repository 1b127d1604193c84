"""A sync through HTTPS, as laptops reach a hub behind a TLS proxy (docs/DEPLOY.md).

The hub here serves TLS itself with a certificate from an office's own certificate authority. A
laptop that does not trust that authority refuses the hub at once, says why, and sends nothing;
with the authority's file named by SSL_CERT_FILE the same sync goes through.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from inspect_app.hub.app import create_app
from inspect_app.hub.storage import enrol_device
from inspect_app.sync.changes import push_cursor
from inspect_app.sync.client import SyncNetworkError, sync_once
from tests.hub_server import serve
from tests.new_files import new_sqlite_hub
from tests.test_sync_merge import make_park, make_tenant


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path) -> tuple[Path, tuple[str, str]]:
    """An office's certificate authority (its file) and the hub's certificate for 127.0.0.1 signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("平湖应急管理局 CA")).issuer_name(_name("平湖应急管理局 CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    hub_key = ec.generate_private_key(ec.SECP256R1())
    hub = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
           .public_key(hub_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
           .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                          critical=False)
           .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
           .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "office-ca.pem", folder / "hub.pem", folder / "hub-key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(hub.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(hub_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return ca_file, (str(cert_file), str(key_file))


def hub_changes(app, row_id: str | None = None) -> int:
    """The changes the hub holds (of one row)."""
    with app.state.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM change WHERE :row IS NULL OR row_id = :row"),
                            {"row": row_id}).scalar_one()


@pytest.fixture
def https_hub(tmp_path):
    ca_file, tls = make_certificates(tmp_path)
    app = create_app(new_sqlite_hub(tmp_path / "hub.db"))
    with serve(app, tls=tls) as url:
        yield app, url, ca_file


def test_a_hub_whose_certificate_is_not_trusted_is_refused_at_once_and_nothing_is_sent(https_hub, store, monkeypatch):
    app, url, _ = https_hub
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    make_tenant(store, make_park(store).id)
    token = enrol_device(app.state.engine, "laptop")[1]
    waits: list[float] = []

    with pytest.raises(SyncNetworkError) as refused:
        sync_once(store, url, token, sleep=waits.append)

    assert refused.value.key == "sync.certificate_untrusted"
    assert url in refused.value.message("en") and "does not trust" in refused.value.message("en")
    assert "证书不受本机信任" in refused.value.message("zh_CN")
    assert waits == []  # not retried: waiting does not make a certificate trusted
    assert push_cursor(store, url) == (0, 0)
    assert hub_changes(app) == 0


def test_with_the_offices_authority_trusted_the_same_sync_goes_through(https_hub, store, monkeypatch):
    app, url, ca_file = https_hub
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    tenant = make_tenant(store, make_park(store).id)
    token = enrol_device(app.state.engine, "laptop")[1]

    summary = sync_once(store, url, token)

    assert summary.pushed == 2 and summary.rejected == 0  # the park and its tenant
    assert hub_changes(app) == 2 and hub_changes(app, tenant.id) == 1
