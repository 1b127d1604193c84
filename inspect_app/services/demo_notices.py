"""The demo's documents: rectification notices issued for a few tenants, then what follows in the
field (service, a 复查 answered by a 复查意见书, a signed 检查记录), all through the services the
notice screens and `parkinspect notices` use, on the days an inspector would have done them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from db.models import Hazard, Inspection, Park, RectificationItem, Tenant
from db.store import Store
from forms import china_time
from forms.rectification import missing_implementations
from inspect_app.services.demo_data import load_demo_data
from inspect_app.services.hazards import LIVE_ITEM, record_reinspection
from inspect_app.services.inspections import set_accompanied_by
from inspect_app.services.keys import ensure_device_key
from inspect_app.services.notice_service import record_service
from inspect_app.services.notices import (
    Agency,
    agency_from_config,
    issue_inspection_record,
    issue_rectification_notice,
    issue_reinspection_opinion,
)

DEMO_NOTICES = 10  # per run: enough to see real notices, few enough to keep `parkinspect demo` quick


def demo_agency(configured: Mapping[str, Any] | None = None):
    """The issuing agency of demo notices: the office's `[agency]` where configured, else the demo's own."""
    data = load_demo_data()
    return agency_from_config(configured or {}, Agency(name=data.agencies[0], short=data.notice_agency_short))


def notice_candidates(store: Store, count: int) -> list[list[str]]:
    """Up to `count` groups of hazard ids, one group per tenant inspection, that can be issued now:
    open tenant hazards without a notice whose current 五落实 item is complete.

    The choice is deterministic for a given content (ordered by park code, credit code, inspection
    date and checklist item; the UUID keys play no part), and spreads over parks before tenants."""
    with store.read() as session:
        rows = session.exec(
            select(Hazard, RectificationItem, Park.code, Tenant.credit_code, Inspection.started_at)
            .join(RectificationItem, RectificationItem.hazard_id == Hazard.id)
            .join(Park, Park.id == Hazard.park_id)
            .join(Tenant, Tenant.id == Hazard.tenant_id)
            .join(Inspection, Inspection.id == Hazard.inspection_id)
            .where(Hazard.status == "open", Hazard.notice_id == None,  # noqa: E711
                   Hazard.deleted == False, Tenant.deleted == False, LIVE_ITEM)  # noqa: E712
        ).all()
    current: dict[str, tuple] = {}  # hazard id -> its latest live item and sort keys
    for hazard, item, park_code, credit, started in rows:
        known = current.get(hazard.id)
        if known is None or item.revision > known[1].revision:
            current[hazard.id] = (hazard, item, park_code, credit, started)
    groups: dict[tuple, list[tuple]] = {}
    for hazard, item, park_code, credit, started in current.values():
        if item.status != "open" or missing_implementations(
                responsible_person=item.responsible_person, responsible_phone=item.responsible_phone,
                measures=item.measures, funds_yuan=item.funds_yuan, funds_reason=item.funds_reason,
                deadline=item.deadline, contingency_plan=item.contingency_plan):
            continue
        key = (park_code, credit or "", started, hazard.inspection_id)
        groups.setdefault(key, []).append((hazard.item_code or "", hazard.found_on, hazard.description, hazard.id))
    by_park: dict[str, list[tuple]] = {}
    for key in sorted(groups):
        by_park.setdefault(key[0], []).append(key)
    chosen: list[tuple] = []
    queues = [by_park[code] for code in sorted(by_park)]
    while len(chosen) < count and any(queues):  # round robin: first group of each park, then second ...
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return [[entry[-1] for entry in sorted(groups[key])] for key in chosen]


def issue_demo_notices(store: Store, *, keys_dir, agency, count: int = DEMO_NOTICES,
                       now: datetime | None = None, font: tuple[Path | None, int | str | None] = (None, None)) -> list:
    """Issue rectification notices for up to `count` demo tenants (see `notice_candidates`), creating
    this device's signing key first when `keys_dir` holds none. Returns the IssuedNotice objects.
    `font`: the office's PDF font (Settings.pdf_font), (None, None) the bundled one.

    Each notice is issued on the day of its inspection (an hour after it started, never after
    `now`), as an inspector does on site: its deadlines, counted from that day, are then on or
    after the issue date. Issued in order of their inspections, so numbers grow with the dates."""
    groups = notice_candidates(store, count) if count > 0 else []
    if not groups:
        return []
    ensure_device_key(store, keys_dir, name="演示设备", organisation=agency.name or None)
    now = now or datetime.now(UTC).replace(microsecond=0)
    with store.read() as session:
        started = {ids[0]: session.exec(select(Inspection.started_at).join(Hazard, Hazard.inspection_id == Inspection.id)
                                        .where(Hazard.id == ids[0])).one() for ids in groups}

    def issued_on(ids: list[str]) -> datetime:
        moment = started[ids[0]]
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return min(now, moment + timedelta(hours=1))

    return [issue_rectification_notice(store, hazard_ids=ids, agency=agency, keys_dir=keys_dir, now=issued_on(ids),
                                       font=font) for ids in sorted(groups, key=issued_on)]


def complete_demo_documents(store: Store, issued: list, *, keys_dir, agency, now: datetime | None = None,
                            font: tuple[Path | None, int | str | None] = (None, None)) -> dict:
    """What follows a notice in the field, so every document kind and state shows in the demo:
    every notice but the newest served (the day after its issue, one left at the premises with a
    witness), the oldest notice's hazards re-inspected as rectified a week on and answered by a
    复查意见书, and the 检查记录 of its inspection signed with the accompanying person.
    Returns the counts: {"served", "opinions", "records"}."""
    counts = {"served": 0, "opinions": 0, "records": 0}
    if not issued:
        return counts
    now = now or datetime.now(UTC).replace(microsecond=0)
    today = china_time.local_date(now)
    by_date = sorted(issued, key=lambda n: n.issued_at)
    for index, notice in enumerate(by_date[:-1]):  # the newest waits for its service: 待送达 / late
        addressee = notice.content["addressee"]
        served_on = min(today, china_time.local_date(notice.issued_at) + timedelta(days=1))
        values = {"method": "direct", "recipient": addressee.get("person_in_charge") or "收发室",
                  "served_on": served_on.isoformat()}
        if index % 4 == 3:
            values.update(method="left", refused=True, witness="园区物业 陈晓东",
                          recipient=addressee.get("person_in_charge") or "负责人")
        record_service(store, notice.number, values, today=today)
        counts["served"] += 1
    oldest = by_date[0]
    with store.read() as session:
        hazards = session.exec(select(Hazard).where(Hazard.notice_id == oldest.id)).all()
        inspection = session.get(Inspection, hazards[0].inspection_id) if hazards and hazards[0].inspection_id else None
        hazard_ids = [h.id for h in hazards]
        inspector_ids = list(inspection.inspector_ids) if inspection else []
    reinspected = china_time.local(oldest.issued_at) + timedelta(days=7)
    if hazard_ids and inspector_ids and reinspected <= now:
        for hazard_id in hazard_ids:
            record_reinspection(store, hazard_id, outcome="rectified", on=reinspected.date(),
                                evidence_note="现场复查，已按通知要求整改完毕", new_deadline=None,
                                inspector_ids=inspector_ids)
        opinion = issue_reinspection_opinion(store, notice_number=oldest.number, agency=agency,
                                             keys_dir=keys_dir, now=reinspected + timedelta(hours=1), font=font)
        record_service(store, opinion.number, {"method": "direct", "served_on": reinspected.date().isoformat(),
                                               "recipient": oldest.content["addressee"].get("person_in_charge")
                                               or "收发室"}, today=today)
        counts["opinions"] += 1
    if inspection is not None:
        person = oldest.content["addressee"].get("person_in_charge") or "企业安全员"
        set_accompanied_by(store, inspection.id, person)
        issue_inspection_record(store, inspection_id=inspection.id, agency=agency, keys_dir=keys_dir,
                                now=oldest.issued_at + timedelta(minutes=5), font=font)
        counts["records"] += 1
    return counts
