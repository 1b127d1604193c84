"""Verifying a notice: its PDF (both proofs, and that they agree) or a scanned QR text.

Verifying never raises on bad input: it returns a `Verification` whose `status` is "authentic",
"not_authentic" or "unreadable", whose `reason` is a code (see REASONS) that the CLI words, and
whose `facts` (exports/signing/facts.py) say what is authentic: kind, number, agency, signer,
issue time, addressee, hazards, deadlines — so a person can compare the paper line by line.

`verify_pdf` wants both proofs and their agreement: the PAdES signature intact, covering the whole
file (nothing appended); the bytes it leaves uncovered exactly what sign_pdf writes
(exports/signing/pades.py); the signer trusted here at its signing time (exports/signing/trust.py:
its own certificate trusted, or a chain through the embedded certificates to a trusted root; not
revoked before it signed); the embedded notice.json numbered as the QR payload, hashing to its
hash, with the facts the QR code carries (PI2), the QR signed by the same certificate.

`verify_qr` checks a payload's signature with the signer's certificate found in this machine's
store (trusted or known), the same chain rules at the payload's time, and the content when given.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from exports.signing.facts import (
    CERTIFICATE_FILE_NAME,
    DOSSIER_FILE_NAME,
    NoticeFacts,
    certificate_summary,
    dossier_summary,
    facts_from_content,
    parse_content,
)
from exports.signing.keys import display_name, fingerprint, short_fingerprint
from exports.signing.pades import (
    check_signature,
    contents_exact,
    embedded_certificates,
    embedded_file,
    last_byte_range,
    off_loop,
    parts_from_reader,
    signature_fields,
    truncated,
)
from exports.signing.qr import QrPayload, QrPayloadError, parse_qr_payload, qr_facts, verify_bytes
from exports.signing.trust import ChainCheck, TrustStore

log = logging.getLogger(__name__)

AUTHENTIC, NOT_AUTHENTIC, UNREADABLE = "authentic", "not_authentic", "unreadable"
REASONS = (
    "ok",  # authentic
    "altered_bytes",  # the PDF's bytes are not the ones that were signed
    "signature_invalid",  # a signature does not verify (or cannot be parsed)
    "modified_after_signing",  # something was appended to the PDF after it was signed
    "no_signature",  # a notice PDF without a PAdES signature
    "unknown_key",  # the signer is not trusted here: neither itself nor its root among the trusted
    "signer_unknown",  # a QR code whose signer certificate this machine has never seen
    "expired",  # a certificate of the chain was not valid at the signing time
    "not_for_signing",  # the signer certificate's key usage does not allow signatures
    "revoked",  # the signer's certificate was revoked before it signed
    "wrong_hash",  # the content does not have the hash the QR code carries
    "qr_mismatch",  # the QR code belongs to another notice, says other facts, or is missing from the PDF
    "signer_mismatch",  # the PDF and the QR code were signed by different certificates
    "not_a_notice",  # readable, but not a ParkInspect notice / payload
    "unsupported_version",  # a payload of a later format than this program knows
    "unreadable",  # empty, truncated, not a PDF, malformed payload
)


@dataclass(frozen=True)
class Verification:
    status: str  # AUTHENTIC | NOT_AUTHENTIC | UNREADABLE
    reason: str  # one of REASONS
    signer: str | None = None  # CN / O of the signing certificate
    number: str | None = None
    signed_at: datetime | None = None
    fingerprint: str | None = None  # full (PDF, or QR with a known key) or short
    root: str | None = None  # fingerprint (full, or short from a QR) of the signer's root
    root_name: str | None = None  # CN / O of that root when known
    root_trusted: bool = False
    revoked_at: datetime | None = None  # the signer's revocation (authentic: it signed before)
    facts: NoticeFacts | None = None
    details: dict = field(default_factory=dict)
    dossier: dict | None = None  # an 一企一档 instead of a notice: facts.dossier_summary
    certificate: dict | None = None  # a 园区经营信息证明 instead of a notice: facts.certificate_summary

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
            "root": self.root,
            "root_name": self.root_name,
            "root_trusted": self.root_trusted,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "facts": self.facts.as_json() if self.facts else None,
            "dossier": self.dossier,
            "certificate": self.certificate,
        }


def _unreadable(reason: str = "unreadable", **known) -> Verification:
    return Verification(UNREADABLE, reason, **known)


def _not_authentic(reason: str, **known) -> Verification:
    return Verification(NOT_AUTHENTIC, reason, **known)


def _common_name(cert: x509.Certificate) -> str | None:
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _organisation(cert: x509.Certificate) -> str | None:
    values = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(values[0].value) if values else None


def _chain_known(check: ChainCheck) -> dict:
    """What a result says about the signer's chain: its root (trusted or not), a revocation."""
    top = check.anchor if check.anchor is not None else check.top
    return {"root": fingerprint(top), "root_name": display_name(top.subject),
            "root_trusted": check.anchor is not None, "revoked_at": check.revoked_at}


def _same_facts(payload: QrPayload, content: dict) -> bool:
    """A PI2 payload says what the content says (issue time aside: the QR's is the signing time)."""
    if payload.facts is None:
        return True
    return payload.facts.but(issued_at=None) == qr_facts(facts_from_content(content)).but(issued_at=None)


# --- QR -----------------------------------------------------------------------------------------


def verify_qr(text: str, trust: TrustStore, canonical_bytes: bytes | None = None) -> Verification:
    """Check a scanned payload: its signature with a trusted chain, and the content when it is given."""
    try:
        payload = parse_qr_payload(text)
    except QrPayloadError as exc:
        return _unreadable(exc.reason)
    known = {"number": payload.number, "signed_at": payload.signed_at, "fingerprint": payload.signer,
             "root": payload.root, "facts": payload.facts}
    cert = trust.find(payload.signer)
    if cert is None:
        root = trust.get(payload.root) if payload.root else None
        if root is None:
            return _not_authentic("unknown_key", **known)
        return _not_authentic("signer_unknown", root=fingerprint(root), root_name=display_name(root.subject),
                              root_trusted=True, **{k: v for k, v in known.items() if k != "root"})
    facts = (payload.facts or NoticeFacts(number=payload.number, issued_at=payload.signed_at)).but(
        signer=_common_name(cert), agency=_organisation(cert))
    known.update(signer=display_name(cert.subject), fingerprint=fingerprint(cert), facts=facts)
    if not verify_bytes(cert, payload.signed_text.encode("utf-8"), payload.signature):
        return _not_authentic("signature_invalid", **known)
    check = trust.check_chain(cert, at=payload.signed_at)
    known.update(_chain_known(check))
    if not check.trusted:
        return _not_authentic(check.problem, **known)
    if canonical_bytes is not None:
        content = parse_content(canonical_bytes)
        if content is None:
            return _not_authentic("not_a_notice", **known)
        if content.get("number") != payload.number or not _same_facts(payload, content):
            return _not_authentic("qr_mismatch", **known)
        if hashlib.sha256(canonical_bytes).digest() != payload.content_hash:
            return _not_authentic("wrong_hash", **known)
    return Verification(AUTHENTIC, "ok", **known)


# --- PDF ----------------------------------------------------------------------------------------


def _damaged(pdf_bytes: bytes) -> Verification:
    """A PDF the reader gave up on: altered when a signature once covered exactly these bytes."""
    byte_range = last_byte_range(pdf_bytes)
    if byte_range and byte_range[0] == 0 and byte_range[2] + byte_range[3] == len(pdf_bytes):
        return _not_authentic("altered_bytes")
    return _unreadable()


def _embedded(pdf_bytes: bytes, reader, read_embedded) -> tuple[bytes, str] | None:
    try:
        content, qr = read_embedded(pdf_bytes) if read_embedded else parts_from_reader(reader)
    except Exception:  # whatever a reader raises, the file holds no notice we can read
        log.info("no notice content embedded", exc_info=True)
        return None
    if not isinstance(content, bytes | bytearray) or not isinstance(qr, str):
        return None
    return bytes(content), qr


def _dossier(reader) -> dict | None:
    try:
        return dossier_summary(embedded_file(reader, DOSSIER_FILE_NAME))
    except Exception:  # whatever a reader raises, the file holds no dossier we can read
        log.info("no dossier embedded", exc_info=True)
        return None


def _certificate(reader) -> dict | None:
    try:
        return certificate_summary(embedded_file(reader, CERTIFICATE_FILE_NAME))
    except Exception:  # whatever a reader raises, the file holds no certificate we can read
        log.info("no certificate embedded", exc_info=True)
        return None


def verify_pdf(pdf_bytes: bytes, trust: TrustStore,
               read_embedded: Callable[[bytes], tuple[bytes, str]] | None = None) -> Verification:
    """Check both proofs of a notice PDF, and that they agree (see the module docstring).

    `read_embedded(pdf_bytes) -> (canonical content bytes, QR payload text)` may be given (exports.
    notice_pdf.read_embedded has that contract); by default the embedded file and the info entry are
    read here from the reader the signature check opened (no layout code imported: verify starts fast).
    """
    try:
        return off_loop(_verify_pdf, pdf_bytes, trust, read_embedded)
    except Exception:  # a verifier must answer, whatever the input
        log.warning("verification failed unexpectedly", exc_info=True)
        return _unreadable()


def _verify_pdf(pdf_bytes, trust: TrustStore, read_embedded) -> Verification:
    # pyHanko: only when a PDF is signed or verified
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not isinstance(pdf_bytes, bytes | bytearray) or not pdf_bytes:
        return _unreadable()
    pdf_bytes = bytes(pdf_bytes)
    if b"%PDF-" not in pdf_bytes[:1024] or truncated(pdf_bytes):
        return _unreadable()
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = signature_fields(reader)
    except Exception:  # pyHanko raises many kinds on broken files
        log.info("PDF not readable", exc_info=True)
        return _damaged(pdf_bytes)
    if not signatures:
        damaged = _damaged(pdf_bytes)
        if damaged.status == NOT_AUTHENTIC:  # the signature dictionary itself was altered
            return damaged
        notice = _embedded(pdf_bytes, reader, read_embedded) or _dossier(reader) or _certificate(reader)
        return _not_authentic("no_signature" if notice else "not_a_notice")
    sig_object = signatures[-1]

    # Integrity and the signature's mathematics are checked in pades.check_signature; whom to trust
    # is decided by TrustStore.check_chain, at the signing time and with this machine's CRLs.
    try:
        status = check_signature(sig_object, pdf_bytes)
    except Exception as exc:  # whatever a damaged signature dictionary or CMS blob raises
        log.info("signature not validated: %r", exc)
        return _not_authentic("signature_invalid")
    signer_cert = status.signer
    signer_fp = fingerprint(signer_cert)
    signed_at = status.signed_at
    known = {"signer": display_name(signer_cert.subject), "fingerprint": signer_fp, "signed_at": signed_at}
    if not status.whole_file:
        return _not_authentic("modified_after_signing" if status.intact else "altered_bytes", **known)
    if not status.intact or not contents_exact(sig_object, pdf_bytes, signer_fp):
        return _not_authentic("altered_bytes", **known)
    if not status.valid:
        return _not_authentic("signature_invalid", **known)
    others = [c for c in embedded_certificates(sig_object) if fingerprint(c) != signer_fp]
    check = trust.check_chain(signer_cert, others, at=signed_at)
    known.update(_chain_known(check))
    if not check.trusted:
        if check.problem == "unknown_key" and any(c.public_key() == signer_cert.public_key()
                                                  for c in trust.certificates()):
            return _not_authentic("altered_bytes", **known)  # a trusted key in a changed certificate
        return _not_authentic(check.problem, **known)

    notice = _embedded(pdf_bytes, reader, read_embedded)
    if notice is None:
        # An 一企一档 has no number and no QR code: the PAdES signature over the whole file (the
        # embedded dossier.json included) is its proof.
        dossier = _dossier(reader)
        if dossier is not None:
            return Verification(AUTHENTIC, "ok", dossier={**dossier, "signer": _common_name(signer_cert)}, **known)
        # A 园区经营信息证明 likewise: the signature over the whole file (certificate.json included).
        certificate = _certificate(reader)
        if certificate is not None:
            return Verification(AUTHENTIC, "ok", certificate={**certificate, "signer": _common_name(signer_cert)},
                                **known)
        return _not_authentic("not_a_notice", **known)
    content_bytes, qr_text = notice
    content = parse_content(content_bytes)
    content_number = content.get("number") if content else None
    if not isinstance(content_number, str):
        return _not_authentic("not_a_notice", **known)
    known["number"] = content_number
    known["facts"] = facts_from_content(content).but(signer=_common_name(signer_cert),
                                                     agency=facts_from_content(content).agency
                                                     or _organisation(signer_cert))
    try:
        payload = parse_qr_payload(qr_text)
    except QrPayloadError:
        return _not_authentic("qr_mismatch", **known)
    if payload.number != content_number or not _same_facts(payload, content):
        return _not_authentic("qr_mismatch", **known)
    if payload.content_hash != hashlib.sha256(content_bytes).digest():
        return _not_authentic("wrong_hash", **known)
    if payload.signer != short_fingerprint(signer_fp):
        return _not_authentic("signer_mismatch", **known)
    if not verify_bytes(signer_cert, payload.signed_text.encode("utf-8"), payload.signature):
        return _not_authentic("signature_invalid", **known)
    return Verification(AUTHENTIC, "ok", **known)
