"""一企一档: one signed file per tenant — what the office keeps on each unit.

`dossier_content` reads everything the database holds about one tenant into a plain dict (the
schema below), in the document's language: the ledger record and its history, every inspection
with its failed items, hazards with 五落实 and 复查, notices with their service, the photos of
all these, the last eight quarters with the risk flags, and repeat findings. `write_dossier`
renders it (exports/dossier_pdf.py), signs it with the device key (PAdES, as notices are) and
writes the file; `write_park_dossiers` does every tenant of a park into a folder.

The dict is embedded in the PDF as `dossier.json` (canonical JSON), so `parkinspect verify`
can say what an authentic dossier holds. Every date is the China date (forms/china_time.py),
every time ISO 8601 with its offset.

Repeat findings are derived, nothing stores them: a checklist item failed in an inspection that
started after a hazard of the same item, for the same tenant, had been closed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from db.attachment_files import attachments_dir, suffix_for
from db.checklist_items import ItemAsItWas, items_of
from db.errors import UserError
from db.models import (
    Attachment,
    AttachmentLink,
    AuditEvent,
    ChangeLog,
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    Notice,
    NoticeService,
    Park,
    QuarterlyReport,
    RectificationItem,
    Reinspection,
    Tenant,
)
from db.store import Store
from forms import catalogues, china_time
from forms.checklist import load_templates
from forms.i18n import current_language, t
from forms.risk_flag_thresholds import RiskFlagThresholds
from forms.tenant import CHOICE_FIELDS, TENANT_FIELDS
from forms.working_days import WorkCalendar
from inspect_app.services.hazards import HazardQuery, list_hazards
from inspect_app.services.hazards import reinspections as reinspections_of
from inspect_app.services.notices import agency_name
from inspect_app.services.risk_flags import Quarter, load_flags
from inspect_app.services.signed_documents import Font, signing_key, write_signed

SCHEMA = "parkinspect.dossier/1"
QUARTERS_SHOWN = 8
NAME_LENGTH = 40  # of the tenant's name in a file name: paths stay well under Windows' 260


@dataclass(frozen=True)
class WrittenDossier:
    path: Path
    tenant: str
    credit_code: str
    inspections: int
    notices: int
    key_created: bool = False


# --- finding the tenant ---------------------------------------------------------------------------


def find_tenant(store: Store, credit_code: str, park_code: str | None = None) -> Tenant:
    """The live tenant with this credit code (in this park when given). Refuses none, and a code
    held in several parks without the park named."""
    code = (credit_code or "").strip().upper()
    with store.read() as session:
        query = select(Tenant, Park.code).join(Park, Park.id == Tenant.park_id).where(
            Tenant.credit_code == code, Tenant.deleted == False, Tenant.merged_into == None)  # noqa: E711,E712
        if park_code:
            query = query.where(Park.code == park_code.strip())
        rows = session.exec(query.order_by(Park.code)).all()
    if not rows:
        raise UserError("dossier.error.no_tenant", credit_code=code, park=park_code or "—")
    if len({park for _, park in rows}) > 1:
        raise UserError("dossier.error.several_parks", credit_code=code, parks="、".join(p for _, p in rows))
    return rows[0][0]


def park_tenants(store: Store, park_code: str) -> list[Tenant]:
    with store.read() as session:
        park = session.exec(select(Park).where(Park.code == (park_code or "").strip())).first()
        if park is None:
            raise UserError("dossier.error.no_park", park=park_code)
        return list(session.exec(select(Tenant).where(
            Tenant.park_id == park.id, Tenant.deleted == False, Tenant.merged_into == None)  # noqa: E711,E712
            .order_by(Tenant.credit_code, Tenant.name)).all())


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def file_name(tenant: Tenant) -> str:
    """`<credit code>_<name>.pdf`: sorts by code (unique, fixed width), safe on Windows (no
    reserved characters, no trailing dot or space, never a device name such as CON: it starts
    with the code)."""
    name = _UNSAFE.sub("_", tenant.name).strip("._ ")[:NAME_LENGTH].rstrip("._ ")
    return f"{_UNSAFE.sub('_', tenant.credit_code)}_{name or 'tenant'}.pdf"


# --- the content ------------------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _china_iso(instant: datetime | None) -> str | None:
    return china_time.local(instant).isoformat(timespec="seconds") if instant else None


def _value_text(name: str, value: object, lang: str) -> str:
    """A tenant field's value as the form shows it."""
    if value is None or value == "" or value == []:
        return ""
    if name in CHOICE_FIELDS:
        codes = value if isinstance(value, list) else [value]
        return "、".join(catalogues.label(CHOICE_FIELDS[name], str(code), lang) for code in codes)
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang=lang)
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def _label(name: str, lang: str) -> str:
    return t(f"fields.tenant.{name}", lang=lang)


def _history(session, tenant: Tenant, names: dict[str, str], lang: str) -> list[dict]:
    """Who changed what when: the creation (its change-log entry when made here) and every audited
    change of the tenant row, oldest first."""
    insert = session.exec(select(ChangeLog).where(ChangeLog.table_name == "tenant", ChangeLog.row_id == tenant.id,
                                                  ChangeLog.op == "insert")).first()
    entries = [{"at": _china_iso(tenant.created_at), "actor": names.get(insert.actor_id or "") if insert else None,
                "device": insert.device_id if insert else None, "action": "insert", "changes": []}]
    events = session.exec(select(AuditEvent).where(AuditEvent.table_name == "tenant", AuditEvent.row_id == tenant.id)
                          .order_by(AuditEvent.created_at, AuditEvent.hlc)).all()
    for event in events:
        before, after = event.before or {}, event.after or {}
        changes = [[_label(name, lang), _value_text(name, before.get(name), lang), _value_text(name, after.get(name), lang)]
                   for name in TENANT_FIELDS if name in after and before.get(name) != after.get(name)]
        if event.action == "insert" or not changes and event.action != "delete":
            continue
        entries.append({"at": _china_iso(event.created_at), "actor": names.get(event.actor_id or ""),
                        "device": event.origin_device, "action": event.action, "changes": changes})
    return entries


def _template_title(template_id: str, lang: str, templates) -> str:
    template = next((tpl for (tid, _), tpl in templates.items() if tid == template_id), None)
    if template is None:
        return template_id
    return template.title_en if lang == "en" else template.title_zh


def _quarters(session, tenant: Tenant, today: date, lang: str) -> list[dict]:

    last = Quarter.last_complete(today)
    wanted = [last.shift(-n) for n in range(QUARTERS_SHOWN - 1, -1, -1)]
    reports = {(r.year, r.quarter): r for r in session.exec(select(QuarterlyReport).where(
        QuarterlyReport.tenant_id == tenant.id, QuarterlyReport.deleted == False))}  # noqa: E712
    rows = []
    for quarter in wanted:
        report = reports.get((quarter.year, quarter.quarter))
        rows.append({"quarter": quarter.label(lang), "output_wan": report.output_value_wan if report else None,
                     "electricity_kwh": report.electricity_kwh if report else None,
                     "water_t": report.water_t if report else None, "tax_wan": report.tax_wan if report else None,
                     "reported": report is not None})
    return rows


def _flags(store: Store, tenant: Tenant, today: date, lang: str, thresholds: RiskFlagThresholds) -> list[dict]:

    with store.read_connection() as conn:
        flags = load_flags(conn, quarter=Quarter.last_complete(today), today=today,
                           thresholds=thresholds, park_id=tenant.park_id)
    return [{"label": flag.label(lang), "explanation": flag.explanation(lang)} for flag in flags.get(tenant.id, ())]


def dossier_content(store: Store, tenant_id: str, *, agency: str, now: datetime | None = None,
                    lang: str | None = None, thresholds: RiskFlagThresholds | None = None,
                    calendar: WorkCalendar | None = None) -> tuple[dict, dict[str, Path]]:
    """(the dossier's content, sha256 -> file of each photo it shows). See the module docstring.
    `thresholds`, `calendar`: the office's (Settings.risk_flags, Settings.calendar); None is the
    built-in ones."""
    lang = lang or current_language()
    now = china_time.local(now) if now else china_time.now()
    today = now.date()
    with store.read() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.deleted:
            raise UserError("dossier.error.tenant_gone")
        park = session.get(Park, tenant.park_id)
        names = {i.id: i.name for i in session.exec(select(Inspector))}
        fields = [[_label(name, lang), _value_text(name, getattr(tenant, name), lang)] for name in TENANT_FIELDS]
        history = _history(session, tenant, names, lang)

        inspections = list(session.exec(select(Inspection).where(
            Inspection.tenant_id == tenant.id, Inspection.deleted == False)  # noqa: E712
            .order_by(Inspection.started_at, Inspection.id)).all())
        inspection_ids = [i.id for i in inspections]
        results = session.exec(select(CheckResult).where(
            CheckResult.inspection_id.in_(inspection_ids), CheckResult.deleted == False)  # noqa: E712
            .order_by(CheckResult.position, CheckResult.item_code)).all() if inspection_ids else []
        items = items_of(session, results)  # each result's item as it was
        by_inspection: dict[str, list[CheckResult]] = defaultdict(list)
        for result in results:
            by_inspection[result.inspection_id].append(result)

        notices = list(session.exec(select(Notice).where(Notice.tenant_id == tenant.id, Notice.deleted == False)  # noqa: E712
                                    .order_by(Notice.issued_at, Notice.number)).all())
        services = session.exec(select(NoticeService).where(
            NoticeService.notice_id.in_([n.id for n in notices]), NoticeService.deleted == False)  # noqa: E712
            .order_by(NoticeService.served_on, NoticeService.hlc)).all() if notices else []
    templates = load_templates().templates

    hazard_rows, _ = list_hazards(store, HazardQuery(tenant_id=tenant.id, limit=100_000, today=today,
                                                     calendar=calendar or WorkCalendar()))
    hazard_rows.sort(key=lambda row: (row.found_on, row.id))

    hazards, reinspection_ids = [], []
    for row in hazard_rows:
        done = reinspections_of(store, row.id)
        reinspection_ids += [r.id for r in done]
        hazards.append({
            "id": row.id, "found_on": _iso(row.found_on), "location": row.location, "description": row.description,
            "severity": catalogues.label("severity", row.severity, lang), "major": row.severity == "major",
            "status": t(f"choices.hazard_status.{row.status}", lang=lang), "notice": row.notice_number,
            "five": {"responsible": row.responsible, "phone": row.responsible_phone, "measures": row.measures,
                     "funds": row.funds, "funds_reason": row.funds_reason, "deadline": _iso(row.deadline),
                     "contingency_plan": row.contingency_plan},
            "reinspections": [_reinspection(r, names, lang) for r in done],
        })

    inspection_list = []
    for inspection in inspections:
        rows = by_inspection.get(inspection.id, [])
        failed = [{"code": r.item_code, "text": items[r.id].text, "note": r.note,
                   "major": items[r.id].default_severity == "major"} for r in rows if r.outcome == "fail"]
        inspection_list.append({
            "id": inspection.id, "date": _iso(china_time.local_date(inspection.started_at)),
            "started_at": _china_iso(inspection.started_at), "finished_at": _china_iso(inspection.finished_at),
            "template": _template_title(inspection.template_id, lang, templates),
            "status": t(f"dossier.inspection_status.{inspection.status}", lang=lang)
            if inspection.status in ("in_progress", "finished") else inspection.status,
            "inspectors": [names.get(i, i) for i in inspection.inspector_ids],
            "accompanied_by": inspection.accompanied_by,
            "counts": {outcome: sum(1 for r in rows if r.outcome == outcome) for outcome in ("pass", "fail", "na")},
            "failed": failed, "summary": inspection.summary,
        })

    service_of: dict[str, list[dict]] = defaultdict(list)
    for service in services:
        service_of[service.notice_id].append({
            "served_on": _iso(service.served_on), "method": catalogues.label("service_method", service.method, lang),
            "recipient": service.recipient, "refused": service.refused, "witness": service.witness})
    notice_list = [{"number": n.number, "kind": t(f"dossier.notice_kind.{n.kind}", lang=lang)
                    if n.kind in ("rectification", "reinspection_opinion", "inspection_record") else n.kind,
                    "issued_at": _china_iso(n.issued_at), "revision": n.revision, "service": service_of.get(n.id, [])}
                   for n in notices]

    photos, files = _photos(store, {
        "check_result": [r.id for r in results], "inspection": inspection_ids,
        "hazard": [h["id"] for h in hazards], "reinspection": reinspection_ids,
        "notice_service": [s.id for s in services]}, lang)

    with store.read() as session:
        quarters = _quarters(session, tenant, today, lang)
    content = {
        "schema": SCHEMA,
        "generated_at": now.isoformat(timespec="seconds"),
        "agency": agency,
        "lang": lang,
        "tenant": {"name": tenant.name, "credit_code": tenant.credit_code,
                   "park": {"code": park.code, "name": park.name} if park else None, "fields": fields},
        "history": history,
        "inspections": inspection_list,
        "hazards": hazards,
        "notices": notice_list,
        "photos": photos,
        "quarters": quarters,
        "flags": _flags(store, tenant, today, lang, thresholds or RiskFlagThresholds()),
        "repeats": _repeats(inspections, by_inspection, items, store, hazard_rows),
    }
    return content, files


def _reinspection(r: Reinspection, names: dict[str, str], lang: str) -> dict:
    return {"on": _iso(r.inspected_on), "outcome": t(f"hazards_export.outcome.{r.outcome}", lang=lang),
            "note": r.evidence_note, "new_deadline": _iso(r.new_deadline),
            "inspectors": [names.get(i, i) for i in r.inspector_ids]}


def _photos(store: Store, owners: dict[str, list[str]], lang: str) -> tuple[list[dict], dict[str, Path]]:
    """Every stored photo linked to the tenant's records, once, oldest link first; the file where it
    should be (whether it is there is the renderer's to find: a missing one is noted, not fatal)."""
    what = {"check_result": "inspection", "inspection": "inspection", "hazard": "hazard",
            "reinspection": "reinspection", "notice_service": "service"}
    directory = attachments_dir(store)
    photos: list[dict] = []
    files: dict[str, Path] = {}
    with store.read() as session:
        for table, ids in owners.items():
            if not ids:
                continue
            rows = session.exec(select(Attachment, AttachmentLink).join(
                AttachmentLink, AttachmentLink.attachment_sha256 == Attachment.sha256).where(
                AttachmentLink.owner_table == table, AttachmentLink.owner_id.in_(ids),
                AttachmentLink.deleted == False).order_by(AttachmentLink.created_at)).all()  # noqa: E712
            for attachment, link in rows:
                if attachment.sha256 in files or not attachment.media_type.startswith("image/"):
                    continue
                files[attachment.sha256] = (directory / attachment.sha256[:2]
                                            / f"{attachment.sha256}{suffix_for(attachment.original_name, attachment.media_type)}")
                photos.append({"sha256": attachment.sha256, "of": t(f"dossier.photo_of.{what[table]}", lang=lang),
                               "caption": link.caption or attachment.original_name, "taken": _china_iso(link.created_at)})
    return photos, files


def _repeats(inspections: list[Inspection], by_inspection: dict[str, list[CheckResult]],
             items: dict[str, ItemAsItWas], store: Store, hazard_rows) -> list[dict]:
    """A checklist item failed again in an inspection started after a hazard of that item was closed."""
    closed: dict[str, list[date]] = defaultdict(list)  # item code -> the days its hazards were closed
    ids = [row.id for row in hazard_rows]
    if ids:
        with store.read() as session:
            for code, closed_on in session.exec(
                    select(Hazard.item_code, RectificationItem.closed_on)
                    .join(RectificationItem, RectificationItem.hazard_id == Hazard.id)
                    .where(Hazard.id.in_(ids), RectificationItem.status == "closed",
                           RectificationItem.closed_on != None)):  # noqa: E711
                if code:
                    closed[code].append(closed_on)
    repeats = []
    for inspection in inspections:
        started = china_time.local_date(inspection.started_at)
        for result in by_inspection.get(inspection.id, []):
            if result.outcome != "fail":
                continue
            earlier = [day for day in closed.get(result.item_code, []) if day <= started]
            if earlier:
                repeats.append({"code": result.item_code, "text": items[result.id].text, "closed_on": _iso(max(earlier)),
                                "failed_again": _iso(started)})
    return repeats


# --- writing -------------------------------------------------------------------------------------------


def render(content: dict, files: dict[str, Path], font: Font = (None, None)) -> bytes:
    """The dossier PDF, unsigned; `font`: the office's (Settings.pdf_font), (None, None) the bundled one."""
    # reportlab: loaded when a dossier is written, not when the ledger opens.
    from exports.dossier_pdf import render_dossier
    from exports.fonts import pdf_font

    return render_dossier(content, photos=files, font=pdf_font(*font))


def write_dossier(store: Store, tenant_id: str, target: Path, *, keys_dir: Path, now: datetime | None = None,
                  lang: str | None = None, agency: str | None = None, agency_table: Mapping[str, Any] | None = None,
                  thresholds: RiskFlagThresholds | None = None, calendar: WorkCalendar | None = None,
                  font: Font = (None, None)) -> WrittenDossier:
    """Render, sign and write one tenant's dossier to `target` (whole or not at all). `agency`: the
    name printed, else the office's [agency] table's (`agency_table`, Settings.agency); `thresholds`,
    `calendar`, `font`: the office's settings (dossier_content, render)."""
    key = signing_key(keys_dir)
    name = agency if agency is not None else agency_name(store, agency_table or {})
    content, files = dossier_content(store, tenant_id, agency=name, now=now, lang=lang, thresholds=thresholds,
                                     calendar=calendar)
    target = Path(target).expanduser()
    write_signed(target, render(content, files, font), key)
    return WrittenDossier(target, content["tenant"]["name"], content["tenant"]["credit_code"],
                          len(content["inspections"]), len(content["notices"]))


def write_park_dossiers(store: Store, park_code: str, folder: Path, *, keys_dir: Path, now: datetime | None = None,
                        lang: str | None = None, agency_table: Mapping[str, Any] | None = None,
                        thresholds: RiskFlagThresholds | None = None, calendar: WorkCalendar | None = None,
                        font: Font = (None, None)) -> list[WrittenDossier]:
    """Every tenant of the park (those who left too: their file is kept), one file each in `folder`;
    the office's settings as write_dossier."""
    key = signing_key(keys_dir)
    tenants = park_tenants(store, park_code)
    folder = Path(folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError("errors.export_folder", folder=str(folder), reason=exc.strerror or str(exc)) from None
    agency = agency_name(store, agency_table or {})
    written = []
    for tenant in tenants:
        content, files = dossier_content(store, tenant.id, agency=agency, now=now, lang=lang, thresholds=thresholds,
                                         calendar=calendar)
        target = folder / file_name(tenant)
        write_signed(target, render(content, files, font), key)
        written.append(WrittenDossier(target, tenant.name, tenant.credit_code, len(content["inspections"]),
                                      len(content["notices"])))
    return written
