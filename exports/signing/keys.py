"""This device's signing key and certificate: create, import, load, describe.

Key material lives in one folder (`Settings.keys_dir` of `inspect_app/config.py`, by default
`<platform data dir>/keys/`, `PARKINSPECT_KEYS_DIR` overrides it), independent of any database, so
an office PC with no database at all can verify:

    device_key.pem    the private key, PKCS#8 PEM, unencrypted, file mode 0600 where the OS has modes
    device_cert.pem   this device's X.509 certificate (PEM) FIRST, then its chain: after enrolment
                      with the hub, the agency root certificate (self-signed, CA:TRUE); after
                      `keys import`, the chain certificates of the .p12
    trusted/          trusted certificates, *.pem, *.crt, *.cer (PEM or DER): agency roots
                      (`trusted/agency-<fp16>.pem` after enrolment) or single device certificates
    certs/            certificates known here but not trusted by themselves (device certificates of
                      colleagues): they only name a signer whose chain must still reach a trusted root
    revoked/          X.509 CRLs (*.crl, DER or PEM) signed by an agency root (exports/signing/trust.py)

`create_device_key` (called from one place, inspect_app/services/keys.py) makes an ECDSA P-256 key with
a self-signed certificate (10 years, key usage digitalSignature + nonRepudiation, CN = inspector or
agency + device id); the hub later replaces the certificate by one its agency root signs (same key);
`keys import` takes a key and certificate issued by the agency (.p12, RSA or EC). A certificate's
*fingerprint* is the SHA-256 of its DER encoding in lowercase hex (64 characters); its *short
fingerprint* is the first 16 of those.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from exports.signing.der import is_der

log = logging.getLogger(__name__)

KEY_FILE = "device_key.pem"
CERT_FILE = "device_cert.pem"
CERT_VALIDITY = timedelta(days=3652)  # ten years
SHORT_FINGERPRINT_LENGTH = 16


class SigningError(Exception):
    """A refusal about key material; `kind` is a catalogue key under `signing.error.`."""

    def __init__(self, kind: str, **values: object):
        super().__init__(kind, values)
        self.kind = kind
        self.values = values


class KeyExistsError(SigningError):
    def __init__(self, directory: Path):
        super().__init__("key_exists", directory=str(directory))





def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lowercase hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def short_fingerprint(full: str) -> str:
    return full[:SHORT_FINGERPRINT_LENGTH]


def _name_value(name: x509.Name, oid) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def display_name(name: x509.Name) -> str:
    """`CN / O` when both are there (what a person reads), else RFC 4514."""
    parts = [value for value in (_name_value(name, NameOID.COMMON_NAME),
                                 _name_value(name, NameOID.ORGANIZATION_NAME)) if value]
    return " / ".join(parts) if parts else name.rfc4514_string()


def _key_type(public_key) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    return type(public_key).__name__


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    short_fingerprint: str
    subject: str  # for people: CN / O
    subject_rfc4514: str
    issuer: str
    not_before: datetime
    not_after: datetime
    key_type: str
    self_signed: bool
    ca: bool = False

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> KeyInfo:
        full = fingerprint(cert)
        return cls(
            fingerprint=full,
            short_fingerprint=short_fingerprint(full),
            subject=display_name(cert.subject),
            subject_rfc4514=cert.subject.rfc4514_string(),
            issuer=display_name(cert.issuer),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_type=_key_type(cert.public_key()),
            self_signed=cert.issuer == cert.subject,
            ca=is_ca(cert),
        )

    def as_json(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "short_fingerprint": self.short_fingerprint,
            "subject": self.subject,
            "subject_rfc4514": self.subject_rfc4514,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "key_type": self.key_type,
            "self_signed": self.self_signed,
            "ca": self.ca,
        }


class DeviceKey:
    """This device's private key and certificate (plus chain certificates from a .p12)."""

    def __init__(self, private_key, certificate: x509.Certificate, chain: Iterable[x509.Certificate] = ()):
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise SigningError("unsupported_key", key_type=type(private_key).__name__)
        self.private_key = private_key
        self.certificate = certificate
        self.chain = tuple(chain)
        # what sign_pdf embeds: the chain certificates that actually link the certificate upwards
        self.embedded_chain = tuple(linked_chain(certificate, self.chain))
        self.info = KeyInfo.from_certificate(certificate)
        self._signer = None

    @property
    def fingerprint(self) -> str:
        return self.info.fingerprint

    @property
    def short_fingerprint(self) -> str:
        return self.info.short_fingerprint

    @property
    def subject(self) -> str:
        return self.info.subject

    @property
    def not_after(self) -> datetime:
        return self.info.not_after

    def sign_bytes(self, message: bytes) -> bytes:
        """The QR signature: raw r||s for EC keys, PKCS#1 v1.5 for RSA keys, SHA-256 either way."""
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.private_key.sign(message, ec.ECDSA(hashes.SHA256())))
            size = _curve_bytes(self.private_key.curve)
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def pyhanko_signer(self):
        """A pyHanko SimpleSigner for this key (built once: converting the key costs a little).

        The CMS blob carries the signing certificate and its chain (`embedded_chain`), nothing
        else: verify_pdf accepts exactly that.
        """
        if self._signer is None:
            # pyHanko and its asn1crypto: only when a PDF is signed
            from asn1crypto import keys as asn1_keys
            from asn1crypto import x509 as asn1_x509
            from pyhanko.sign import signers
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            der_key = self.private_key.private_bytes(serialization.Encoding.DER,
                                                     serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
            cert = asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))
            registry = SimpleCertificateStore()
            registry.register_multiple(asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                                       for c in self.embedded_chain)
            self._signer = signers.SimpleSigner(signing_cert=cert,
                                                signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
                                                cert_registry=registry)
        return self._signer


def linked_chain(leaf: x509.Certificate, candidates: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """The certificates among `candidates` that issued `leaf`, then its issuer, ... (name and signature
    checked; each used once): the chain in order, without unrelated certificates."""
    pool, chain, current = list(candidates), [], leaf
    while current.issuer != current.subject:
        issuer = next((c for c in pool if c.subject == current.issuer and issued_by(current, c)), None)
        if issuer is None:
            break
        pool.remove(issuer)
        chain.append(issuer)
        current = issuer
    return chain


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """`issuer`'s key signed `cert` and the names match (cryptography's verify_directly_issued_by)."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    """Basic constraints CA:TRUE and, when a key usage is given, keyCertSign."""
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def _curve_bytes(curve: ec.EllipticCurve) -> int:
    return (curve.key_size + 7) // 8


# --- key files ----------------------------------------------------------------------------------


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Write through a temporary file in the same folder, then rename: never half a key."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, mode)  # mkstemp makes it 0600 already; chmod for the certificate's 0644
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prepare_directory(directory: Path, force: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(directory, 0o700)
    except OSError:  # not the owner, or a file system without modes
        pass
    if not force and ((directory / KEY_FILE).exists() or (directory / CERT_FILE).exists()):
        raise KeyExistsError(directory)


def _store_key(directory: Path, private_key, certificate: x509.Certificate,
               chain: Iterable[x509.Certificate] = ()) -> None:
    key_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    cert_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, *chain))
    write_file(directory / KEY_FILE, key_pem, 0o600)
    write_file(directory / CERT_FILE, cert_pem, 0o644)


def _fit(text: str, limit: int) -> str:
    """`text` within `limit` UTF-8 bytes (cryptography bounds a name attribute by bytes, and a Chinese
    character takes three), cut on a character boundary with "…" when it is longer."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    return text.encode("utf-8")[:room].decode("utf-8", "ignore") + "…"


def create_device_key(directory: Path | str, *, common_name: str, organisation: str | None = None,
                      device_id: str = "", force: bool = False,
                      now: datetime | None = None) -> KeyInfo:
    """A new ECDSA P-256 key and a self-signed certificate for it; refuses to replace a key unless `force`."""
    directory = Path(directory)
    _prepare_directory(directory, force)
    suffix = f" ({device_id})" if device_id else ""
    cn = _fit((common_name or "ParkInspect").strip() or "ParkInspect", 64 - len(suffix.encode())) + suffix
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if organisation and organisation.strip():
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation.strip(), 64)))
    name = x509.Name(attributes)
    key = ec.generate_private_key(ec.SECP256R1())
    start = (now or datetime.now(UTC)).replace(microsecond=0) - timedelta(minutes=5)  # clock skew
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _store_key(directory, key, certificate)
    log.info("created device key %s in %s", fingerprint(certificate), directory)
    return KeyInfo.from_certificate(certificate)


def import_p12(directory: Path | str, p12_path: Path | str, password: bytes | None, *,
               force: bool = False) -> KeyInfo:
    """Take the key and certificate in a PKCS#12 file issued by the agency (RSA or EC)."""
    directory = Path(directory)
    try:
        data = Path(p12_path).read_bytes()
    except OSError as exc:
        raise SigningError("p12_unreadable_file", file=str(p12_path), reason=exc.strerror or str(exc)) from exc
    try:
        private_key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError) as exc:  # wrong password and malformed files look alike here
        raise SigningError("p12_invalid", file=str(p12_path)) from exc
    if private_key is None or certificate is None:
        raise SigningError("p12_incomplete", file=str(p12_path))
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningError("unsupported_key", key_type=type(private_key).__name__)
    if certificate.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) != \
            private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SigningError("p12_key_mismatch", file=str(p12_path))
    for cert in (certificate, *(chain or ())):
        if not is_der(cert.public_bytes(serialization.Encoding.DER)):
            # verify_pdf insists on DER throughout the signature blob, certificates included
            raise SigningError("p12_not_der", file=str(p12_path), subject=display_name(cert.subject))
    _prepare_directory(directory, force)
    _store_key(directory, private_key, certificate, chain or ())
    log.info("imported device key %s into %s", fingerprint(certificate), directory)
    return KeyInfo.from_certificate(certificate)


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM bytes (in order), or the one of DER bytes; ValueError otherwise."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def load_device_key(directory: Path | str) -> DeviceKey | None:
    """This device's key, or None when there is none yet. A damaged key file raises SigningError."""
    directory = Path(directory)
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    if not key_path.exists() and not cert_path.exists():
        return None
    try:
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        certificates = load_certificates(cert_path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError("key_unreadable", directory=str(directory)) from exc
    return DeviceKey(private_key, certificates[0], certificates[1:])


def key_info(directory: Path | str) -> KeyInfo | None:
    key = load_device_key(directory)
    return key.info if key else None

