"""Signing and verifying notices: device keys, trust, the QR payload, the PAdES signature.

Two independent proofs travel with every notice: the QR code printed on the page (format in
`qr.py`) and a PAdES signature over the whole PDF (`pades.py`). The package by concern:

    keys.py    this device's key and certificate: create, import, load, describe (the keys folder)
    trust.py   what this machine trusts: roots, known certificates, CRLs; chain checks; trusted/
    facts.py   the facts of a notice a person compares with the paper
    qr.py      the QR payload codec (PI2, PI1) and its raw signature
    pades.py   sign_pdf and the strict check of what a signature leaves uncovered
    verify.py  Verification, verify_pdf, verify_qr
    der.py     strict DER checks

The names below are the public interface; callers import them from `exports.signing`.
"""

import warnings

from exports.signing.facts import KIND_CODES, NoticeFacts, facts_from_content, parse_content
from exports.signing.keys import (
    CERT_FILE,
    CERT_VALIDITY,
    KEY_FILE,
    SHORT_FINGERPRINT_LENGTH,
    DeviceKey,
    KeyExistsError,
    KeyInfo,
    SigningError,
    create_device_key,
    display_name,
    fingerprint,
    import_p12,
    is_ca,
    issued_by,
    key_info,
    linked_chain,
    load_certificates,
    load_device_key,
    short_fingerprint,
)
from exports.signing.pades import SIGNATURE_FIELD, read_notice_parts, sign_pdf
from exports.signing.qr import (
    QR_SEPARATOR,
    QR_VERSION,
    QR_VERSION_1,
    QrPayload,
    QrPayloadError,
    make_qr_payload,
    parse_qr_payload,
)
from exports.signing.trust import (
    KNOWN_DIR,
    REVOKED_DIR,
    TRUSTED_DIR,
    TRUSTED_SUFFIXES,
    ChainCheck,
    TrustedFile,
    TrustStore,
    matching_trusted,
    read_certificate,
    trust_certificate,
    trusted_files,
    untrust,
)
from exports.signing.verify import (
    AUTHENTIC,
    NOT_AUTHENTIC,
    REASONS,
    UNREADABLE,
    Verification,
    verify_pdf,
    verify_qr,
)

# pyHanko (imported lazily by keys.py, pades.py, verify.py) imports cryptography's DSA types, which
# warn on import; ParkInspect never makes or accepts DSA keys, and the warning would otherwise print
# under every command that signs.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko(\.|$)")

__all__ = [
    "AUTHENTIC", "CERT_FILE", "CERT_VALIDITY", "KEY_FILE", "KIND_CODES", "KNOWN_DIR", "NOT_AUTHENTIC",
    "QR_SEPARATOR", "QR_VERSION", "QR_VERSION_1", "REASONS", "REVOKED_DIR", "SHORT_FINGERPRINT_LENGTH",
    "SIGNATURE_FIELD", "TRUSTED_DIR", "TRUSTED_SUFFIXES", "UNREADABLE", "ChainCheck", "DeviceKey",
    "KeyExistsError", "KeyInfo", "NoticeFacts", "QrPayload", "QrPayloadError", "SigningError", "TrustStore",
    "TrustedFile", "Verification", "create_device_key", "display_name", "facts_from_content",
    "fingerprint", "import_p12", "is_ca", "issued_by", "key_info", "linked_chain", "load_certificates",
    "load_device_key", "make_qr_payload", "matching_trusted", "parse_content", "parse_qr_payload",
    "read_certificate", "read_notice_parts", "short_fingerprint", "sign_pdf", "trust_certificate",
    "trusted_files", "untrust", "verify_pdf", "verify_qr",
]
