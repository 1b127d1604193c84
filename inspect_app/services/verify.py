"""Whether a signed document (a notice, a record, a 一企一档, a 园区经营信息证明) or a notice's QR code is authentic,
against the certificates this machine trusts (`parkinspect verify`).

The checks are exports/signing/verify.py's; this reads the trust folder (trusted roots and
certificates, CRLs) under `keys_dir` afresh each time, so a certificate trusted a moment ago counts.
"""

from __future__ import annotations

from pathlib import Path

from exports.signing import AUTHENTIC, UNREADABLE, TrustStore, Verification, verify_pdf, verify_qr

__all__ = ["AUTHENTIC", "UNREADABLE", "Verification", "verify_document", "verify_qr_text"]


def verify_document(keys_dir: Path, pdf: bytes) -> Verification:
    """A signed PDF's verdict: authentic, not authentic (and why), or unreadable."""
    return verify_pdf(pdf, TrustStore.from_directory(keys_dir))


def verify_qr_text(keys_dir: Path, text: str) -> Verification:
    """The verdict on a QR code's text as scanned from the paper."""
    return verify_qr(text, TrustStore.from_directory(keys_dir))
