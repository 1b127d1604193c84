"""The PAdES signature of a notice PDF: signing, and the strict check of the bytes it leaves unsigned.

**A PAdES baseline B-B signature** (CMS, `/SubFilter /ETSI.CAdES.detached`, SHA-256) over the
whole PDF, made with pyHanko as an incremental update (field "ParkInspect"), so ordinary PDF tools
show who signed and that nothing changed. The CMS blob carries the device certificate and its
chain as device_cert.pem lists it (after enrolment: the agency root), so a verifier that trusts
only the root can check the signer; nothing else is embedded.

A signature's /Contents is the one part of the file no signature covers. `contents_exact` insists
that it holds exactly what sign_pdf writes: the DER CMS blob in hex, then zeros; one SignerInfo
without unsigned attributes; no CRLs; the certificates the signer's certificate and the CA
certificates that link it upwards (issuer name and signature), each once, in DER order (SET OF
sorted) — so that no single changed byte anywhere passes.

`check_signature` checks a signature without pyHanko's validation stack (whose imports alone
would triple the start-up of `parkinspect verify`): the byte ranges' digest against the signed
messageDigest, the signer's signature over the signed attributes (ECDSA, RSA PKCS#1 v1.5 or PSS;
SHA-256/384/512), the ranges covering the whole file, the signing time from /M. Whom to trust is
not decided here (exports/signing/trust.py).
"""

from __future__ import annotations

import asyncio
import binascii
import concurrent.futures
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from exports.notice_content import EMBEDDED_FILE_NAME, QR_INFO_KEY
from exports.signing.der import der_length, is_der
from exports.signing.keys import DeviceKey, SigningError, is_ca, issued_by

SIGNATURE_FIELD = "ParkInspect"
_EXECUTOR_TIMEOUT = 120


def off_loop(function: Callable, *args, **kwargs):
    """pyHanko's blocking calls use asyncio.run: inside a running loop (the TUI) run them in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result(timeout=_EXECUTOR_TIMEOUT)


def _bytes_reserved(key: DeviceKey) -> int:
    """Room for the CMS blob in hex digits; saves pyHanko a trial signature to estimate it (~half the time)."""
    certificates = (key.certificate, *key.embedded_chain)
    return 2 * (sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certificates) + 2048)


def sign_pdf(pdf_bytes: bytes, key: DeviceKey) -> bytes:
    """Add an invisible PAdES B-B signature (field "ParkInspect", SHA-256) as an incremental update."""
    # pyHanko: only when a PDF is signed or verified
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
        return off_loop(sign)
    except PdfError as exc:
        raise SigningError("not_a_pdf", reason=str(exc)) from exc


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def truncated(pdf_bytes: bytes) -> bool:
    return any(int(m.group(3)) + int(m.group(4)) > len(pdf_bytes) for m in _BYTE_RANGE.finditer(pdf_bytes))


def contents_exact(sig_object, pdf_bytes: bytes, signer_fp: str) -> bool:
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
    length = der_length(raw)
    if length is None or length > len(raw) or any(raw[length:]):
        return False
    gap = pdf_bytes[start + first:second]
    encoded = binascii.hexlify(raw)
    if gap not in (b"<" + encoded + b">", b"<" + encoded.upper() + b">"):
        return False
    return is_der(raw[:length]) and _cms_as_signed(raw[:length], signer_fp)


def _cms_as_signed(blob: bytes, signer_fp: str) -> bool:
    """The parts of the CMS blob no signature covers hold exactly what sign_pdf puts there.

    One SignerInfo without unsigned attributes; the digest-algorithm set names its algorithm only;
    no encapsulated content, no CRLs; the certificates: the signer's, then nothing but the CA
    certificates of its chain (see `_chain_only`), each once, in DER order.
    """
    # asn1crypto (pyHanko's): only when a signature is made or read
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
        choices = list(signed["certificates"])
        if not choices or any(choice.name != "certificate" for choice in choices):
            return False
        encoded = [choice.chosen.dump() for choice in choices]
        if encoded != sorted(encoded):  # DER sorts a SET OF; another order is other bytes
            return False
        by_fp = {hashlib.sha256(der).hexdigest(): choice.chosen for der, choice in zip(encoded, choices, strict=True)}
        certificate = by_fp.get(signer_fp)
        if certificate is None or len(by_fp) != len(choices) or not _chain_only(signer_fp, encoded):
            return False
        sid = signer_info["sid"].chosen  # byte for byte: names also match when only their case differs
        if by_serial:
            return (sid["issuer"].dump() == certificate["tbs_certificate"]["issuer"].dump()
                    and sid["serial_number"].native == certificate.serial_number)
        return sid.native == certificate.key_identifier
    except (ValueError, TypeError, KeyError):
        return False


def _chain_only(signer_fp: str, encoded: list[bytes]) -> bool:
    """Besides the signer's certificate, only CA certificates each issuing the one before (name + signature)."""
    certificates = {hashlib.sha256(der).hexdigest(): x509.load_der_x509_certificate(der) for der in encoded}
    current, rest = certificates.pop(signer_fp), list(certificates.values())
    while rest:
        issuer = next((c for c in rest if c.subject == current.issuer and is_ca(c) and issued_by(current, c)), None)
        if issuer is None or current.issuer == current.subject:
            return False
        rest.remove(issuer)
        current = issuer
    return True


def embedded_certificates(sig_object) -> list[x509.Certificate]:
    """The certificates of the signature's CMS blob (checked by contents_exact first)."""
    # asn1crypto (pyHanko's): only when a signature is made or read
    from asn1crypto import cms

    blob = bytes(sig_object["/Contents"])
    signed = cms.ContentInfo.load(blob[:der_length(blob)])["content"]
    return [x509.load_der_x509_certificate(choice.chosen.dump()) for choice in signed["certificates"]]


def last_byte_range(pdf_bytes: bytes) -> tuple[int, int, int, int] | None:
    ranges = [tuple(int(n) for n in m.groups()) for m in _BYTE_RANGE.finditer(pdf_bytes[-200_000:])]
    return ranges[-1] if ranges else None


def embedded_file(reader, name: str) -> bytes | None:
    """The data of the embedded file `name` from the EmbeddedFiles name tree (Kids included)."""
    names = reader.root["/Names"] if "/Names" in reader.root else None
    stack = [names["/EmbeddedFiles"]] if names is not None and "/EmbeddedFiles" in names else []
    visited = 0
    while stack and visited < 10_000:
        node = stack.pop().get_object()
        visited += 1
        pairs = node["/Names"] if "/Names" in node else []
        for index in range(0, len(pairs) - 1, 2):
            if str(pairs[index]) == name:
                return pairs[index + 1].get_object()["/EF"]["/F"].get_object().data
        stack.extend(node["/Kids"] if "/Kids" in node else [])
    return None


def parts_from_reader(reader) -> tuple[bytes | None, str | None]:
    """notice.json from the EmbeddedFiles name tree (Kids included) and the QR text from /Info."""
    content = embedded_file(reader, EMBEDDED_FILE_NAME)
    info = reader.trailer["/Info"] if "/Info" in reader.trailer else None
    qr = info.get_object()[QR_INFO_KEY] if info is not None and QR_INFO_KEY in info.get_object() else None
    return content, (str(qr) if qr is not None else None)


def read_notice_parts(pdf_bytes: bytes) -> tuple[bytes | None, str | None]:
    """(canonical content, QR payload) embedded in a notice PDF; None for what is absent.

    The same contract as exports.notice_pdf.read_embedded, for when that module is not there.
    Raises ValueError when the bytes are not a readable PDF.
    """
    # pyHanko: only when a PDF is signed or verified
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return parts_from_reader(PdfFileReader(io.BytesIO(bytes(pdf_bytes)), strict=False))
    except Exception as exc:  # whatever pyHanko meets in damaged input
        raise ValueError(f"unreadable PDF ({type(exc).__name__})") from None



# --- checking a signature (without pyHanko's signing and validation stack: verify starts fast) -----


@dataclass(frozen=True)
class SignatureCheck:
    """What the last signature field of a PDF says, checked here with asn1crypto and cryptography."""

    sig_object: object  # the signature dictionary (/ByteRange, /Contents)
    signer: x509.Certificate
    intact: bool  # the signed byte ranges hash to the CMS messageDigest
    valid: bool  # the signer's key signed the signed attributes (which hold that digest)
    whole_file: bool  # the byte ranges cover the file from its first byte to its last, but the gap
    signed_at: datetime | None  # the signing-time attribute


def signature_fields(reader) -> list:
    """The values (signature dictionaries) of the signed /Sig fields of the AcroForm, in field order."""
    root = reader.root
    form = root["/AcroForm"].get_object() if "/AcroForm" in root else None
    stack = list(reversed(list(form["/Fields"]))) if form is not None and "/Fields" in form else []
    found, visited = [], 0
    while stack and visited < 10_000:
        field = stack.pop().get_object()
        visited += 1
        if "/Kids" in field:
            stack.extend(reversed(list(field["/Kids"])))
        if field.get("/FT") == "/Sig" and "/V" in field:
            found.append(field["/V"].get_object())
    return found


_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def check_signature(sig_object, pdf_bytes: bytes) -> SignatureCheck:
    """Integrity and validity of one CMS signature over its /ByteRange; ValueError when it cannot be read."""
    # asn1crypto (pyHanko's): only when a signature is made or read
    from asn1crypto import cms

    try:
        start, first, second, length = (int(n) for n in sig_object["/ByteRange"])
        blob = bytes(sig_object["/Contents"])
        size = der_length(blob)
        if size is None or start != 0:
            raise ValueError("not a signature this program writes")
        signed = cms.ContentInfo.load(blob[:size])["content"]
        (signer_info,) = signed["signer_infos"]
        sid = signer_info["sid"]
        certificates = [choice.chosen for choice in signed["certificates"] if choice.name == "certificate"]
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            matching = [c for c in certificates if c.issuer == wanted["issuer"] and
                        c.serial_number == wanted["serial_number"].native]
        else:
            matching = [c for c in certificates if c.key_identifier == sid.chosen.native]
        if not matching:
            raise ValueError("the signer's certificate is not in the signature")
        signer = x509.load_der_x509_certificate(matching[0].dump())
        digest_name = signer_info["digest_algorithm"]["algorithm"].native
        if digest_name not in _HASHES:
            raise ValueError(f"digest {digest_name} not accepted")
        attributes = {a["type"].native: a["values"] for a in signer_info["signed_attrs"]}
        (message_digest,) = attributes["message_digest"]
        (content_type,) = attributes["content_type"]
        signing_time = attributes.get("signing_time")
        signed_at = signing_time[0].native if signing_time else _pdf_time(sig_object)
        hasher = hashlib.new(digest_name)
        hasher.update(pdf_bytes[start:start + first])
        hasher.update(pdf_bytes[second:second + length])
        intact = content_type.native == "data" and hasher.digest() == message_digest.native
        # the signature covers the DER SET OF the attributes, not their [0] IMPLICIT form in the blob
        attrs_der = b"\x31" + signer_info["signed_attrs"].dump()[1:]
        valid = _signature_ok(signer, signer_info, attrs_der, _HASHES[digest_name]())
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"signature not readable: {exc}") from exc
    whole = second + length == len(pdf_bytes) and first <= second
    return SignatureCheck(sig_object, signer, intact, valid, whole, signed_at)


def _pdf_time(sig_object) -> datetime | None:
    """The signing time of a PAdES signature: /M of the signature dictionary (the CMS carries none)."""
    # pyHanko: only when a PDF is signed or verified
    from pyhanko.pdf_utils.generic import parse_pdf_date

    try:
        return parse_pdf_date(str(sig_object["/M"]), strict=False) if "/M" in sig_object else None
    except (ValueError, TypeError):
        return None


def _signature_ok(signer: x509.Certificate, signer_info, message: bytes, digest) -> bool:
    signature = signer_info["signature"].native
    algorithm = signer_info["signature_algorithm"].signature_algo
    public_key = signer.public_key()
    try:
        if algorithm == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(digest))
        elif algorithm == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), digest)
        elif algorithm == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PSS(padding.MGF1(digest), padding.PSS.AUTO), digest)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
