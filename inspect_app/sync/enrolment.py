"""The device's side of the agency PKI at each sync (docs/SYNC.md, "Agency"): a device certificate for
its signing key, the agency root as a trusted root, and the agency's revocation list.

Files in the keys folder (Settings.keys_dir of inspect_app/config.py, passed to sync_once by the CLI and the TUI):

    device_key.pem                 the device's private key (made here when there is none yet)
    device_cert.pem                the device certificate the hub issued, then the agency root (PEM)
    trusted/agency-<fp16>.pem      the agency root: notices of every device it certified verify here
    revoked/<root fp16>.crl        the agency's CRL (DER), replaced only by one the root signed whose
                                   last_update is not older than the one held

Nothing here is trusted because the hub said so alone: a certificate is stored only when the root
the hub's /me names signed it and it certifies this device's own key; a CRL only when that root
signed it. This module imports neither the services nor the hub (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from db.durable import write_durably
from exports.signing import SigningError, create_device_key
from exports.signing.keys import CERT_FILE, KEY_FILE, fingerprint, issued_by
from exports.signing.trust import REVOKED_DIR, TRUSTED_DIR

log = logging.getLogger(__name__)

DEVICE_URN_PREFIX = "urn:parkinspect:device:"
MAX_CN_BYTES = 64  # X.509's bound for a common name, which cryptography counts in UTF-8 bytes
RENEW_BEFORE = timedelta(days=30)  # a certificate this close to its end is renewed at the next sync


class EnrolmentError(ValueError):
    """What the hub handed back does not hold up (a wrong root, someone else's key, a bad signature)."""


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_name(name: str, limit: int = MAX_CN_BYTES) -> str:
    """`name` cut to `limit` UTF-8 bytes on a character boundary (a Chinese character is 3 bytes): the
    common name of the request and of the certificate (the hub cuts a long device name the same way)."""
    return name.encode("utf-8")[:limit].decode("utf-8", "ignore")


def create_key(keys_dir: Path, name: str, device_id: str) -> None:
    """The one place a sync makes this device's signing key (when it has none yet)."""
    try:  # create_device_key fits the name and the device id it appends within the certificate's bounds
        create_device_key(keys_dir, common_name=name, device_id=device_id)
    except SigningError as exc:  # e.g. a certificate file without its key: a person looks at it
        raise EnrolmentError(f"no signing key could be made in {keys_dir}: {exc.kind}") from exc


def load_key(keys_dir: Path):
    """(private key, certificates of device_cert.pem) or None when there is no key; ValueError/OSError
    when the files cannot be read."""
    key_path, cert_path = keys_dir / KEY_FILE, keys_dir / CERT_FILE
    if not key_path.exists():
        return None
    private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    certs = x509.load_pem_x509_certificates(cert_path.read_bytes()) if cert_path.exists() else []
    return private_key, certs


def _is_agency_issued(cert: x509.Certificate) -> bool:
    """A certificate a ParkInspect hub issued carries the device URN (hub/agency.py)."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return any(uri.startswith(DEVICE_URN_PREFIX) for uri in names.get_values_for_type(x509.UniformResourceIdentifier))


def needs_certificate(private_key, certs: list[x509.Certificate], root_fp: str, now: datetime) -> bool:
    """Ask the hub for a certificate? When the key has none that matches it, or only a self-signed one,
    or one an agency hub issued under another root or ending within RENEW_BEFORE. A certificate some
    other authority issued (a .p12 imported by hand) is the office's choice and is left alone."""
    if not certs or _spki(certs[0].public_key()) != _spki(private_key.public_key()):
        return True
    cert = certs[0]
    if cert.issuer == cert.subject:
        return True
    if not _is_agency_issued(cert):
        return False
    chain_root = certs[1] if len(certs) > 1 else None
    return chain_root is None or fingerprint(chain_root) != root_fp or cert.not_valid_after_utc - now < RENEW_BEFORE


def make_csr(private_key, name: str, device_id: str) -> str:
    """The certificate request (PEM): CN = the device's name on the hub, SAN = its device URN, signed by
    its key (the proof that it holds the key)."""
    builder = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, certificate_name(name))]))
               .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(DEVICE_URN_PREFIX + device_id)]),
                              critical=False))
    return builder.sign(private_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii")


def check_root(root_pem: bytes, root_fp: str) -> x509.Certificate:
    """The root certificate in `root_pem`, when it is the one /me named and a CA signed by itself."""
    try:
        root = x509.load_pem_x509_certificate(root_pem)
        constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise EnrolmentError("the agency root is not a CA certificate") from exc
    if fingerprint(root) != root_fp or not constraints.ca or not issued_by(root, root):
        raise EnrolmentError("the agency root is not the one the hub names")
    return root


def trusted_root_path(keys_dir: Path, root_fp: str) -> Path:
    return keys_dir / TRUSTED_DIR / f"agency-{root_fp[:16]}.pem"


def held_root(keys_dir: Path, root_fp: str) -> x509.Certificate | None:
    """The agency root stored here earlier, when it is still the one the hub names."""
    path = trusted_root_path(keys_dir, root_fp)
    try:
        return check_root(path.read_bytes(), root_fp)
    except (OSError, EnrolmentError):
        return None


def store_root(keys_dir: Path, root: x509.Certificate) -> None:
    path = trusted_root_path(keys_dir, fingerprint(root))
    pem = root.public_bytes(serialization.Encoding.PEM)
    if not path.exists() or path.read_bytes() != pem:
        write_durably(path, pem)


def store_certificate(keys_dir: Path, private_key, cert_pem: bytes, root: x509.Certificate) -> x509.Certificate:
    """device_cert.pem = the issued certificate, then the root; only when the root signed it and it
    certifies this device's key (read again now: a `keys init --force` meanwhile wins)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    if not issued_by(cert, root):
        raise EnrolmentError("the device certificate is not signed by the agency root")
    current = serialization.load_pem_private_key((keys_dir / KEY_FILE).read_bytes(), password=None)
    if _spki(cert.public_key()) != _spki(private_key.public_key()) or \
            _spki(current.public_key()) != _spki(private_key.public_key()):
        raise EnrolmentError("the device certificate is not for this device's key")
    write_durably(keys_dir / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM)
                  + root.public_bytes(serialization.Encoding.PEM))
    store_root(keys_dir, root)
    log.info("device certificate %s issued by agency root %s stored", fingerprint(cert), fingerprint(root))
    return cert


def crl_path(keys_dir: Path, root_fp: str) -> Path:
    return keys_dir / REVOKED_DIR / f"{root_fp[:16]}.crl"


def crl_etag(keys_dir: Path, root_fp: str) -> str | None:
    """The If-None-Match of the list held here (the hub's ETag is the list's quoted sha256)."""
    try:
        return f'"{hashlib.sha256(crl_path(keys_dir, root_fp).read_bytes()).hexdigest()}"'
    except OSError:
        return None


def store_crl(keys_dir: Path, crl_der: bytes, root: x509.Certificate) -> bool:
    """Keep the CRL when the root signed it and it is not older than the one held; True when stored."""
    try:
        crl = x509.load_der_x509_crl(crl_der)
        signed = crl.issuer == root.subject and crl.is_signature_valid(root.public_key())
    except (ValueError, TypeError) as exc:
        raise EnrolmentError("the revocation list cannot be read") from exc
    if not signed:
        raise EnrolmentError("the revocation list is not signed by the agency root")
    path = crl_path(keys_dir, fingerprint(root))
    try:
        held = x509.load_der_x509_crl(path.read_bytes())
    except (OSError, ValueError):
        held = None
    if held is not None and held.last_update_utc > crl.last_update_utc:
        log.warning("the hub's revocation list is older than the one held here; kept the one held")
        return False
    write_durably(path, crl_der)
    return True


def now_utc() -> datetime:
    return datetime.now(UTC)
