"""Issuing, exporting and printing notices (隐患整改通知书, 复查意见书, 检查记录).

Issuing is one transaction: the next number of this device's block and year (gap-free: the
counter moves only if the notice is written), the canonical content built from the database,
its QR payload signed with the device key, the PDF rendered and PAdES-signed, the frozen row
(content JSON, PDF bytes, both hashes), and the lock on the hazards and items the notice names.
An issued notice never changes: a correction is a new notice whose content names the one it
supersedes (`supersedes_id`), and the old one stays verifiable.

Numbers read `{agency short}{kind word}〔{year}〕第{device block}-{sequence:04d}号`, e.g.
`平经信安整责改〔2026〕第H001-0012号`: each document kind has its own series per block and year
(kind words `KIND_WORDS`, overridable in config.toml `[agency] number_words`). The device block
keeps numbers unique across laptops that issue offline (set by the office, assigned by the hub,
or provisional until either: db/notice_block.py). A number some other notice here already holds is
skipped, never reused; numbers issued before the kind word (`平经信安整〔2026〕A07-0001号`) stay.

Dates a person reads are China dates (forms/china_time.py): the year of the number, the issue
date and time in the content (`+08:00`), the inspection and re-inspection dates. `issued_at` is
stored in UTC.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlmodel import func, select

from db import notice_block
from db.checklist_items import items_of
from db.errors import UserError
from db.lookback import repeat_numbers
from db.models import (
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    LocalSetting,
    Notice,
    NoticeCounter,
    Park,
    RectificationItem,
    Reinspection,
    Tenant,
)
from db.store import Store
from exports.notice_content import SCHEMA, canonical_json, content_hash
from forms import china_time
from forms.checklist import find_template
from forms.i18n import DEFAULT_LANGUAGE, t
from inspect_app.paths import data_dir
from inspect_app.services.attachments import files_of
from inspect_app.services.hazards import (
    LIVE_ITEM,
    UNRESOLVED,
    HazardQuery,
    HazardRow,
    ensure_ready_for_notice,
    list_hazards,
)
from inspect_app.services.notice_review import ensure_approved
from inspect_app.services.profile import current_inspector
from inspect_app.services.signed_documents import signing_key, write_file

DEFAULT_BASIS = ("《中华人民共和国消防法》第十六条、第二十八条", "《浙江省消防条例》",
                 "《建筑设计防火规范》（GB 50016）")
BLOCK_SETTING = notice_block.HAND_SETTING
# The word after the agency's short name in each kind's numbers (责令改正, 复查, 检查记录).
KIND_WORDS = {"rectification": "责改", "reinspection_opinion": "复查", "inspection_record": "检记"}
KIND_WORD_PATTERN = re.compile(r"[^\s〔〕\[\]【】()（）0-9]{1,6}")


@dataclass(frozen=True)
class Agency:
    """Who issues: configured by the office (config.toml [agency]); defaults are placeholders.

    An administrative organ's rectification notice and re-inspection opinion are decisions the unit
    may contest: they carry the rights notice (行政复议 within 60 days to `review_body`, 行政诉讼
    within 6 months before `court`; the catalogue's generic bodies when not configured). An agency
    that is not an administrative organ (`administrative_organ = false`) prints none. `consequence`
    says what follows when hazards stay unrectified (default: the catalogue's wording, citing
    《消防法》第六十条). The contact (address, phone, person) is printed when configured.
    """

    name: str
    short: str = "园检安整"
    basis: tuple[str, ...] = DEFAULT_BASIS
    reinspection_note: str = "整改期限届满后，我单位将组织复查。"
    contact_address: str = ""
    contact_phone: str = ""
    contact_person: str = ""
    administrative_organ: bool = True
    review_body: str = ""
    court: str = ""
    consequence: str = ""
    # The word each kind's numbers carry (number_words): KIND_WORDS unless `[agency] number_words` says otherwise.
    number_words: dict[str, str] = field(default_factory=lambda: dict(KIND_WORDS))


@dataclass(frozen=True)
class IssuedNotice:
    id: str
    number: str
    kind: str
    issued_at: datetime
    pdf_sha256: str
    content: dict = field(repr=False)


def default_export_folder() -> Path:
    """Where issued documents are written unless the person names a folder: their documents
    folder, else `notices` in the app's data folder."""
    documents = platformdirs.user_documents_dir()
    if documents and Path(documents).is_dir():
        return Path(documents)
    return data_dir() / "notices"


def agency_name(store: Store, agency_table: Mapping[str, Any]) -> str:
    """The issuing agency's name: the office's [agency] table (Settings.agency) over the default."""
    return agency_from_config(agency_table, agency_default(store)).name


def agency_from_config(configured: dict, fallback: Agency) -> Agency:
    """The office's `[agency]` table (config.toml) over a fallback, value by value."""
    basis = configured.get("basis")
    contact = configured.get("contact") if isinstance(configured.get("contact"), dict) else {}
    organ = configured.get("administrative_organ")

    def text(value, default: str) -> str:
        return str(value).strip() if isinstance(value, str | int | float) and str(value).strip() else default

    return Agency(
        name=text(configured.get("name"), fallback.name),
        short=text(configured.get("short"), fallback.short),
        basis=tuple(str(b) for b in basis) if isinstance(basis, list) and basis else fallback.basis,
        reinspection_note=text(configured.get("reinspection_note"), fallback.reinspection_note),
        contact_address=text(contact.get("address"), fallback.contact_address),
        contact_phone=text(contact.get("phone"), fallback.contact_phone),
        contact_person=text(contact.get("person"), fallback.contact_person),
        administrative_organ=organ if isinstance(organ, bool) else fallback.administrative_organ,
        review_body=text(configured.get("review_body"), fallback.review_body),
        court=text(configured.get("court"), fallback.court),
        consequence=text(configured.get("consequence"), fallback.consequence),
        number_words=number_words(configured),
    )


def number_words(configured: Mapping[str, Any]) -> dict[str, str]:
    """The word each kind's numbers carry: `[agency] number_words = {rectification = "责改", …}` of
    the office's `[agency]` table (`configured`, Settings.agency) over `KIND_WORDS`, kind by kind. A word that
    is not 1–6 characters without spaces, brackets or digits is ignored: it would make the number
    unreadable (or, with digits, ambiguous)."""
    table = configured.get("number_words")
    words = dict(KIND_WORDS)
    if isinstance(table, dict):
        for kind, word in table.items():
            if kind in words and isinstance(word, str) and KIND_WORD_PATTERN.fullmatch(word.strip()):
                words[kind] = word.strip()
    return words


def agency_content(agency: Agency, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The `agency` entry of a document's content: who issues, the legal basis, and the closing
    paragraphs in the document's language (the PDF prints them as written here)."""
    contact = {"address": agency.contact_address or None, "phone": agency.contact_phone or None,
               "person": agency.contact_person or None}
    rights = None
    if agency.administrative_organ:
        rights = t("document.agency.rights", lang=lang,
                   review_body=agency.review_body or t("document.agency.review_body", lang=lang),
                   court=agency.court or t("document.agency.court", lang=lang))
    return {"name": agency.name, "short": agency.short, "basis": list(agency.basis),
            "reinspection_note": agency.reinspection_note,
            "contact": contact if any(contact.values()) else None, "rights_notice": rights,
            "consequence": agency.consequence or t("document.agency.consequence", lang=lang)}


# --- numbering ----------------------------------------------------------------------------------


def device_block(store: Store) -> str:
    """This device's block in notice numbers (db/notice_block.py: by hand, from the hub, or provisional)."""
    return block_and_origin(store)[0]


def block_and_origin(store: Store) -> tuple[str, str]:
    """(block, origin): origin is `hand`, `hub` or `provisional` (db/notice_block.py)."""
    with store.read_connection() as conn:
        return notice_block.current_block(conn, store.device_id)


def set_device_block(store: Store, block: str) -> str:
    block = block.strip().upper()
    if not notice_block.HAND_PATTERN.fullmatch(block):
        raise UserError("errors.device_block_format")
    if notice_block.HUB_PATTERN.fullmatch(block):  # H + digits: the hub's series, never typed in
        raise UserError("errors.device_block_reserved", block=block)
    with store.transaction() as session:
        session.merge(LocalSetting(key=BLOCK_SETTING, value=block))
    return block


def format_number(agency_short: str, word: str, year: int, block: str, sequence: int) -> str:
    """The official style 〔年〕第N号 with the kind's word: 平经信安整责改〔2026〕第H001-0012号."""
    return f"{agency_short}{word}〔{year}〕第{block}-{sequence:04d}号"


def next_number_preview(store: Store, agency: Agency, year: int, kind: str = "rectification") -> str:
    """The number the next notice of this kind, device and year will get; reserves nothing."""
    block = device_block(store)
    with store.read() as session:
        counter = session.get(NoticeCounter, (kind, block, year))
        return _free_number(session, agency, kind, block, year, counter.last_sequence if counter else 0)[1]


def _free_number(session, agency: Agency, kind: str, block: str, year: int, last: int) -> tuple[int, str]:
    """The first sequence after `last` of this kind's series whose number no notice here holds.
    Another device's notice under the same block (from a bundle or a pull: a block set twice by
    hand, a bundle from another county) takes its number with it; this device moves past it rather
    than fail on the unique number, and never renumbers paper already issued."""
    held = session.exec(select(func.max(Notice.sequence))
                        .where(Notice.kind == kind, Notice.device_block == block, Notice.year == year)).one()
    word = agency.number_words.get(kind, KIND_WORDS[kind])
    sequence = max(last, held or 0) + 1
    number = format_number(agency.short, word, year, block, sequence)
    # A notice may hold this number under another block or kind (a hostile or damaged row): skip it too.
    while session.exec(select(Notice.id).where(Notice.number == number)).first() is not None:
        sequence += 1
        number = format_number(agency.short, word, year, block, sequence)
    return sequence, number


def hazards_for_notice(store: Store, row: HazardRow, today: date) -> list[str]:
    """The not-closed hazards without a notice of `row`'s addressee (same park and tenant, or the
    park's common areas), earliest deadline first: what one notice to that addressee would name."""
    query = HazardQuery(park_id=row.park_id, tenant_id=row.tenant_id, status=UNRESOLVED, limit=1000, today=today)
    rows, _total = list_hazards(store, query)
    return [r.id for r in rows if r.tenant_id == row.tenant_id and r.notice_number is None]


@dataclass(frozen=True)
class InspectionNotices:
    """Where `n` on a hazard leads: the notices already issued from its inspection, or the hazards
    of that inspection a notice would name now."""

    inspection_id: str | None
    issued: list[str]  # numbers of the inspection's documents, any kind
    to_notice: list[str]  # not-closed hazards without a notice, as `hazards_for_notice` orders them


def inspection_notices(store: Store, row: HazardRow, today: date) -> InspectionNotices:
    """For the hazard `row`: its inspection's issued documents and its hazards still without a
    notice. A hazard not made by an inspection falls back to its addressee's (hazards_for_notice)."""
    with store.read() as session:
        inspection_id = session.exec(select(Hazard.inspection_id).where(Hazard.id == row.id)).first()
        if inspection_id is None:
            return InspectionNotices(None, [], hazards_for_notice(store, row, today))
        issued = list(session.exec(select(Notice.number).where(
            Notice.inspection_id == inspection_id, Notice.deleted == False)  # noqa: E712
            .order_by(Notice.issued_at)).all())
        same = set(session.exec(select(Hazard.id).where(Hazard.inspection_id == inspection_id)).all())
    return InspectionNotices(inspection_id, issued, [h for h in hazards_for_notice(store, row, today) if h in same])


def _next_number(session, agency: Agency, kind: str, block: str, year: int) -> tuple[int, str]:
    counter = session.get(NoticeCounter, (kind, block, year))
    if counter is None:
        counter = NoticeCounter(kind=kind, device_block=block, year=year, last_sequence=0)
        session.add(counter)
    counter.last_sequence, number = _free_number(session, agency, kind, block, year, counter.last_sequence)
    return counter.last_sequence, number


# --- content ------------------------------------------------------------------------------------


def _inspectors(session, ids: list[str]) -> list[dict]:
    found = {i.id: i for i in session.exec(select(Inspector).where(Inspector.id.in_(ids))).all()}
    return [{"name": found[i].name, "id_number": found[i].id_number} for i in ids if i in found]


def _park_address(park: Park) -> str:
    """District, street and park name, each said once: a park named after its town
    ("平湖市新埭镇智能装备小微企业园" in 新埭镇, 平湖市) must not read "平湖市新埭镇 平湖市新埭镇…"."""
    street = park.street.removeprefix(park.district) or park.street
    name = park.name
    while True:
        shorter = next((name[len(p):] for p in (park.district, street) if p and name.startswith(p)), name)
        if shorter == name or not shorter.strip():
            break
        name = shorter
    return f"{park.district}{street}{name}"


def _addressee(session, park: Park, tenant: Tenant | None) -> dict:
    if tenant is None:
        return {"name": park.name, "credit_code": None, "address": _park_address(park),
                "person_in_charge": park.property_company}
    place = " ".join(p for p in (tenant.building, tenant.unit_no) if p)
    return {"name": tenant.name, "credit_code": tenant.credit_code,
            "address": f"{_park_address(park)} {place}".strip(),
            "person_in_charge": tenant.contact_name}


def _template_of(inspection: Inspection | None):
    return find_template(inspection.template_id, inspection.template_version) if inspection else None


def _item_basis(template, code: str | None) -> str | None:
    if template is None or not code:
        return None
    try:
        return template.item(code).legal_basis
    except KeyError:
        return None


def _basis(template, failed_codes: list[str], agency: Agency) -> list[str]:
    """检查依据: the template's own legal basis; else the distinct legal basis of the failed items
    (in their order); else the agency's configured default."""
    if template is not None and template.legal_basis:
        return list(template.legal_basis)
    items = [b for b in (_item_basis(template, code) for code in failed_codes) if b]
    return list(dict.fromkeys(items)) or list(agency.basis)


def _inspection_info(session, inspection: Inspection, agency: Agency, failed_codes: list[str]) -> dict:
    """What every kind says of the inspection: its China date, checklist, inspectors, legal basis."""
    template = _template_of(inspection)
    return {"date": china_time.local_date(inspection.started_at).isoformat(),
            "checklist": template.title("zh_CN") if template else inspection.template_id,
            "inspectors": _inspectors(session, inspection.inspector_ids),
            "basis": _basis(template, failed_codes, agency)}


def _china_iso(instant: datetime | None) -> str | None:
    return china_time.local(instant).isoformat(timespec="seconds") if instant else None


def _hazard_entry(session, number: int, hazard: Hazard, item: RectificationItem, store: Store,
                  photos: dict[str, Path]) -> dict:
    """One numbered hazard of a notice; its photos' files are added to `photos` (sha -> path)."""
    # Photos taken of the failed item during the inspection, then any added to the hazard later.
    files = files_of(store, "check_result", hazard.check_result_id) if hazard.check_result_id else []
    files += [f for f in files_of(store, "hazard", hazard.id) if f.sha256 not in {g.sha256 for g in files}]
    photos.update({f.sha256: f.path for f in files})
    inspection = session.get(Inspection, hazard.inspection_id) if hazard.inspection_id else None
    entry = {
        "no": number, "description": hazard.description, "location": hazard.location,
        "severity": hazard.severity,
        # a county rule's hazard carries its article; an inspection's takes its checklist item's
        "legal_basis": hazard.legal_basis or _item_basis(_template_of(inspection), hazard.item_code),
        "responsible": item.responsible_person, "responsible_phone": item.responsible_phone,
        "measures": item.measures, "funds_yuan": item.funds_yuan, "funds_reason": item.funds_reason,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "contingency_plan": item.contingency_plan,
        "photos": [f.sha256 for f in files],
        "outcome": None,
    }
    # A hazard that came back after an earlier one was closed says so on the notice (the key only
    # when it did: the content of every other notice stays as before).
    with store.read_connection() as conn:
        repeat = repeat_numbers(conn, [hazard.id]).get(hazard.id)
    if repeat:
        entry["repeat"] = repeat
    return entry


def _base_content(kind: str, number: str, issued_at: datetime, agency: Agency, park: Park, addressee: dict) -> dict:
    return {
        "schema": SCHEMA, "kind": kind, "number": number, "revision": 1, "supersedes": None,
        "issued_at": _china_iso(issued_at),
        "agency": agency_content(agency),
        "addressee": addressee, "park": {"code": park.code, "name": park.name}, "inspection": None,
        "reinspection": None, "hazards": [], "deadline": None, "references": None, "results": None,
    }


def _refuse_past_deadlines(entries: list[dict], issue_date: date, *, key: str = "deadline") -> None:
    """A document never orders rectification by a day already gone (China date of issue)."""
    for entry in entries:
        value = entry[key] if key == "deadline" else (entry.get("outcome") or {}).get(key)
        if value and date.fromisoformat(value) < issue_date:
            raise UserError("errors.deadline_before_issue", number=entry["no"], description=entry["description"][:30],
                            deadline=value, date=issue_date.isoformat())


# --- issuing ------------------------------------------------------------------------------------


def issue_rectification_notice(store: Store, *, hazard_ids: list[str], agency: Agency, keys_dir: Path,
                               now: datetime, supersedes: str | None = None,
                               font: tuple[Path | None, int | str | None] = (None, None)) -> IssuedNotice:
    """The 隐患整改通知书 for hazards of one tenant (or of one park's common areas).

    Refused, with nothing written, when a hazard lacks any of the five implementations or its
    deadline is before the issue date (China time), when the agency's policy requires the office's
    approval and these hazards as they stand have none (services/notice_review.py), when the hazards belong to different
    addressees, when a hazard is on an issued notice already (unless this is the correction that
    supersedes it), or when this device has no signing key. `font`: the office's PDF font
    (Settings.pdf_font), (None, None) the bundled one; likewise for the other documents.
    """
    ensure_ready_for_notice(store, hazard_ids, china_time.local_date(now))
    # The agency's policy may require the office's approval of exactly these hazards as they stand.

    ensure_approved(store, hazard_ids)
    key = signing_key(keys_dir)
    with store.transaction() as session:
        hazards = [session.get(Hazard, h) for h in hazard_ids]
        if len({(h.park_id, h.tenant_id) for h in hazards}) != 1:
            raise UserError("errors.notice_mixed_addressees")
        noticed = next((h for h in hazards if h.notice_id), None)
        if noticed is not None and supersedes is None:
            # A second notice for the same hazard would leave two orders for one deadline.
            held = session.get(Notice, noticed.notice_id)
            raise UserError("errors.notice_already_issued", number=held.number if held else noticed.notice_id)
        first = hazards[0]
        park = session.get(Park, first.park_id)
        tenant = session.get(Tenant, first.tenant_id) if first.tenant_id else None
        inspection = session.get(Inspection, first.inspection_id) if first.inspection_id else None
        items = [session.exec(select(RectificationItem).where(RectificationItem.hazard_id == h.id, LIVE_ITEM)
                              .order_by(RectificationItem.revision.desc())).first() for h in hazards]
        content, notice = _start(session, store, "rectification", agency, now, park, tenant, inspection,
                                 supersedes)
        if inspection is not None:
            content["inspection"] = _inspection_info(session, inspection, agency, [h.item_code for h in hazards])
        photos: dict[str, Path] = {}
        content["hazards"] = [_hazard_entry(session, n, h, i, store, photos)
                              for n, (h, i) in enumerate(zip(hazards, items, strict=True), start=1)]
        content["deadline"] = max(e["deadline"] for e in content["hazards"])
        issued = _finish(session, key, notice, content, photos, font)
        for hazard, item in zip(hazards, items, strict=True):
            hazard.notice_id = notice.id
            item.notice_id = notice.id
        return issued


def issue_reinspection_opinion(store: Store, *, notice_number: str, agency: Agency, keys_dir: Path,
                               now: datetime, font: tuple[Path | None, int | str | None] = (None, None)) -> IssuedNotice:
    """The 复查意见书 answering a rectification notice: each hazard's latest re-inspection outcome,
    dated and signed by the re-inspection (复查) itself, not by the original inspection."""
    key = signing_key(keys_dir)
    with store.transaction() as session:
        original = session.exec(select(Notice).where(Notice.number == notice_number)).first()
        if original is None or original.kind != "rectification":
            raise UserError("errors.notice_missing", number=notice_number)
        park = session.get(Park, original.park_id)
        tenant = session.get(Tenant, original.tenant_id) if original.tenant_id else None
        hazards = session.exec(select(Hazard).where(Hazard.notice_id == original.id)).all()
        # The row stays linked to the inspection; the content names the 复查 instead (below).
        inspection = session.get(Inspection, original.inspection_id) if original.inspection_id else None
        content, notice = _start(session, store, "reinspection_opinion", agency, now, park, tenant, inspection,
                                 None)
        content["references"] = original.number
        entries, photos, done = [], {}, []
        for number, hazard in enumerate(sorted(hazards, key=lambda h: h.found_on), start=1):
            item = session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard.id, LIVE_ITEM)
                                .order_by(RectificationItem.revision.desc())).first()
            entry = _hazard_entry(session, number, hazard, item, store, photos)
            item_ids = select(RectificationItem.id).where(RectificationItem.hazard_id == hazard.id)
            latest = session.exec(select(Reinspection).where(Reinspection.rectification_item_id.in_(item_ids))
                                  .order_by(Reinspection.inspected_on.desc(), Reinspection.created_at.desc())).first()
            if latest is not None:
                entry["outcome"] = {"result": latest.outcome, "date": latest.inspected_on.isoformat(),
                                    "evidence": latest.evidence_note,
                                    "new_deadline": latest.new_deadline.isoformat() if latest.new_deadline else None}
                done.append(latest)
            entries.append(entry)
        if not done:
            raise UserError("errors.reinspection_missing", number=notice_number)
        _refuse_past_deadlines(entries, china_time.local_date(now), key="new_deadline")
        inspector_ids = list(dict.fromkeys(i for r in sorted(done, key=lambda r: r.inspected_on)
                                           for i in r.inspector_ids))
        dates = sorted({r.inspected_on.isoformat() for r in done})
        content["reinspection"] = {"date": dates[-1], "dates": dates,
                                   "inspectors": _inspectors(session, inspector_ids)}
        content["hazards"] = entries
        return _finish(session, key, notice, content, photos, font)


def issue_inspection_record(store: Store, *, inspection_id: str, agency: Agency, keys_dir: Path,
                            now: datetime, font: tuple[Path | None, int | str | None] = (None, None)) -> IssuedNotice:
    """The 检查记录 of a finished inspection: every checklist item and its result, the time it ran
    from and to, every inspector and the unit's accompanying person. Numbered in its own series."""
    key = signing_key(keys_dir)
    with store.transaction() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None or inspection.deleted:
            raise UserError("errors.inspection_missing")
        if inspection.status != "finished":
            raise UserError("errors.inspection_not_finished")
        park = session.get(Park, inspection.park_id)
        tenant = session.get(Tenant, inspection.tenant_id) if inspection.tenant_id else None
        content, notice = _start(session, store, "inspection_record", agency, now, park, tenant, inspection, None)
        results = session.exec(select(CheckResult).where(CheckResult.inspection_id == inspection_id)
                               .order_by(CheckResult.position)).all()
        info = _inspection_info(session, inspection, agency, [r.item_code for r in results if r.outcome == "fail"])
        info.update({"started_at": _china_iso(inspection.started_at), "finished_at": _china_iso(inspection.finished_at),
                     # Inspection.accompanied_by (migration 0008) where this database has it.
                     "accompanied_by": getattr(inspection, "accompanied_by", None)})
        content["inspection"] = info
        items = items_of(session, results)  # the items as they were when the inspection started
        content["results"] = [{"code": r.item_code, "category": items[r.id].category, "text": items[r.id].text,
                               "outcome": r.outcome, "note": r.note} for r in results]
        return _finish(session, key, notice, content, {}, font)


def _start(session, store: Store, kind: str, agency: Agency, now: datetime, park: Park, tenant: Tenant | None,
           inspection: Inspection | None, supersedes: str | None) -> tuple[dict, Notice]:
    if not agency.name.strip():
        raise UserError("errors.agency_missing")  # a notice must say who issues it
    block = device_block(store)
    year = china_time.local(now).year  # the number's year is the China year of issue
    sequence, number = _next_number(session, agency, kind, block, year)
    content = _base_content(kind, number, now, agency, park, _addressee(session, park, tenant))
    notice = Notice(number=number, kind=kind, park_id=park.id, tenant_id=tenant.id if tenant else None,
                    inspection_id=inspection.id if inspection else None, device_block=block, year=year,
                    sequence=sequence, issued_at=china_time.local(now).astimezone(UTC),
                    content_json="", content_sha256="")
    if supersedes:
        old = session.exec(select(Notice).where(Notice.number == supersedes)).first()
        if old is None:
            raise UserError("errors.notice_missing", number=supersedes)
        content["supersedes"], content["revision"] = old.number, old.revision + 1
        notice.supersedes_id, notice.revision = old.id, old.revision + 1
    return content, notice


def _finish(session, key, notice: Notice, content: dict, photos: dict[str, Path],
            font: tuple[Path | None, int | str | None]) -> IssuedNotice:
    # reportlab and the signing code (pyHanko): loaded when a document is issued, not when a screen opens.
    from exports.fonts import pdf_font
    from exports.notice_pdf import render_document
    from exports.signing import make_qr_payload, sign_pdf

    canonical = canonical_json(content)
    qr = make_qr_payload(notice.number, canonical, key, signed_at=notice.issued_at)
    # A character the font cannot draw: UserError, nothing stored.
    pdf = sign_pdf(render_document(content, qr_payload=qr, photos=photos, font=pdf_font(*font)), key)
    notice.content_json = canonical.decode("utf-8")
    notice.content_sha256 = content_hash(canonical)
    notice.pdf = pdf
    notice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    notice.signature = qr
    notice.signer_fingerprint = key.fingerprint
    session.add(notice)
    session.flush()
    return IssuedNotice(notice.id, notice.number, notice.kind, notice.issued_at, notice.pdf_sha256, content)


# --- export and print ---------------------------------------------------------------------------


def notice_pdf(store: Store, number: str) -> tuple[str, bytes]:
    with store.read() as session:
        notice = session.exec(select(Notice).where(Notice.number == number.strip())).first()
    if notice is None or notice.pdf is None:
        raise UserError("errors.notice_missing", number=number)
    return notice.number, notice.pdf


def all_numbers(store: Store) -> list[str]:
    with store.read() as session:
        return list(session.exec(select(Notice.number).order_by(Notice.issued_at, Notice.number)).all())


def file_name(number: str) -> str:
    """A file name every OS accepts, still readable: 平经信安整〔2026〕A07-0012号.pdf."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", number) + ".pdf"


def export_notices(store: Store, directory: Path, numbers: list[str]) -> list[Path]:
    directory = Path(directory).expanduser()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError("errors.export_folder", folder=str(directory), reason=exc.strerror or str(exc)) from None
    written = []
    for number in numbers:
        number, pdf = notice_pdf(store, number)
        target = directory / file_name(number)
        write_file(target, pdf)
        written.append(target)
    return written


def print_pdf(path: Path) -> str:
    """Send a PDF to the system printer; return how ("lp" or "windows"). Refuses when neither works."""
    if shutil.which("lp"):
        result = subprocess.run(["lp", str(path)], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise UserError("errors.print_failed", reason=(result.stderr or result.stdout).strip())
        return "lp"
    if sys.platform == "win32":
        os.startfile(str(path), "print")  # type: ignore[attr-defined]  # the OS print verb
        return "windows"
    raise UserError("errors.no_printer")


def agency_default(store: Store) -> Agency:
    """The agency from the inspector profile when the office configured none."""
    inspector = current_inspector(store)
    return Agency(name=inspector.agency if inspector else "")


