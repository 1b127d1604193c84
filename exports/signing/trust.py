"""What this machine trusts: trusted certificates, known certificates, revocation lists; chain checks.

Read from the keys folder (exports/signing/keys.py lists its layout), never from a database:

- **trusted**: this device's own certificate (the first of device_cert.pem) and every certificate in
  `trusted/`. A trusted certificate that is a CA (basic constraints CA:TRUE, keyCertSign when a key
  usage is given) vouches for every certificate it signed: an agency root makes every device
  certificate the agency issued authentic here. A trusted certificate that is not a CA vouches for
  itself only (a colleague's self-signed device certificate, taken with `keys trust`).
- **known**: certificates in `certs/` (filled by hand or by sync). They are not trusted; they let a
  QR code, which names its signer by fingerprint only, find the signer's certificate, whose chain
  must then reach a trusted root like any other.
- **revoked**: CRLs in `revoked/` (DER or PEM). A CRL counts only when a trusted CA certificate with
  the CRL's issuer name signed it; any other is skipped with a logged warning (a forger could
  otherwise revoke genuine devices, or nothing at all). Entries name the serial number of a
  certificate the CRL's issuer signed and its revocation date. The next-update date is not
  enforced: offline machines keep the last list they got.

`check_chain(signer, others, at)` decides about a signer certificate: trusted itself (byte for byte),
or linked (issuer name + signature, `verify_directly_issued_by`) through CA certificates among
`others` (what the signature embeds) to a trusted CA; every certificate on the path valid at `at`
(the signing time); the signer's key usage allows signing. A certificate on the path revoked
*before* `at` makes it fail (`revoked`); revoked *after* `at` leaves it trusted but reports the date
(`revoked_at`): what was signed before the revocation stays valid.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from exports.signing.keys import (
    CERT_FILE,
    SHORT_FINGERPRINT_LENGTH,
    KeyInfo,
    SigningError,
    fingerprint,
    is_ca,
    issued_by,
    load_certificates,
    write_file,
)

log = logging.getLogger(__name__)

TRUSTED_DIR = "trusted"
KNOWN_DIR = "certs"
REVOKED_DIR = "revoked"
TRUSTED_SUFFIXES = (".pem", ".crt", ".cer")
CRL_SUFFIXES = (".crl",)
MAX_CHAIN = 8  # certificates between a signer and its root; deeper is not a ParkInspect chain


@dataclass(frozen=True)
class ChainCheck:
    """What check_chain found. `problem` is None when trusted, else a reason code of verify.REASONS."""

    problem: str | None
    path: tuple[x509.Certificate, ...]  # signer first; the trusted anchor last when there is one
    anchor: x509.Certificate | None = None  # the trusted certificate the path ends in
    revoked_at: datetime | None = None  # the signer (or a CA above it) revoked at this time

    @property
    def trusted(self) -> bool:
        return self.problem is None

    @property
    def top(self) -> x509.Certificate:
        """The root of the path as far as it goes (the root "not among the trusted roots")."""
        return self.path[-1]


class TrustStore:
    """Certificates whose signatures count as authentic (and known ones), looked up by (short) fingerprint."""

    def __init__(self, certificates: Iterable[x509.Certificate] = (), *,
                 known: Iterable[x509.Certificate] = ()):
        self._by_fingerprint: dict[str, x509.Certificate] = {}
        self._known: dict[str, x509.Certificate] = {}
        self._crls: list[tuple[x509.CertificateRevocationList, x509.Certificate]] = []
        self.problems: list[str] = []  # files that could not be read or were refused (logged, skipped)
        self._asn1 = None
        for cert in certificates:
            self.add(cert)
        for cert in known:
            self._known[fingerprint(cert)] = cert

    @classmethod
    def from_directory(cls, directory: Path | str) -> TrustStore:
        """This device's certificate, `trusted/`, `certs/` and the CRLs of `revoked/` (see the module docstring)."""
        directory = Path(directory)
        store = cls()
        cert_path = directory / CERT_FILE
        if cert_path.exists():
            try:
                store.add(load_certificates(cert_path.read_bytes())[0])
            except (OSError, ValueError) as exc:
                store._problem(cert_path, exc)
        for path in _files(directory / TRUSTED_DIR, TRUSTED_SUFFIXES):
            try:
                for cert in load_certificates(path.read_bytes()):
                    store.add(cert)
            except (OSError, ValueError) as exc:
                store._problem(path, exc)
        for path in _files(directory / KNOWN_DIR, TRUSTED_SUFFIXES):
            try:
                for cert in load_certificates(path.read_bytes()):
                    store._known[fingerprint(cert)] = cert
            except (OSError, ValueError) as exc:
                store._problem(path, exc)
        for path in _files(directory / REVOKED_DIR, CRL_SUFFIXES):
            try:
                store.add_crl(path.read_bytes(), source=str(path))
            except (OSError, ValueError) as exc:
                store._problem(path, exc)
        return store

    def _problem(self, path: Path | str, exc: Exception | str) -> None:
        log.warning("skipping %s: %s", path, exc)
        self.problems.append(str(path))

    def add(self, cert: x509.Certificate | bytes) -> str:
        """Trust one more certificate (PEM/DER bytes or a certificate); returns its fingerprint."""
        if isinstance(cert, bytes | bytearray):
            cert = load_certificates(bytes(cert))[0]
        full = fingerprint(cert)
        self._by_fingerprint[full] = cert
        self._asn1 = None
        return full

    def add_known(self, cert: x509.Certificate) -> str:
        full = fingerprint(cert)
        self._known[full] = cert
        return full

    def add_crl(self, data: bytes, *, source: str = "CRL") -> bool:
        """Take a CRL when a trusted CA signed it; False (and a logged warning) when none did."""
        crl = x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        for issuer in self._by_fingerprint.values():
            if issuer.subject == crl.issuer and is_ca(issuer) and _crl_signed_by(crl, issuer):
                self._crls.append((crl, issuer))
                return True
        self._problem(source, "revocation list not signed by a trusted root, ignored")
        return False

    def get(self, fingerprint_or_short: str) -> x509.Certificate | None:
        """A trusted certificate by full fingerprint or a prefix of at least 16 hex digits."""
        return _lookup(self._by_fingerprint, fingerprint_or_short)

    def find(self, fingerprint_or_short: str) -> x509.Certificate | None:
        """A trusted or known certificate (a QR code's signer) by fingerprint or prefix."""
        return self.get(fingerprint_or_short) or _lookup(self._known, fingerprint_or_short)

    def __contains__(self, fingerprint_or_short: object) -> bool:
        return isinstance(fingerprint_or_short, str) and self.get(fingerprint_or_short) is not None

    def __len__(self) -> int:
        return len(self._by_fingerprint)

    def certificates(self) -> list[x509.Certificate]:
        return list(self._by_fingerprint.values())

    def asn1_certificates(self) -> list:
        if self._asn1 is None:
            # asn1crypto (pyHanko's): only when a signature is made or read
            from asn1crypto import x509 as asn1_x509

            self._asn1 = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                          for c in self._by_fingerprint.values()]
        return self._asn1

    # --- deciding ---------------------------------------------------------------------------

    def check_chain(self, signer: x509.Certificate, others: Iterable[x509.Certificate] = (),
                    at: datetime | None = None) -> ChainCheck:
        """Is `signer` trusted here at time `at`, itself or through `others` up to a trusted CA?"""
        path, anchor = [signer], None
        if fingerprint(signer) in self._by_fingerprint:
            anchor = signer
        else:
            pool, current = list(others), signer
            while len(path) <= MAX_CHAIN:
                anchor = next((c for c in self._by_fingerprint.values()
                               if c.subject == current.issuer and is_ca(c) and issued_by(current, c)), None)
                if anchor is not None:
                    path.append(anchor)
                    break
                if current.issuer == current.subject:
                    break  # a root that is not trusted here
                step = next((c for c in pool if c.subject == current.issuer and is_ca(c) and issued_by(current, c)),
                            None)
                if step is None:
                    break
                pool.remove(step)
                path.append(step)
                current = step
        if anchor is None:
            return ChainCheck("unknown_key", tuple(path))
        if not _may_sign(signer):
            return ChainCheck("not_for_signing", tuple(path), anchor)
        if at is not None and any(not c.not_valid_before_utc <= at <= c.not_valid_after_utc for c in path):
            return ChainCheck("expired", tuple(path), anchor)
        revoked_at = self._revoked_at(path)
        if revoked_at is not None and (at is None or at >= revoked_at):
            return ChainCheck("revoked", tuple(path), anchor, revoked_at)
        return ChainCheck(None, tuple(path), anchor, revoked_at)

    def _revoked_at(self, path: list[x509.Certificate]) -> datetime | None:
        """The earliest revocation of a certificate on the path by a CRL of its own issuer."""
        dates = []
        for cert in path:
            for crl, issuer in self._crls:
                if issuer.subject != cert.issuer or cert is issuer or not issued_by(cert, issuer):
                    continue
                entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
                if entry is not None:
                    dates.append(entry.revocation_date_utc)
        return min(dates) if dates else None


def _lookup(table: dict[str, x509.Certificate], fingerprint_or_short: str) -> x509.Certificate | None:
    key = fingerprint_or_short.lower()
    if len(key) == 64:
        return table.get(key)
    if len(key) < SHORT_FINGERPRINT_LENGTH:
        return None
    for full, cert in table.items():
        if full.startswith(key):
            return cert
    return None


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())
    except (TypeError, ValueError):
        return False


def _may_sign(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage.digital_signature or usage.content_commitment


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.iterdir()) if p.suffix.lower() in suffixes and p.is_file()]


# --- managing trusted/ (parkinspect keys trust / trusted / untrust) ------------------------------------


@dataclass(frozen=True)
class TrustedFile:
    path: Path
    info: KeyInfo


def trusted_files(directory: Path | str) -> list[TrustedFile]:
    """Every readable certificate in `<directory>/trusted/` with the file it is in."""
    found = []
    for path in _files(Path(directory) / TRUSTED_DIR, TRUSTED_SUFFIXES):
        try:
            certificates = load_certificates(path.read_bytes())
        except (OSError, ValueError) as exc:
            log.warning("skipping unreadable certificate file %s: %s", path, exc)
            continue
        found.extend(TrustedFile(path, KeyInfo.from_certificate(cert)) for cert in certificates)
    return found


def read_certificate(path: Path | str) -> x509.Certificate:
    """The one certificate of a PEM or DER file; SigningError naming the file otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError("cert_unreadable_file", file=str(path), reason=exc.strerror or str(exc)) from exc
    try:
        certificates = load_certificates(data)
    except ValueError as exc:
        raise SigningError("not_a_certificate", file=str(path)) from exc
    if len(certificates) != 1:
        raise SigningError("not_one_certificate", file=str(path), count=len(certificates))
    return certificates[0]


def trust_certificate(directory: Path | str, cert: x509.Certificate) -> tuple[Path, bool]:
    """Write `cert` to `trusted/<kind>-<fp16>.pem` (0644, whole or absent); (path, already trusted)."""
    folder = Path(directory) / TRUSTED_DIR
    full = fingerprint(cert)
    for entry in trusted_files(directory):
        if entry.info.fingerprint == full:
            return entry.path, True
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{'root' if is_ca(cert) else 'cert'}-{full[:SHORT_FINGERPRINT_LENGTH]}.pem"
    write_file(target, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return target, False


def matching_trusted(directory: Path | str, prefix: str) -> list[TrustedFile]:
    """Trusted certificates whose fingerprint starts with `prefix` (already checked: ≥ 16 hex digits)."""
    prefix = prefix.lower()
    return [entry for entry in trusted_files(directory) if entry.info.fingerprint.startswith(prefix)]


def untrust(entry: TrustedFile) -> None:
    """Remove one trusted certificate: its file, or its block when the file holds several."""
    certificates = load_certificates(entry.path.read_bytes())
    rest = [c for c in certificates if fingerprint(c) != entry.info.fingerprint]
    if rest:
        write_file(entry.path, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in rest), 0o644)
    else:
        os.remove(entry.path)
