"""The QR code of a notice: its payload text, made and parsed; the raw signature it carries.

The QR code is the proof a phone reads from paper: `parkinspect verify --qr TEXT` checks it with
this machine's trust store (exports/signing/trust.py), `verify FILE.pdf` checks it against the
content embedded in the PDF. Version 2 (PI2) carries the facts a reader compares with the paper;
version 1 (PI1, notices issued before) stays verifiable.

QR payload, version 2 — UTF-8 text, thirteen fields separated by "|" (U+007C):

    PI2|<number>|<kind>|<time>|<addressee>|<credit code>|<hazards>|<deadlines>|<inspectors>|<hash>|<signer>|<root>|<signature>

    number      the notice number exactly as in the content, e.g. 平经信安整〔2026〕A07-0012号 (no "|")
    kind        one letter: R 整改通知书 (rectification), O 复查意见书 (reinspection_opinion),
                C 检查记录 (inspection_record); another capital letter is a kind this version does not know
    time        issue (= signing) time, whole seconds since 1970-01-01T00:00:00Z, base 36 (0-9a-z)
    addressee   the addressee's name, at most 16 characters (longer: 15 and "…"), "|" removed; "-" if none
    credit code the addressee's unified social credit code as in the content ([0-9A-Z]{1,18}); "-" if none
    hazards     the number of hazards, decimal
    deadlines   the distinct deadlines as YYYYMMDD, ascending, joined by ","; more than three:
                "<first>~<last>"; "-" when there is none
    inspectors  the inspectors' names, at most three, each at most 8 characters, joined by ","; "-" if none
    hash        SHA-256 of the canonical content bytes (exports/notice_content.canonical_json),
                base64url without padding: 43 characters
    signer      short fingerprint (16 lowercase hex) of the signing (device) certificate
    root        short fingerprint of the last certificate of the signer's chain (the agency root), or
                "-" for a self-signed device certificate
    signature   over the UTF-8 bytes of everything before the last "|" — so over every fact above and,
                through the hash, the whole canonical content: ECDSA with SHA-256 as raw r||s, each
                big-endian padded to the curve size (64 bytes for P-256), or RSASSA-PKCS1-v1_5 with
                SHA-256 for RSA keys; base64url without padding

Issuing agency and device name are not in the payload: they are the O and CN of the signer's
certificate, which the verifier must have anyway. With a P-256 key a typical notice (36-byte number,
10-character addressee, two inspectors, one deadline) makes about 300 bytes: QR version 13 at error
correction M, printed at ≥ 32 mm (exports/notice_flowables.py QR_MIN_WIDTH) and decoded by zbarimg from a
200-dpi scan (tests/test_signing_chain.py).

**Who can check a QR code alone.** The payload names its signer by fingerprint only (a certificate
would not fit); `verify --qr` finds the signer's certificate among this machine's trusted or known
certificates (`trusted/`, `certs/`, its own). An office that trusts the agency root but has never
seen the device certificate answers "signer not known here", naming both fingerprints: it gets the
certificate from the PDF (`verify FILE.pdf` needs nothing more than the root) or by `keys trust` of
the device certificate. A QR code proves the facts it shows, not the rest of the paper.

QR payload, version 1 (before the agency PKI; still verified):

    PI1|<number>|<hash>|<signer>|<time>|<signature>

the fields as in version 2; the signature covers version, number, hash, signer and time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from exports.signing.facts import CODE_KINDS, KIND_CODES, NoticeFacts, facts_from_content, parse_content
from exports.signing.keys import DeviceKey, _curve_bytes, fingerprint, short_fingerprint

QR_VERSION = "PI2"
QR_VERSION_1 = "PI1"
QR_SEPARATOR = "|"
NO_VALUE = "-"
ADDRESSEE_LIMIT = 16
INSPECTOR_LIMIT = 8
MAX_INSPECTORS = 3
MAX_LISTED_DEADLINES = 3

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_BASE36 = re.compile(r"[0-9a-z]{1,7}")
_VERSION = re.compile(r"PI[0-9]+")
_KIND = re.compile(r"[A-Z]")
_CREDIT = re.compile(r"[0-9A-Z]{1,18}")
_COUNT = re.compile(r"0|[1-9][0-9]{0,3}")
_DATE = r"[0-9]{8}"
_DEADLINES = re.compile(rf"{_DATE}(,{_DATE}){{0,{MAX_LISTED_DEADLINES - 1}}}|{_DATE}~{_DATE}")
_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class QrPayloadError(ValueError):
    """A text that is not a well-formed payload; `reason` is one of verify.REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
    root: str | None = None  # short fingerprint of the chain's root (PI2), None for self-signed / PI1
    facts: NoticeFacts | None = None  # PI2: what the code says about the notice

    @property
    def content_hash_hex(self) -> str:
        return self.content_hash.hex()


# --- making -------------------------------------------------------------------------------------


def _clean(text: str | None, limit: int) -> str:
    """A name as the QR carries it: no separators or control characters, cut to `limit` characters."""
    text = "".join(ch for ch in (text or "") if ch not in "|," and ch.isprintable()).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def qr_facts(facts: NoticeFacts) -> NoticeFacts:
    """The facts as a PI2 payload can hold them (what parse_qr_payload gives back)."""
    deadlines, ranged = facts.deadlines, False
    if len(deadlines) > MAX_LISTED_DEADLINES:
        deadlines, ranged = (deadlines[0], deadlines[-1]), True
    inspectors = tuple(name for name in (_clean(n, INSPECTOR_LIMIT) for n in facts.inspectors[:MAX_INSPECTORS])
                       if name)
    credit = (facts.credit_code or "").strip().upper()
    return NoticeFacts(kind=facts.kind, number=facts.number,
                       issued_at=facts.issued_at.replace(microsecond=0) if facts.issued_at else None,
                       addressee=_clean(facts.addressee, ADDRESSEE_LIMIT) or None,
                       credit_code=credit if _CREDIT.fullmatch(credit) else None,
                       hazards=facts.hazards or 0, deadlines=deadlines, deadline_range=ranged,
                       inspectors=inspectors)


def _compact_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%Y%m%d")


def chain_root(key: DeviceKey) -> x509.Certificate | None:
    """The root the device certificate chains to, as sign_pdf embeds it; None when self-signed."""
    return key.embedded_chain[-1] if key.embedded_chain else None


def make_qr_payload(number: str, canonical_bytes: bytes, key: DeviceKey, *,
                    signed_at: datetime | None = None) -> str:
    """The text for the notice's QR code (PI2, format in the module docstring)."""
    if not number or QR_SEPARATOR in number or number != number.strip():
        raise ValueError(f"a notice number for the QR code must be non-empty and hold no {QR_SEPARATOR!r}")
    content = parse_content(canonical_bytes) or {}
    when = signed_at or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # the database keeps UTC without a zone
    facts = qr_facts(facts_from_content(content))
    deadlines = NO_VALUE
    if facts.deadlines:
        joined = [_compact_date(d) for d in facts.deadlines]
        deadlines = "~".join(joined) if facts.deadline_range else ",".join(joined)
    root = chain_root(key)
    signed_text = QR_SEPARATOR.join((
        QR_VERSION, number, KIND_CODES.get(facts.kind or "", "X"), _base36(int(when.timestamp())),
        facts.addressee or NO_VALUE, facts.credit_code or NO_VALUE, str(min(facts.hazards, 9999)), deadlines,
        ",".join(facts.inspectors) or NO_VALUE, _b64url(hashlib.sha256(canonical_bytes).digest()),
        key.short_fingerprint, short_fingerprint(fingerprint(root)) if root is not None else NO_VALUE))
    return signed_text + QR_SEPARATOR + _b64url(key.sign_bytes(signed_text.encode("utf-8")))


# --- parsing ------------------------------------------------------------------------------------


def _time(text: str) -> datetime:
    if not _BASE36.fullmatch(text):
        raise QrPayloadError("unreadable")
    try:
        return datetime.fromtimestamp(int(text, 36), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise QrPayloadError("unreadable") from exc


def _number(text: str) -> str:
    if not text or text != text.strip() or len(text) > 200:
        raise QrPayloadError("unreadable")
    return text


def _signature(text: str) -> bytes:
    raw = _unb64url(text)
    if not 32 <= len(raw) <= 1024:
        raise QrPayloadError("unreadable")
    return raw


def _hash(text: str) -> bytes:
    digest = _unb64url(text)
    if len(digest) != 32:
        raise QrPayloadError("unreadable")
    return digest


def _deadlines(text: str) -> tuple[tuple[str, ...], bool]:
    if text == NO_VALUE:
        return (), False
    if not _DEADLINES.fullmatch(text):
        raise QrPayloadError("unreadable")
    ranged = "~" in text
    try:
        dates = tuple(datetime.strptime(d, "%Y%m%d").date().isoformat() for d in re.split("[,~]", text))
    except ValueError as exc:
        raise QrPayloadError("unreadable") from exc
    return dates, ranged


def _name(text: str, limit: int) -> str | None:
    if text == NO_VALUE:
        return None
    if not text or len(text) > limit or _clean(text, limit) != text:
        raise QrPayloadError("unreadable")
    return text


def parse_qr_payload(text: str) -> QrPayload:
    """Split a scanned text into its fields; QrPayloadError(reason) when it is not a PI1/PI2 payload."""
    if not isinstance(text, str):
        raise QrPayloadError("unreadable")
    text = text.strip()
    if not text:
        raise QrPayloadError("unreadable")
    fields_ = text.split(QR_SEPARATOR)
    signed_text = text.rsplit(QR_SEPARATOR, 1)[0]
    if fields_[0] == QR_VERSION_1:
        if len(fields_) != 6:
            raise QrPayloadError("unreadable")
        version, number, digest, signer, when, signature = fields_
        if not _HEX16.fullmatch(signer):
            raise QrPayloadError("unreadable")
        return QrPayload(version, _number(number), _hash(digest), signer, _time(when), _signature(signature),
                         signed_text)
    if fields_[0] != QR_VERSION:
        raise QrPayloadError("unsupported_version" if _VERSION.fullmatch(fields_[0]) else "not_a_notice")
    if len(fields_) != 13:
        raise QrPayloadError("unreadable")
    (version, number, kind, when, addressee, credit, hazards, deadlines, inspectors, digest, signer, root,
     signature) = fields_
    if not _KIND.fullmatch(kind) or not _COUNT.fullmatch(hazards) or not _HEX16.fullmatch(signer):
        raise QrPayloadError("unreadable")
    if root != NO_VALUE and not _HEX16.fullmatch(root):
        raise QrPayloadError("unreadable")
    if credit != NO_VALUE and not _CREDIT.fullmatch(credit):
        raise QrPayloadError("unreadable")
    names = () if inspectors == NO_VALUE else tuple(inspectors.split(","))
    if len(names) > MAX_INSPECTORS or any(_name(n, INSPECTOR_LIMIT) is None for n in names):
        raise QrPayloadError("unreadable")
    dates, ranged = _deadlines(deadlines)
    signed_at = _time(when)
    number = _number(number)
    facts = NoticeFacts(kind=CODE_KINDS.get(kind), number=number, issued_at=signed_at,
                        addressee=_name(addressee, ADDRESSEE_LIMIT),
                        credit_code=None if credit == NO_VALUE else credit, hazards=int(hazards),
                        deadlines=dates, deadline_range=ranged, inspectors=names)
    return QrPayload(version, number, _hash(digest), signer, signed_at, _signature(signature), signed_text,
                     root=None if root == NO_VALUE else root, facts=facts)


def verify_bytes(cert: x509.Certificate, message: bytes, signature: bytes) -> bool:
    """Check a QR signature (raw r||s for EC, PKCS#1 v1.5 for RSA; SHA-256) with the certificate's key."""
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
