"""Device keys, the QR payload and the PAdES signature of an issued notice; verifying both.

Two independent proofs travel with every notice (issue 5, part 4):

(a) **The QR code** printed on the page. Anyone with a phone can read it; `parkinspect verify
    --qr TEXT` checks it against this device's trust store, and `verify FILE.pdf` checks it
    against the content embedded in the PDF.
(b) **A PAdES baseline B-B signature** (CMS, `/SubFilter /ETSI.CAdES.detached`, SHA-256) over the
    whole PDF, made with pyHanko, so ordinary PDF tools show who signed and that nothing changed.

Key material (one directory, by default `<platform data dir>/keys/`; the caller passes it):

    device_key.pem    the private key, PKCS#8 PEM, unencrypted, file mode 0600 where the OS has modes
    device_cert.pem   this device's X.509 certificate (PEM), then any chain certificates from a .p12
    trusted/          further certificates whose signatures verify: *.pem, *.crt, *.cer (PEM or DER)

`keys init` makes an ECDSA P-256 key with a self-signed certificate (10 years, key usage
digitalSignature + nonRepudiation, CN = inspector or agency + device id); `keys import` takes a
key and certificate issued by the agency (.p12, RSA or EC). A certificate's *fingerprint* is the
SHA-256 of its DER encoding in lowercase hex (64 characters); its *short fingerprint* is the first
16 of those. Chain certificates in a .p12 are kept in device_cert.pem but neither trusted nor
embedded in signatures: put the agency's CA certificate into a verifier's `trusted/` to accept
every device certificate it issued (PDF signatures only; the QR names one exact certificate, which
must be in the store itself).

QR payload, version 1 — UTF-8 text, six fields separated by "|" (U+007C):

    PI1|<number>|<hash>|<signer>|<time>|<signature>

    PI1        literal version tag
    number     the notice number exactly as in the content, e.g. 平经信安整〔2026〕A07-0012号 (no "|")
    hash       SHA-256 of the canonical content bytes (exports/notice_content.canonical_json),
               base64url without padding: 43 characters
    signer     short fingerprint of the signing certificate: 16 lowercase hex characters
    time       signing time, whole seconds since 1970-01-01T00:00:00Z, in base 36 (0-9a-z, lowercase)
    signature  over the UTF-8 bytes of everything before the last "|" — i.e. over version, number,
               content hash, signer and time, and so (through the hash) over the canonical content:
               ECDSA with SHA-256 as raw r||s, each big-endian padded to the curve size (64 bytes for
               P-256), or RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys; base64url without padding

With a P-256 key the payload is 3 + len(number in UTF-8) + 43 + 16 + 6 + 86 + 5 separators
= 159 bytes + the number (the time takes 6 characters until December 2038, 7 after): a typical
number of 36 UTF-8 bytes gives 195 bytes (QR version 10 at error correction M, byte mode). An
RSA-2048 key makes the signature 342 characters (~450 bytes in all): it verifies the same, but
prints as a denser code.

Verifying never raises on bad input: it returns a `Verification` whose `status` is "authentic",
"not_authentic" or "unreadable" and whose `reason` is a code (see REASONS) that the CLI words.
`verify_pdf` wants both proofs and their agreement: the PAdES signature intact, covering the
whole file (nothing appended), made with a trusted certificate; the bytes it leaves uncovered
(the hex /Contents) exactly the DER CMS blob sign_pdf writes — one SignerInfo, the signer's
certificate only, zero padding — so that no single changed byte anywhere passes; the embedded
notice.json numbered as the QR payload, hashing to its hash, the QR signed by the same certificate.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import io
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from exports.notice_content import EMBEDDED_FILE_NAME, QR_INFO_KEY

log = logging.getLogger(__name__)

KEY_FILE = "device_key.pem"
CERT_FILE = "device_cert.pem"
TRUSTED_DIR = "trusted"
TRUSTED_SUFFIXES = (".pem", ".crt", ".cer")
CERT_VALIDITY = timedelta(days=3652)  # ten years
SIGNATURE_FIELD = "ParkInspect"
QR_VERSION = "PI1"
QR_SEPARATOR = "|"
SHORT_FINGERPRINT_LENGTH = 16
NOTICE_SCHEMA_PREFIX = "parkinspect.notice/"

AUTHENTIC, NOT_AUTHENTIC, UNREADABLE = "authentic", "not_authentic", "unreadable"
REASONS = (
    "ok",  # authentic
    "altered_bytes",  # the PDF's bytes are not the ones that were signed
    "signature_invalid",  # a signature does not verify (or cannot be parsed)
    "modified_after_signing",  # something was appended to the PDF after it was signed
    "no_signature",  # a notice PDF without a PAdES signature
    "unknown_key",  # signed by a certificate that is not in the trust store
    "wrong_hash",  # the content does not have the hash the QR code carries
    "qr_mismatch",  # the QR code belongs to another notice (or is missing from the PDF)
    "signer_mismatch",  # the PDF and the QR code were signed by different certificates
    "not_a_notice",  # readable, but not a ParkInspect notice / payload
    "unsupported_version",  # a payload of a later format than this program knows
    "unreadable",  # empty, truncated, not a PDF, malformed payload
)

_EXECUTOR_TIMEOUT = 120


class SigningError(Exception):
    """A refusal about key material; `kind` is a catalogue key under `signing.error.`."""

    def __init__(self, kind: str, **values: object):
        super().__init__(kind, values)
        self.kind = kind
        self.values = values


class KeyExistsError(SigningError):
    def __init__(self, directory: Path):
        super().__init__("key_exists", directory=str(directory))


class QrPayloadError(ValueError):
    """A text that is not a well-formed payload; `reason` is one of REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- certificates -------------------------------------------------------------------------------


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
        }


class DeviceKey:
    """This device's private key and certificate (plus chain certificates from a .p12)."""

    def __init__(self, private_key, certificate: x509.Certificate, chain: Iterable[x509.Certificate] = ()):
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise SigningError("unsupported_key", key_type=type(private_key).__name__)
        self.private_key = private_key
        self.certificate = certificate
        self.chain = tuple(chain)
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
        """A pyHanko SimpleSigner for this key (built once: converting the key costs a little)."""
        if self._signer is None:
            from asn1crypto import keys as asn1_keys
            from asn1crypto import x509 as asn1_x509
            from pyhanko.sign import signers
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            der_key = self.private_key.private_bytes(serialization.Encoding.DER,
                                                     serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
            cert = asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))
            # The CMS blob carries the signing certificate only (verify_pdf insists on it): chain
            # certificates would be bytes no signature covers. Verifiers keep the agency CA in trusted/.
            self._signer = signers.SimpleSigner(
                signing_cert=cert,
                signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
                cert_registry=SimpleCertificateStore(),
            )
        return self._signer


def _curve_bytes(curve: ec.EllipticCurve) -> int:
    return (curve.key_size + 7) // 8


# --- key files ----------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes, mode: int) -> None:
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
    _write_private(directory / KEY_FILE, key_pem, 0o600)
    _write_private(directory / CERT_FILE, cert_pem, 0o644)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def create_device_key(directory: Path | str, *, common_name: str, organisation: str | None = None,
                      device_id: str = "", force: bool = False,
                      now: datetime | None = None) -> KeyInfo:
    """A new ECDSA P-256 key and a self-signed certificate for it; refuses to replace a key unless `force`."""
    directory = Path(directory)
    _prepare_directory(directory, force)
    suffix = f" ({device_id})" if device_id else ""
    cn = _fit((common_name or "ParkInspect").strip() or "ParkInspect", 64 - len(suffix)) + suffix
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
        if not _is_der(cert.public_bytes(serialization.Encoding.DER)):
            # verify_pdf insists on DER throughout the signature blob, certificates included
            raise SigningError("p12_not_der", file=str(p12_path), subject=display_name(cert.subject))
    _prepare_directory(directory, force)
    _store_key(directory, private_key, certificate, chain or ())
    log.info("imported device key %s into %s", fingerprint(certificate), directory)
    return KeyInfo.from_certificate(certificate)


def _load_certificates(data: bytes) -> list[x509.Certificate]:
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
        certificates = _load_certificates(cert_path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError("key_unreadable", directory=str(directory)) from exc
    return DeviceKey(private_key, certificates[0], certificates[1:])


def key_info(directory: Path | str) -> KeyInfo | None:
    key = load_device_key(directory)
    return key.info if key else None


# --- trust --------------------------------------------------------------------------------------


class TrustStore:
    """Certificates whose signatures count as authentic, looked up by (short) fingerprint."""

    def __init__(self, certificates: Iterable[x509.Certificate] = ()):
        self._by_fingerprint: dict[str, x509.Certificate] = {}
        self.problems: list[str] = []  # files that could not be read (logged, skipped)
        self._asn1 = None
        for cert in certificates:
            self.add(cert)

    @classmethod
    def from_directory(cls, directory: Path | str) -> TrustStore:
        """This device's certificate plus every certificate in `<directory>/trusted/`."""
        directory = Path(directory)
        store = cls()
        cert_path = directory / CERT_FILE
        if cert_path.exists():
            try:
                store.add(_load_certificates(cert_path.read_bytes())[0])
            except (OSError, ValueError) as exc:
                store._problem(cert_path, exc)
        trusted = directory / TRUSTED_DIR
        if trusted.is_dir():
            for path in sorted(trusted.iterdir()):
                if path.suffix.lower() not in TRUSTED_SUFFIXES or not path.is_file():
                    continue
                try:
                    for cert in _load_certificates(path.read_bytes()):
                        store.add(cert)
                except (OSError, ValueError) as exc:
                    store._problem(path, exc)
        return store

    def _problem(self, path: Path, exc: Exception) -> None:
        log.warning("skipping unreadable certificate file %s: %s", path, exc)
        self.problems.append(str(path))

    def add(self, cert: x509.Certificate | bytes) -> str:
        """Trust one more certificate (PEM/DER bytes or a certificate); returns its fingerprint."""
        if isinstance(cert, bytes | bytearray):
            cert = _load_certificates(bytes(cert))[0]
        full = fingerprint(cert)
        self._by_fingerprint[full] = cert
        self._asn1 = None
        return full

    def get(self, fingerprint_or_short: str) -> x509.Certificate | None:
        key = fingerprint_or_short.lower()
        if len(key) == 64:
            return self._by_fingerprint.get(key)
        for full, cert in self._by_fingerprint.items():
            if full.startswith(key) and len(key) >= SHORT_FINGERPRINT_LENGTH:
                return cert
        return None

    def __contains__(self, fingerprint_or_short: object) -> bool:
        return isinstance(fingerprint_or_short, str) and self.get(fingerprint_or_short) is not None

    def __len__(self) -> int:
        return len(self._by_fingerprint)

    def certificates(self) -> list[x509.Certificate]:
        return list(self._by_fingerprint.values())

    def asn1_certificates(self) -> list:
        if self._asn1 is None:
            from asn1crypto import x509 as asn1_x509

            self._asn1 = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                          for c in self._by_fingerprint.values()]
        return self._asn1


# --- QR payload ---------------------------------------------------------------------------------

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_BASE36 = re.compile(r"[0-9a-z]{1,7}")
_VERSION = re.compile(r"PI[0-9]+")
_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise QrPayloadError("unreadable")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise QrPayloadError("unreadable") from exc
    if _b64url(data) != text:  # one encoding per value: no malleable trailing bits
        raise QrPayloadError("unreadable")
    return data


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS36[rest] + digits
        if not number:
            return digits


@dataclass(frozen=True)
class QrPayload:
    version: str
    number: str
    content_hash: bytes  # 32 bytes
    signer: str  # short fingerprint
    signed_at: datetime
    signature: bytes
    signed_text: str  # what the signature covers

    @property
    def content_hash_hex(self) -> str:
        return self.content_hash.hex()


def make_qr_payload(number: str, canonical_bytes: bytes, key: DeviceKey, *,
                    signed_at: datetime | None = None) -> str:
    """The text for the notice's QR code (format in the module docstring)."""
    if not number or QR_SEPARATOR in number or number != number.strip():
        raise ValueError(f"a notice number for the QR code must be non-empty and hold no {QR_SEPARATOR!r}")
    when = int((signed_at or datetime.now(UTC)).timestamp())
    signed_text = QR_SEPARATOR.join((QR_VERSION, number, _b64url(hashlib.sha256(canonical_bytes).digest()),
                                     key.short_fingerprint, _base36(when)))
    return signed_text + QR_SEPARATOR + _b64url(key.sign_bytes(signed_text.encode("utf-8")))


def parse_qr_payload(text: str) -> QrPayload:
    """Split a scanned text into its fields; QrPayloadError(reason) when it is not a version-1 payload."""
    if not isinstance(text, str):
        raise QrPayloadError("unreadable")
    text = text.strip()
    if not text:
        raise QrPayloadError("unreadable")
    fields_ = text.split(QR_SEPARATOR)
    if fields_[0] != QR_VERSION:
        raise QrPayloadError("unsupported_version" if _VERSION.fullmatch(fields_[0]) else "not_a_notice")
    if len(fields_) != 6:
        raise QrPayloadError("unreadable")
    version, number, digest, signer, when, signature = fields_
    if not number or number != number.strip() or len(number) > 200:
        raise QrPayloadError("unreadable")
    content_hash = _unb64url(digest)
    if len(content_hash) != 32 or not _HEX16.fullmatch(signer) or not _BASE36.fullmatch(when):
        raise QrPayloadError("unreadable")
    raw_signature = _unb64url(signature)
    if not 32 <= len(raw_signature) <= 1024:
        raise QrPayloadError("unreadable")
    try:
        signed_at = datetime.fromtimestamp(int(when, 36), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise QrPayloadError("unreadable") from exc
    return QrPayload(version, number, content_hash, signer, signed_at, raw_signature,
                     text.rsplit(QR_SEPARATOR, 1)[0])


def _verify_bytes(cert: x509.Certificate, message: bytes, signature: bytes) -> bool:
    public_key = cert.public_key()
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            size = _curve_bytes(public_key.curve)
            if len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            public_key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    status: str  # AUTHENTIC | NOT_AUTHENTIC | UNREADABLE
    reason: str  # one of REASONS
    signer: str | None = None  # CN / O of the signing certificate
    number: str | None = None
    signed_at: datetime | None = None
    fingerprint: str | None = None  # full (PDF, or QR with a known key) or short
    details: dict = field(default_factory=dict)

    @property
    def authentic(self) -> bool:
        return self.status == AUTHENTIC

    def as_json(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "signer": self.signer,
            "number": self.number,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "fingerprint": self.fingerprint,
        }


def _unreadable(reason: str = "unreadable", **known) -> Verification:
    return Verification(UNREADABLE, reason, **known)


def _not_authentic(reason: str, **known) -> Verification:
    return Verification(NOT_AUTHENTIC, reason, **known)


def _content_number(canonical_bytes: bytes) -> str | None:
    """The notice number in canonical content, or None when the bytes are not a notice."""
    try:
        content = json.loads(canonical_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not str(content.get("schema", "")).startswith(NOTICE_SCHEMA_PREFIX):
        return None
    number = content.get("number")
    return number if isinstance(number, str) else None


def verify_qr(text: str, trust: TrustStore, canonical_bytes: bytes | None = None) -> Verification:
    """Check a scanned payload: its signature with a trusted key, and the content when it is given."""
    try:
        payload = parse_qr_payload(text)
    except QrPayloadError as exc:
        return _unreadable(exc.reason)
    known = {"number": payload.number, "signed_at": payload.signed_at, "fingerprint": payload.signer}
    cert = trust.get(payload.signer)
    if cert is None:
        return _not_authentic("unknown_key", **known)
    known.update(signer=display_name(cert.subject), fingerprint=fingerprint(cert))
    if not _verify_bytes(cert, payload.signed_text.encode("utf-8"), payload.signature):
        return _not_authentic("signature_invalid", **known)
    if canonical_bytes is not None:
        content_number = _content_number(canonical_bytes)
        if content_number is None:
            return _not_authentic("not_a_notice", **known)
        if content_number != payload.number:
            return _not_authentic("qr_mismatch", **known)
        if hashlib.sha256(canonical_bytes).digest() != payload.content_hash:
            return _not_authentic("wrong_hash", **known)
    return Verification(AUTHENTIC, "ok", **known)


# --- PDF ----------------------------------------------------------------------------------------


def _off_loop(function: Callable, *args, **kwargs):
    """pyHanko's blocking calls use asyncio.run: inside a running loop (the TUI) run them in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result(timeout=_EXECUTOR_TIMEOUT)


def _bytes_reserved(key: DeviceKey) -> int:
    """Room for the CMS blob in hex digits; saves pyHanko a trial signature to estimate it (~half the time)."""
    return 2 * (len(key.certificate.public_bytes(serialization.Encoding.DER)) + 2048)


def sign_pdf(pdf_bytes: bytes, key: DeviceKey) -> bytes:
    """Add an invisible PAdES B-B signature (field "ParkInspect", SHA-256) as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers

    def sign() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
        meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256")
        output = signers.PdfSigner(meta, signer=key.pyhanko_signer()).sign_pdf(
            writer, bytes_reserved=_bytes_reserved(key))
        return output.getvalue()

    try:
        return _off_loop(sign)
    except PdfError as exc:
        raise SigningError("not_a_pdf", reason=str(exc)) from exc


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _damaged(pdf_bytes: bytes) -> Verification:
    """A PDF the reader gave up on: altered when a signature once covered exactly these bytes."""
    ranges = [tuple(int(n) for n in m.groups()) for m in _BYTE_RANGE.finditer(pdf_bytes[-200_000:])]
    if ranges and ranges[-1][0] == 0 and ranges[-1][2] + ranges[-1][3] == len(pdf_bytes):
        return _not_authentic("altered_bytes")
    return _unreadable()


def _truncated(pdf_bytes: bytes) -> bool:
    return any(int(m.group(3)) + int(m.group(4)) > len(pdf_bytes) for m in _BYTE_RANGE.finditer(pdf_bytes))


def _der_length(data: bytes) -> int | None:
    """Length of the DER element at the start of `data` (header included), or None."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 1 <= count <= 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def _contents_exact(sig_object, pdf_bytes: bytes, signer_fp: str) -> bool:
    """The gap the signature leaves unsigned holds exactly <hex of the CMS blob in DER, then zeros>.

    Nothing may hide there: no bytes after the CMS structure, no whitespace, no mixed-case hex, no
    BER variant of a tag or length (readers decode all of these to the same signature, but they
    are changed bytes, and "one changed byte is not authentic" is the rule people rely on).
    """
    try:
        raw = bytes(sig_object["/Contents"])
        start, first, second, _ = (int(n) for n in sig_object["/ByteRange"])
    except (KeyError, TypeError, ValueError):
        return False
    length = _der_length(raw)
    if length is None or length > len(raw) or any(raw[length:]):
        return False
    gap = pdf_bytes[start + first:second]
    encoded = binascii.hexlify(raw)
    if gap not in (b"<" + encoded + b">", b"<" + encoded.upper() + b">"):
        return False
    return _is_der(raw[:length]) and _cms_as_signed(raw[:length], signer_fp)


def _cms_as_signed(blob: bytes, signer_fp: str) -> bool:
    """The parts of the CMS blob no signature covers hold exactly what sign_pdf puts there.

    One SignerInfo without unsigned attributes; the digest-algorithm set names its algorithm only;
    no encapsulated content, no CRLs; one certificate, the signer's (chain certificates are not
    embedded: an agency's CA goes into the verifier's trusted/ folder instead).
    """
    from asn1crypto import cms

    try:
        content_info = cms.ContentInfo.load(blob)
        if content_info["content_type"].native != "signed_data":
            return False
        signed = content_info["content"]
        (signer_info,) = signed["signer_infos"]
        by_serial = signer_info["sid"].name == "issuer_and_serial_number"
        if signer_info["version"].native != ("v1" if by_serial else "v3") or signed["version"].native != "v1":
            return False
        if signer_info["unsigned_attrs"].native is not None or signed["crls"].native is not None:
            return False
        (digest,) = signed["digest_algorithms"]
        if digest.dump() != signer_info["digest_algorithm"].dump():
            return False
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "data" or encapsulated["content"].native is not None:
            return False
        (certificate,) = signed["certificates"]
        certificate = certificate.chosen
        if hashlib.sha256(certificate.dump()).hexdigest() != signer_fp:
            return False
        sid = signer_info["sid"].chosen  # byte for byte: names also match when only their case differs
        if by_serial:
            return (sid["issuer"].dump() == certificate["tbs_certificate"]["issuer"].dump()
                    and sid["serial_number"].native == certificate.serial_number)
        return sid.native == certificate.key_identifier
    except (ValueError, TypeError, KeyError):
        return False


def _is_der(blob: bytes) -> bool:
    """Every length in the TLV tree is definite and minimal, every tag short-form and not the
    end-of-contents 00 (zero padding must not be pulled into the structure), nothing left over.

    asn1crypto reads some BER variants leniently (and re-encoding to compare costs ~90 ms), so
    the encodings that could change unnoticed are refused here instead.
    """
    def walk(offset: int, end: int, depth: int) -> bool:
        while offset < end:
            if depth > 32 or end - offset < 2 or blob[offset] & 0x1F == 0x1F or blob[offset] == 0:
                return False
            constructed, first = blob[offset] & 0x20, blob[offset + 1]
            offset += 2
            if first < 0x80:
                length = first
            else:
                count = first & 0x7F
                if not 1 <= count <= 4 or end - offset < count or blob[offset] == 0:
                    return False
                length = int.from_bytes(blob[offset:offset + count], "big")
                offset += count
                if length < 0x80:
                    return False
            if length > end - offset or (constructed and not walk(offset, offset + length, depth + 1)):
                return False
            offset += length
        return offset == end

    return walk(0, len(blob), 0)


def _parts_from_reader(reader) -> tuple[bytes | None, str | None]:
    """notice.json from the EmbeddedFiles name tree (Kids included) and the QR text from /Info."""
    content = None
    names = reader.root["/Names"] if "/Names" in reader.root else None
    stack = [names["/EmbeddedFiles"]] if names is not None and "/EmbeddedFiles" in names else []
    visited = 0
    while stack and content is None and visited < 10_000:
        node = stack.pop().get_object()
        visited += 1
        pairs = node["/Names"] if "/Names" in node else []
        for index in range(0, len(pairs) - 1, 2):
            if str(pairs[index]) == EMBEDDED_FILE_NAME:
                content = pairs[index + 1].get_object()["/EF"]["/F"].get_object().data
                break
        stack.extend(node["/Kids"] if "/Kids" in node else [])
    info = reader.trailer["/Info"] if "/Info" in reader.trailer else None
    qr = info.get_object()[QR_INFO_KEY] if info is not None and QR_INFO_KEY in info.get_object() else None
    return content, (str(qr) if qr is not None else None)


def read_notice_parts(pdf_bytes: bytes) -> tuple[bytes | None, str | None]:
    """(canonical content, QR payload) embedded in a notice PDF; None for what is absent.

    The same contract as exports.notice_pdf.read_embedded, for when that module is not there.
    Raises ValueError when the bytes are not a readable PDF.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return _parts_from_reader(PdfFileReader(io.BytesIO(bytes(pdf_bytes)), strict=False))
    except Exception as exc:  # whatever pyHanko meets in damaged input
        raise ValueError(f"unreadable PDF ({type(exc).__name__})") from None


def _default_reader() -> Callable[[bytes], tuple[bytes, str]] | None:
    try:
        from exports.notice_pdf import read_embedded
    except ImportError:
        return None
    return read_embedded


def _embedded(pdf_bytes: bytes, reader, read_embedded) -> tuple[bytes, str] | None:
    try:
        content, qr = read_embedded(pdf_bytes) if read_embedded else _parts_from_reader(reader)
    except Exception:  # whatever a reader raises, the file holds no notice we can read
        log.info("no notice content embedded", exc_info=True)
        return None
    if not isinstance(content, bytes | bytearray) or not isinstance(qr, str):
        return None
    return bytes(content), qr


def verify_pdf(pdf_bytes: bytes, trust: TrustStore,
               read_embedded: Callable[[bytes], tuple[bytes, str]] | None = None) -> Verification:
    """Check both proofs of a notice PDF, and that they agree (see the module docstring).

    `read_embedded(pdf_bytes) -> (canonical content bytes, QR payload text)` is exports.notice_pdf's
    (used when it is not given and that module exists); otherwise the embedded file and info entry
    are read here.
    """
    try:
        return _off_loop(_verify_pdf, pdf_bytes, trust, read_embedded or _default_reader())
    except Exception:  # a verifier must answer, whatever the input
        log.warning("verification failed unexpectedly", exc_info=True)
        return _unreadable()


def _verify_pdf(pdf_bytes, trust: TrustStore, read_embedded) -> Verification:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not isinstance(pdf_bytes, bytes | bytearray) or not pdf_bytes:
        return _unreadable()
    pdf_bytes = bytes(pdf_bytes)
    if b"%PDF-" not in pdf_bytes[:1024] or _truncated(pdf_bytes):
        return _unreadable()
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # pyHanko raises many kinds on broken files
        log.info("PDF not readable", exc_info=True)
        return _damaged(pdf_bytes)
    if not signatures:
        damaged = _damaged(pdf_bytes)
        if damaged.status == NOT_AUTHENTIC:  # the signature dictionary itself was altered
            return damaged
        notice = _embedded(pdf_bytes, reader, read_embedded)
        return _not_authentic("no_signature" if notice else "not_a_notice")
    embedded_sig = signatures[-1]

    context = ValidationContext(trust_roots=trust.asn1_certificates(), allow_fetching=False,
                                revocation_mode="soft-fail")
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})
    try:
        status = validate_pdf_signature(embedded_sig, context, key_usage_settings=usage)
        signer_cert = x509.load_der_x509_certificate(embedded_sig.signer_cert.dump())
    except Exception as exc:  # pyHanko raises many kinds on a damaged signature
        log.info("signature not validated: %r", exc)
        return _not_authentic("signature_invalid")
    signer_fp = fingerprint(signer_cert)
    known = {"signer": display_name(signer_cert.subject), "fingerprint": signer_fp,
             "signed_at": status.signer_reported_dt}
    if not status.intact or not _contents_exact(embedded_sig.sig_object, pdf_bytes, signer_fp):
        return _not_authentic("altered_bytes", **known)
    if not status.valid:
        return _not_authentic("signature_invalid", **known)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or status.modification_level != ModificationLevel.NONE:
        return _not_authentic("modified_after_signing", **known)
    if signer_fp not in trust and not _trusted_through_issuer(status, signer_cert, trust):
        tampered = any(c.public_key() == signer_cert.public_key() for c in trust.certificates())
        return _not_authentic("altered_bytes" if tampered else "unknown_key", **known)

    notice = _embedded(pdf_bytes, reader, read_embedded)
    if notice is None:
        return _not_authentic("not_a_notice", **known)
    content, qr_text = notice
    content_number = _content_number(content)
    if content_number is None:
        return _not_authentic("not_a_notice", **known)
    known["number"] = content_number
    try:
        payload = parse_qr_payload(qr_text)
    except QrPayloadError:
        return _not_authentic("qr_mismatch", **known)
    if payload.number != content_number:
        return _not_authentic("qr_mismatch", **known)
    if payload.content_hash != hashlib.sha256(content).digest():
        return _not_authentic("wrong_hash", **known)
    if payload.signer != short_fingerprint(signer_fp):
        return _not_authentic("signer_mismatch", **known)
    if not _verify_bytes(signer_cert, payload.signed_text.encode("utf-8"), payload.signature):
        return _not_authentic("signature_invalid", **known)
    return Verification(AUTHENTIC, "ok", **known)


def _trusted_through_issuer(status, signer_cert: x509.Certificate, trust: TrustStore) -> bool:
    """pyHanko found a path to a trusted certificate *other than* the signer's own (an agency CA).

    A signer certificate that is itself a trust anchor must be in the store byte for byte: pyHanko
    matches anchors by name and key, so a certificate whose unsigned bytes were changed still passes.
    """
    if not status.trusted or status.validation_path is None:
        return False
    try:
        anchor = status.validation_path.trust_anchor
        anchor_cert = getattr(anchor, "certificate", None)
        if anchor_cert is None:
            return False
        anchor_fp = hashlib.sha256(anchor_cert.dump()).hexdigest()
    except Exception:
        return False
    return anchor_fp in trust and anchor_fp != fingerprint(signer_cert) and \
        signer_cert.issuer != signer_cert.subject
