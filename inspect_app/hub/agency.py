"""The agency's root of trust on the hub machine: its key and certificate, the device certificates
it issues from a device's certificate request (CSR), and its certificate revocation list (CRL).

Files, in the agency folder (`<hub data dir>/agency/` by default, cli/hub.py `agency_folder`):

    agency_key.pem    the root's private key, PKCS#8 PEM, mode 0600, encrypted when a passphrase
                      was given; never in the hub database, a `hub backup` or a bundle
    agency_cert.pem   the root certificate (self-signed), mode 0644: what `hub agency cert` exports
    agency.crl        the latest CRL (DER) the hub's commands wrote, for handing out by hand

The root: CN = O = the agency's name, pseudonym = its short name (the one notice numbers start
with), CA with path length 0 (it signs device certificates only), keyCertSign + cRLSign, 20 years.
A device certificate: CN = the device's name on the hub, O = the agency's name, SAN
`urn:parkinspect:device:<device id>`, digitalSignature + nonRepudiation, 3 years.

The hub treats every device as possibly hostile: a CSR is read only when small, must be signed by
the key it carries (proof of possession), that key must be EC P-256 or RSA of 2048 to 8192 bits,
and it must name this device (its name on the hub and its own device id) and nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from db.durable import write_durably
from db.private_files import make_private_folder, write_private_file
from exports.signing.keys import fingerprint
from inspect_app.sync.enrolment import certificate_name

log = logging.getLogger("inspect_app.hub")

KEY_FILE = "agency_key.pem"
CERT_FILE = "agency_cert.pem"
CRL_FILE = "agency.crl"
PASSPHRASE_ENV = "PARKINSPECT_AGENCY_PASSPHRASE"
ROOT_VALIDITY = timedelta(days=20 * 365 + 5)
DEVICE_VALIDITY = timedelta(days=3 * 365 + 1)
# A CRL says when the next one is due; the serving hub signs a fresh one daily (app.py), so a
# device that synced within the month holds one still current.
CRL_VALIDITY = timedelta(days=30)
MAX_CSR_CHARS = 8000  # a P-256 CSR is ~500 characters of PEM, an RSA-8192 one ~1,700
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192
DEVICE_URN_PREFIX = "urn:parkinspect:device:"
DEVICE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")  # as the wire's device ids (a stamp's device part)
CLOCK_SKEW = timedelta(minutes=5)  # not_before a little in the past: a device clock a little behind


class AgencyError(ValueError):
    """A refused agency command; `key` is the catalogue key of the message, `values` its fields."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


class EnrolmentRefused(ValueError):
    """A CSR the hub will not certify: the HTTP status, a code the device reads, a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def key_sha256(public_key) -> str:
    """SHA-256 of a public key's SubjectPublicKeyInfo: the same key asking twice gets one certificate."""
    return hashlib.sha256(public_key.public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def _name_value(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


@dataclass(frozen=True)
class AgencyRoot:
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey | None  # None: encrypted and no passphrase given
    encrypted: bool

    @property
    def name(self) -> str:
        return _name_value(self.certificate.subject, NameOID.ORGANIZATION_NAME)

    @property
    def short_name(self) -> str:
        return _name_value(self.certificate.subject, NameOID.PSEUDONYM)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def signing_key(self):
        if self.private_key is None:
            raise AgencyError("hub.agency.key_locked", variable=PASSPHRASE_ENV)
        return self.private_key


# --- the root's files ------------------------------------------------------------------------------


def init_agency(folder: Path, *, name: str, short: str, passphrase: bytes | None = None,
                force: bool = False, now: datetime | None = None) -> AgencyRoot:
    """A new root key and self-signed root certificate in `folder`; refuses to replace one unless `force`."""
    name, short = name.strip(), short.strip()
    if not name or len(name.encode("utf-8")) > 64:  # X.509 counts a name's UTF-8 bytes
        raise AgencyError("hub.agency.name_invalid")
    if not short or len(short) > 16:
        raise AgencyError("hub.agency.short_invalid")
    folder = Path(folder)
    if not force and ((folder / KEY_FILE).exists() or (folder / CERT_FILE).exists()):
        raise AgencyError("hub.agency.exists", folder=folder)
    key = ec.generate_private_key(ec.SECP384R1())  # outlives every device key it signs
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.PSEUDONYM, short)])
    start = (now or datetime.now(UTC)).replace(microsecond=0) - CLOCK_SKEW
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    make_private_folder(folder)
    write_private_file(folder / KEY_FILE, key.private_bytes(serialization.Encoding.PEM,
                                                            serialization.PrivateFormat.PKCS8, encryption))
    write_durably(folder / CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM))
    (folder / CRL_FILE).unlink(missing_ok=True)  # another root's list
    log.info("agency root %s made in %s", fingerprint(certificate), folder)
    return AgencyRoot(certificate, key, encrypted=bool(passphrase))


def load_agency(folder: Path, passphrase: bytes | None = None) -> AgencyRoot | None:
    """The agency in `folder`, or None when there is none. An encrypted key without a passphrase
    gives a root without its key (it can be shown and exported, not sign); a wrong passphrase or a
    damaged file raises AgencyError."""
    folder = Path(folder)
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    if not cert_path.exists():
        return None
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key_bytes = key_path.read_bytes()
    except (OSError, ValueError) as exc:
        raise AgencyError("hub.agency.unreadable", folder=folder, reason=type(exc).__name__) from exc
    encrypted = b"ENCRYPTED" in key_bytes.split(b"\n", 1)[0]
    if encrypted and not passphrase:
        return AgencyRoot(certificate, None, encrypted=True)
    try:
        key = serialization.load_pem_private_key(key_bytes, password=passphrase if encrypted else None)
    except (ValueError, TypeError) as exc:  # a wrong passphrase and a damaged file look alike here
        raise AgencyError("hub.agency.bad_passphrase", folder=folder, variable=PASSPHRASE_ENV) from exc
    if key_sha256(key.public_key()) != key_sha256(certificate.public_key()):
        raise AgencyError("hub.agency.unreadable", folder=folder, reason="key and certificate differ")
    return AgencyRoot(certificate, key, encrypted=encrypted)


def passphrase_from_env(variable: str) -> bytes | None:
    value = os.environ.get(variable)
    return value.encode("utf-8") if value else None


# --- device certificates ---------------------------------------------------------------------------


def read_csr(text: str) -> x509.CertificateSigningRequest:
    """The CSR in `text`, checked for size, form, key type and proof of possession."""
    if len(text) > MAX_CSR_CHARS:
        raise EnrolmentRefused(413, "csr_too_large", f"a certificate request is at most {MAX_CSR_CHARS} characters")
    try:
        csr = x509.load_pem_x509_csr(text.encode("ascii"))
        public_key = csr.public_key()
    except (ValueError, UnicodeEncodeError) as exc:
        raise EnrolmentRefused(422, "csr_unreadable", "not a PEM certificate request") from exc
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise EnrolmentRefused(422, "weak_key", f"EC keys must be P-256, not {public_key.curve.name}")
    elif isinstance(public_key, rsa.RSAPublicKey):
        if not MIN_RSA_BITS <= public_key.key_size <= MAX_RSA_BITS:
            raise EnrolmentRefused(422, "weak_key", f"RSA keys must have {MIN_RSA_BITS} to {MAX_RSA_BITS} bits, "
                                                    f"not {public_key.key_size}")
    else:
        raise EnrolmentRefused(422, "weak_key", f"{type(public_key).__name__} keys are not accepted")
    if not csr.is_signature_valid:
        raise EnrolmentRefused(422, "csr_signature", "the request is not signed by the key it carries")
    return csr


def csr_device_id(csr: x509.CertificateSigningRequest) -> str:
    """The device id the CSR claims: its only SAN, `urn:parkinspect:device:<id>`."""
    try:
        names = csr.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except (x509.ExtensionNotFound, ValueError) as exc:
        raise EnrolmentRefused(422, "csr_device_id", f"the request names no {DEVICE_URN_PREFIX}<id>") from exc
    if len(list(names)) != 1:
        raise EnrolmentRefused(422, "csr_device_id", "the request must name this device and nothing else")
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    claimed = uris[0][len(DEVICE_URN_PREFIX):] if uris and uris[0].startswith(DEVICE_URN_PREFIX) else ""
    if not DEVICE_ID.fullmatch(claimed):
        raise EnrolmentRefused(422, "csr_device_id", f"the request names no {DEVICE_URN_PREFIX}<id>")
    return claimed


def check_csr_name(csr: x509.CertificateSigningRequest, device_name: str) -> None:
    """The CSR's subject is exactly CN = this device's name on the hub."""
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(csr.subject) != 1 or len(names) != 1 or names[0].value != certificate_name(device_name):
        raise EnrolmentRefused(403, "csr_other_device", "the request names another device than this token's")


def issue_device_certificate(root: AgencyRoot, csr: x509.CertificateSigningRequest, *, device_name: str,
                             device_id: str, now: datetime | None = None,
                             validity: timedelta = DEVICE_VALIDITY) -> x509.Certificate:
    """A device certificate for the checked `csr` (read_csr, csr_device_id, check_csr_name): the
    subject and extensions are the hub's own, only the public key is taken from the request."""
    start = (now or datetime.now(UTC)).replace(microsecond=0) - CLOCK_SKEW
    end = min(start + validity, root.certificate.not_valid_after_utc)  # never past the root
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, certificate_name(device_name))]
    if root.name:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, root.name))
    root_key = root.signing_key()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(root.certificate.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(DEVICE_URN_PREFIX + device_id)]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA384())
    )


# --- revocation ------------------------------------------------------------------------------------


def build_crl(root: AgencyRoot, revoked: Iterable[tuple[int, datetime]], now: datetime | None = None) -> bytes:
    """The CRL (DER) listing `revoked` (serial, revocation time), signed by the root. Its number is
    the issue time in milliseconds: later lists have higher numbers, also across hub restarts."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.certificate.subject)
        .last_update(now)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.certificate.public_key()),
                       critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(when.astimezone(UTC).replace(microsecond=0)).build())
    return builder.sign(root.signing_key(), hashes.SHA384()).public_bytes(serialization.Encoding.DER)


def write_crl(folder: Path, crl_der: bytes) -> Path:
    path = Path(folder) / CRL_FILE
    write_durably(path, crl_der)
    return path
