"""The facts of a notice a person compares with the paper: from its canonical content, or from a QR code.

Kind, number, issue time, issuing agency, signer (device certificate) and inspectors, addressee and
credit code, number of hazards, deadline(s). `verify` prints them (inspect_app/cli/keys.py); the
QR payload of version PI2 carries the ones a scan must show (exports/signing/qr.py).

`verify` of a PDF compares the QR's facts with the facts derived here from the embedded content, so
the derivation is part of the PI2 format: change what a fact is taken from only together with a new
QR version, or notices issued before would stop verifying.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

NOTICE_SCHEMA_PREFIX = "parkinspect.notice/"

# one letter per document kind in the QR code (exports/notice_content.KINDS)
KIND_CODES = {"rectification": "R", "reinspection_opinion": "O", "inspection_record": "C"}
CODE_KINDS = {code: kind for kind, code in KIND_CODES.items()}


@dataclass(frozen=True)
class NoticeFacts:
    kind: str | None = None  # exports/notice_content.KINDS, or None when unknown
    number: str | None = None
    issued_at: datetime | None = None
    agency: str | None = None
    signer: str | None = None  # the device: CN of the signing certificate
    inspectors: tuple[str, ...] = ()
    addressee: str | None = None
    credit_code: str | None = None
    hazards: int | None = None
    deadlines: tuple[str, ...] = ()  # ISO dates, ascending, distinct
    deadline_range: bool = False  # deadlines = (first, last) of more than the QR code lists
    extra: dict = field(default_factory=dict)

    def but(self, **changes) -> NoticeFacts:
        return replace(self, **changes)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "number": self.number,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "agency": self.agency,
            "signer": self.signer,
            "inspectors": list(self.inspectors),
            "addressee": self.addressee,
            "credit_code": self.credit_code,
            "hazards": self.hazards,
            "deadlines": list(self.deadlines),
            "deadline_range": self.deadline_range,
        }


def parse_content(canonical_bytes: bytes) -> dict | None:
    """The content dict of a notice, or None when the bytes are not a ParkInspect notice."""
    try:
        content = json.loads(canonical_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not str(content.get("schema", "")).startswith(NOTICE_SCHEMA_PREFIX):
        return None
    return content


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def content_deadlines(content: dict) -> tuple[str, ...]:
    """Every deadline the notice sets: the overall one and each hazard's (a re-inspection's new one)."""
    dates = set()
    if _text(content.get("deadline")):
        dates.add(content["deadline"].strip())
    hazards = content.get("hazards")
    for hazard in hazards if isinstance(hazards, list) else []:
        hazard = _dict(hazard)
        outcome = _dict(hazard.get("outcome"))
        deadline = _text(outcome.get("new_deadline")) if outcome else _text(hazard.get("deadline"))
        if deadline:
            dates.add(deadline)
    return tuple(sorted(dates))


def facts_from_content(content: dict) -> NoticeFacts:
    """What a person checks, read from the canonical content (tolerant: a missing part is None)."""
    agency, addressee = _dict(content.get("agency")), _dict(content.get("addressee"))
    # who signs: the re-inspection's inspectors on an opinion (schema /2), else the inspection's
    inspectors = (_dict(content.get("reinspection")).get("inspectors")
                  or _dict(content.get("inspection")).get("inspectors"))
    names = tuple(name for name in (_text(_dict(i).get("name")) for i in inspectors or () if isinstance(i, dict))
                  if name) if isinstance(inspectors, list) else ()
    try:
        issued_at = datetime.fromisoformat(content["issued_at"])
    except (KeyError, TypeError, ValueError):
        issued_at = None
    hazards = content.get("hazards")
    kind = content.get("kind")
    return NoticeFacts(
        kind=kind if kind in KIND_CODES else None,
        number=_text(content.get("number")),
        issued_at=issued_at,
        agency=_text(agency.get("name")),
        inspectors=names,
        addressee=_text(addressee.get("name")),
        credit_code=_text(addressee.get("credit_code")),
        hazards=len(hazards) if isinstance(hazards, list) else None,
        deadlines=content_deadlines(content),
    )


# --- 一企一档 (exports/dossier_pdf.py): what an authentic dossier holds ------------------------------

DOSSIER_FILE_NAME = "dossier.json"
DOSSIER_SCHEMA_PREFIX = "parkinspect.dossier/"


def dossier_summary(content_bytes: bytes | None) -> dict | None:
    """The facts of a dossier a person compares with the paper (tenant, credit code, generation
    time, how many inspections, notices, hazards), or None when the bytes are not a dossier."""
    try:
        content = json.loads(content_bytes.decode("utf-8")) if content_bytes else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not str(content.get("schema", "")).startswith(DOSSIER_SCHEMA_PREFIX):
        return None
    tenant = _dict(content.get("tenant"))

    def count(key: str) -> int:
        value = content.get(key)
        return len(value) if isinstance(value, list) else 0

    return {"kind": "dossier", "name": _text(tenant.get("name")), "credit_code": _text(tenant.get("credit_code")),
            "generated_at": _text(content.get("generated_at")), "agency": _text(content.get("agency")),
            "inspections": count("inspections"), "notices": count("notices"), "hazards": count("hazards")}


# --- 园区经营信息证明 (exports/certificate_pdf.py): what an authentic certificate holds -------------

CERTIFICATE_FILE_NAME = "certificate.json"
CERTIFICATE_SCHEMA_PREFIX = "parkinspect.certificate/"


def certificate_summary(content_bytes: bytes | None) -> dict | None:
    """The facts of an operating certificate a bank compares with the paper (tenant, credit code,
    park, generation time, quarters and hazards shown), or None when the bytes are not one."""
    try:
        content = json.loads(content_bytes.decode("utf-8")) if content_bytes else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not str(content.get("schema", "")).startswith(CERTIFICATE_SCHEMA_PREFIX):
        return None
    tenant, park = _dict(content.get("tenant")), _dict(content.get("park"))
    quarters, hazards = content.get("quarters"), content.get("hazards")
    return {"kind": "certificate", "name": _text(tenant.get("name")), "credit_code": _text(tenant.get("credit_code")),
            "park": _text(park.get("name")), "generated_at": _text(content.get("generated_at")),
            "agency": _text(content.get("agency")),
            "quarters": len(quarters) if isinstance(quarters, list) else 0,
            "hazards": len(hazards) if isinstance(hazards, list) else 0}
