"""园区经营信息证明: a signed statement of a tenant's operating figures for its bank (the finance
module), issued only with the tenant's consent (`tenant.bank_consent`).

`certificate_content` reads, into a plain dict (schema `parkinspect.certificate/1`): the tenant
and its park, since when it has been in the park (its lease's start, else the day its ledger row
was made) and how many years that is, its rented area and headcount, its stored 亩均 class, the
output, tax and power of the last eight complete quarters (blank where it reported nothing), and
the hazards found in those two years with their rectification state. `write_certificate` renders
it (exports/certificate_pdf.py), signs it with the device key (PAdES, as notices are) and writes
the file whole or not at all; `parkinspect verify` says what an authentic one holds
(exports/signing/facts.py `certificate_summary`). Without consent nothing is read or written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from db.errors import UserError
from db.models import Park, QuarterlyReport, Tenant
from db.store import Store
from forms import catalogues, china_time
from forms.i18n import current_language
from inspect_app.services.hazards import HazardQuery, list_hazards
from inspect_app.services.notices import agency_name
from inspect_app.services.risk_flags import Quarter
from inspect_app.services.signed_documents import Font, signing_key, write_signed

SCHEMA = "parkinspect.certificate/1"
QUARTERS_SHOWN = 8


def _years(since: date, today: date) -> float:
    return round(max((today - since).days, 0) / 365.25, 1)


def certificate_content(store: Store, tenant_id: str, *, agency: str, now: datetime | None = None,
                        lang: str | None = None) -> dict:
    lang = lang or current_language()
    now = china_time.local(now) if now else china_time.now()
    today = now.date()
    last = Quarter.last_complete(today)
    wanted = [last.shift(-n) for n in range(QUARTERS_SHOWN - 1, -1, -1)]
    with store.read() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.deleted:
            raise UserError("errors.tenant_missing")
        if not tenant.bank_consent:
            raise UserError("certificate.no_consent", name=tenant.name)
        park = session.get(Park, tenant.park_id)
        reports = {(r.year, r.quarter): r for r in session.exec(select(QuarterlyReport).where(
            QuarterlyReport.tenant_id == tenant.id, QuarterlyReport.deleted == False))}  # noqa: E712
        since = tenant.lease_start or china_time.local_date(tenant.created_at)
        tenant_part = {
            "name": tenant.name, "credit_code": tenant.credit_code,
            "location": " ".join(p for p in (tenant.building, tenant.unit_no) if p) or None,
            "in_park_since": since.isoformat(), "years_in_park": _years(since, today),
            "rented_area_m2": tenant.rented_area_m2, "headcount": tenant.headcount,
            "efficiency_class": tenant.efficiency_class,
            "scale": catalogues.label("scale", tenant.scale, lang=lang) if tenant.scale else None,
            "status": tenant.status,
        }
        park_part = {"code": park.code, "name": park.name} if park else {}
    quarters = []
    for quarter in wanted:
        report = reports.get((quarter.year, quarter.quarter))
        quarters.append({"quarter": str(quarter), "label": quarter.label(lang),
                         "output_wan": report.output_value_wan if report else None,
                         "tax_wan": report.tax_wan if report else None,
                         "electricity_kwh": report.electricity_kwh if report else None})
    first_day = date(wanted[0].year, (wanted[0].quarter - 1) * 3 + 1, 1)
    rows, _ = list_hazards(store, HazardQuery(tenant_id=tenant_id, limit=500, today=today))
    hazards = [{"found_on": h.found_on.isoformat(), "description": h.description, "severity": h.severity,
                "severity_label": catalogues.label("severity", h.severity, lang=lang),
                "deadline": h.deadline.isoformat() if h.deadline else None, "status": h.status,
                "state": catalogues.label("hazard_status", h.status, lang=lang)}
               for h in sorted(rows, key=lambda h: (h.found_on, h.id)) if h.found_on >= first_day]
    return {"schema": SCHEMA, "lang": lang, "generated_at": now.isoformat(timespec="seconds"), "agency": agency,
            "park": park_part, "tenant": tenant_part, "quarters": quarters, "hazards": hazards,
            "months_covered": QUARTERS_SHOWN * 3, "consent": True}


def render(content: dict, font: Font = (None, None)) -> bytes:
    """The certificate PDF, unsigned; `font`: the office's (Settings.pdf_font), (None, None) the bundled one."""
    # reportlab: loaded when a certificate is written, not when the ledger opens.
    from exports.certificate_pdf import render_certificate
    from exports.fonts import pdf_font

    return render_certificate(content, font=pdf_font(*font))


def write_certificate(store: Store, tenant_id: str, target: Path, *, keys_dir: Path, now: datetime | None = None,
                      lang: str | None = None, agency: str | None = None,
                      agency_table: Mapping[str, Any] | None = None, font: Font = (None, None)) -> dict:
    """Render, sign and write the tenant's certificate to `target`; refused (nothing written)
    without the tenant's consent or without this device's signing key. Returns the content.
    `agency`: the name printed, else the office's [agency] table's (`agency_table`, Settings.agency);
    `font`: the office's PDF font (Settings.pdf_font)."""
    target = Path(target).expanduser()
    if target.suffix.lower() != ".pdf":
        raise UserError("certificate.bad_suffix")
    content = certificate_content(store, tenant_id, agency=agency if agency is not None else agency_name(store, agency_table or {}),
                                  now=now, lang=lang)
    key = signing_key(keys_dir)
    write_signed(target, render(content, font), key)
    return content
