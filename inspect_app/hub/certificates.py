"""The device certificates the hub's agency has issued, in its database (`device_certificate`):
enrolment (record, or hand back the one a key already has), revocation (revoked with its device
by storage.revoke_device) and what a CRL lists."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import HTTPException
from sqlalchemy import func, select

from inspect_app.hub.agency import (
    AgencyRoot,
    EnrolmentRefused,
    check_csr_name,
    csr_device_id,
    fingerprint,
    issue_device_certificate,
    key_sha256,
    read_csr,
)
from inspect_app.hub.storage import Device, bind_device_id, device_certificate

log = logging.getLogger("inspect_app.hub")

# A device that asks for a certificate with a new key each time (a hostile one, or one stuck in a
# loop) stops being served at this many; a person revokes it or looks into it.
MAX_CERTIFICATES_PER_DEVICE = 20


@dataclass(frozen=True)
class Summary:
    issued: int  # certificates this root issued
    devices: int  # enrolments holding a live (unrevoked, unexpired) one
    revoked: int


def _aware(value: datetime) -> datetime:
    """SQLite gives a stored time back without its zone; every time here is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def reusable(conn, hub_device: Device, root: AgencyRoot, public_key, now: datetime) -> x509.Certificate | None:
    """The live certificate this root already issued to this enrolment for this very key (an enrolment
    whose answer was lost on the way is asked again), or None."""
    row = conn.execute(
        select(device_certificate.c.certificate, device_certificate.c.not_after)
        .where(device_certificate.c.device == hub_device.id,
               device_certificate.c.root_fingerprint == root.fingerprint,
               device_certificate.c.key_sha256 == key_sha256(public_key),
               device_certificate.c.revoked_at.is_(None))
        .order_by(device_certificate.c.issued_at.desc()).limit(1)).first()
    if row is None or _aware(row.not_after) <= now:
        return None
    return x509.load_der_x509_certificate(bytes(row.certificate))


def issued_count(conn, hub_device: Device) -> int:
    return conn.execute(select(func.count()).select_from(device_certificate)
                        .where(device_certificate.c.device == hub_device.id)).scalar_one()


def record(conn, hub_device: Device, root: AgencyRoot, cert: x509.Certificate, now: datetime) -> None:
    conn.execute(device_certificate.insert().values(
        serial=f"{cert.serial_number:x}", device=hub_device.id, root_fingerprint=root.fingerprint,
        fingerprint=fingerprint(cert), key_sha256=key_sha256(cert.public_key()),
        certificate=cert.public_bytes(serialization.Encoding.DER), issued_at=now,
        not_after=cert.not_valid_after_utc, revoked_at=None))


def revoked(conn, root: AgencyRoot) -> list[tuple[int, datetime]]:
    """(serial, revocation time) of every certificate of this root that was revoked, by serial."""
    rows = conn.execute(select(device_certificate.c.serial, device_certificate.c.revoked_at)
                        .where(device_certificate.c.root_fingerprint == root.fingerprint,
                               device_certificate.c.revoked_at.is_not(None))
                        .order_by(device_certificate.c.serial)).all()
    return [(int(row.serial, 16), _aware(row.revoked_at)) for row in rows]


def summary(conn, root: AgencyRoot, now: datetime) -> Summary:
    of_root = device_certificate.c.root_fingerprint == root.fingerprint
    issued = conn.execute(select(func.count()).select_from(device_certificate).where(of_root)).scalar_one()
    revoked_count = conn.execute(select(func.count()).select_from(device_certificate)
                                 .where(of_root, device_certificate.c.revoked_at.is_not(None))).scalar_one()
    devices = conn.execute(select(func.count(func.distinct(device_certificate.c.device)))
                           .where(of_root, device_certificate.c.revoked_at.is_(None),
                                  device_certificate.c.not_after > now)).scalar_one()
    return Summary(issued=issued, devices=devices, revoked=revoked_count)


def enrol_device_key(conn, root: AgencyRoot, hub_device: Device, csr_text: str, refuse_device_id) -> x509.Certificate:
    """The certificate for the key in `csr_text`, issued now (or the live one this key already has),
    recorded in the enrolment's transaction `conn`. Raises HTTPException with `{"code", "message"}`
    for a request the hub refuses; `refuse_device_id(refusal, hub_device)` raises for a device id this
    enrolment may not have (the push's refusals: one token, one device)."""
    try:
        csr = read_csr(csr_text)
        claimed = csr_device_id(csr)
        check_csr_name(csr, hub_device.name)
    except EnrolmentRefused as refused:
        log.warning("refused a certificate request from %s: %s", hub_device.name, refused.code)
        raise HTTPException(refused.status, {"code": refused.code, "message": refused.message}) from refused
    refuse_device_id(bind_device_id(conn, hub_device, claimed), hub_device)
    now = datetime.now(UTC)
    held = reusable(conn, hub_device, root, csr.public_key(), now)
    if held is not None:
        return held
    if issued_count(conn, hub_device) >= MAX_CERTIFICATES_PER_DEVICE:
        log.warning("refused a certificate request from %s: it holds %d already", hub_device.name,
                    MAX_CERTIFICATES_PER_DEVICE)
        raise HTTPException(422, {"code": "certificate_limit", "message": (
            f"this device was issued {MAX_CERTIFICATES_PER_DEVICE} certificates already; ask the office")})
    cert = issue_device_certificate(root, csr, device_name=hub_device.name, device_id=claimed, now=now)
    record(conn, hub_device, root, cert, now)
    return cert
