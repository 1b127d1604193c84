"""An inspection from start to finish: checklist results, then one hazard per failed item.

Starting makes an unanswered CheckResult per template item, each naming the item as the template
has it now (a ChecklistItem row named by its content, db/checklist_items.py), so a later edit of
the template never changes a past inspection. Finishing turns each failed
item into a Hazard with one RectificationItem whose deadline defaults from the template and the
severity; the 五落实 are then agreed on the hazard (services/hazards.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic_core import PydanticCustomError
from sqlmodel import select

from db.checklist_items import ItemAsItWas, add_missing, items_of, new_item
from db.errors import UserError
from db.models import (
    AttachmentLink,
    ChecklistItem,
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    Park,
    RectificationItem,
    Tenant,
    utc_now,
)
from db.store import Store
from forms import fields
from forms.checklist import DEFAULT_DEADLINE_DAYS, ChecklistTemplate, find_template
from forms.i18n import current_language, t

OUTCOMES = ("pass", "fail", "na")
MAX_INSPECTORS = 3
MAX_ACCOMPANIED = 50  # Inspection.accompanied_by


@dataclass(frozen=True)
class ResultView:
    id: str
    code: str
    category: str
    text: str
    default_severity: str
    major_possible: bool
    outcome: str | None
    note: str | None
    observed_value: str | None


@dataclass(frozen=True)
class InspectionView:
    id: str
    park_id: str
    tenant_id: str | None
    subject: str  # tenant name, or "<park> 公共区域"
    template_id: str
    template_version: str
    title: str
    status: str
    inspector_names: list[str]
    results: list[ResultView]
    accompanied_by: str | None = None  # 陪同人员 (services: set_accompanied_by)
    started_at: datetime | None = None  # UTC, as stored

    @property
    def answered(self) -> int:
        return sum(r.outcome is not None for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.outcome == "fail" for r in self.results)


def start_inspection(store: Store, *, park_id: str, tenant_id: str | None, template: ChecklistTemplate,
                     inspector_ids: list[str]) -> str:
    """Create the inspection and its (unanswered) results; return its id."""
    inspection, items, results = new_inspection(park_id=park_id, tenant_id=tenant_id, template=template,
                                                inspector_ids=inspector_ids)
    with store.transaction() as session:
        add_missing(session, items)
        session.add(inspection)
        session.flush()
        session.add_all(results)
        return inspection.id


def new_inspection(*, park_id: str, tenant_id: str | None, template: ChecklistTemplate, inspector_ids: list[str],
                   started_at: datetime | None = None
                   ) -> tuple[Inspection, list[ChecklistItem], list[CheckResult]]:
    """The rows starting an inspection makes, not yet in a session: the inspection, every template
    item as it is now (add them with `checklist_items.add_missing`: most are held already) and an
    unanswered result naming each. `started_at` (UTC) defaults to now; the demo passes a past
    moment. Refused (UserError) for a team of the wrong size or a template not meant for the scope."""
    inspectors = list(dict.fromkeys(inspector_ids))
    if not 1 <= len(inspectors) <= MAX_INSPECTORS:
        raise UserError("errors.inspectors_count", max=MAX_INSPECTORS)
    scope = "tenant" if tenant_id else "common_area"
    if scope not in template.applies_to:
        raise UserError("errors.template_scope", title=template.title())
    inspection = Inspection(park_id=park_id, tenant_id=tenant_id, template_id=template.id,
                            template_version=template.version, template_sha256=template.sha256 or None,
                            inspector_ids=inspectors, started_at=started_at or utc_now())
    items = [new_item(template.id, template.version, item.code, item.category("zh_CN"), item.text("zh_CN"),
                      item.default_severity, item.major_possible) for item in template.items]
    results = [CheckResult(inspection_id=inspection.id, item_code=item.code, position=position,
                           checklist_item_id=row.id)
               for position, (item, row) in enumerate(zip(template.items, items, strict=True))]
    return inspection, items, results


def unfinished_inspection(store: Store, *, park_id: str, tenant_id: str | None) -> str | None:
    """The inspection of this tenant (or of the park's common areas) left open, to resume it."""
    with store.read() as session:
        statement = select(Inspection.id).where(
            Inspection.park_id == park_id, Inspection.status == "in_progress", Inspection.deleted == False,  # noqa: E712
            Inspection.tenant_id == tenant_id if tenant_id else Inspection.tenant_id.is_(None),
        ).order_by(Inspection.started_at.desc())
        return session.exec(statement).first()


def load_inspection(store: Store, inspection_id: str, *, lang: str | None = None) -> InspectionView:
    with store.read() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None:
            raise UserError("errors.inspection_missing")
        park = session.get(Park, inspection.park_id)
        tenant = session.get(Tenant, inspection.tenant_id) if inspection.tenant_id else None
        names = {i.id: i.name for i in session.exec(select(Inspector).where(Inspector.id.in_(inspection.inspector_ids)))}
        results = session.exec(select(CheckResult).where(CheckResult.inspection_id == inspection_id)
                               .order_by(CheckResult.position)).all()
        items = items_of(session, results)
    template = find_template(inspection.template_id, inspection.template_version)
    english = (lang or current_language()) == "en"

    def shown(result: CheckResult, attr: str, stored: str) -> str:
        # The stored copy is the record; the template (when this version is still there) only
        # lends its English wording to an English screen.
        if template is None or not english:
            return stored
        try:
            return getattr(template.item(result.item_code), attr)(lang)
        except KeyError:
            return stored

    return InspectionView(
        id=inspection.id, park_id=inspection.park_id, tenant_id=inspection.tenant_id,
        subject=tenant.name if tenant else t("inspection.common_areas", park=park.name),
        template_id=inspection.template_id, template_version=inspection.template_version,
        title=template.title(lang) if template else inspection.template_id, status=inspection.status,
        inspector_names=[names.get(i, "?") for i in inspection.inspector_ids],
        results=[ResultView(id=r.id, code=r.item_code, category=shown(r, "category", items[r.id].category),
                            text=shown(r, "text", items[r.id].text), default_severity=items[r.id].default_severity,
                            major_possible=items[r.id].major_possible, outcome=r.outcome, note=r.note,
                            observed_value=r.observed_value) for r in results],
        accompanied_by=inspection.accompanied_by, started_at=inspection.started_at,
    )


def record_outcome(store: Store, result_id: str, outcome: str | None, *, note: str | None = None,
                   observed_value: str | None = None) -> None:
    """Pass / fail / not applicable (or None to clear) for one item, with its note."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(outcome)
    with store.transaction() as session:
        result = session.get(CheckResult, result_id)
        _ensure_in_progress(session, result.inspection_id)
        if result.outcome != outcome:
            result.outcome = outcome
        if note is not None and (note.strip() or None) != result.note:
            result.note = note.strip() or None
        if observed_value is not None and (observed_value.strip() or None) != result.observed_value:
            result.observed_value = observed_value.strip() or None


def pass_remaining(store: Store, inspection_id: str) -> int:
    """Mark every unanswered item as passed ("everything else is fine"); return how many."""
    with store.transaction() as session:
        _ensure_in_progress(session, inspection_id)
        open_results = session.exec(select(CheckResult).where(CheckResult.inspection_id == inspection_id,
                                                              CheckResult.outcome.is_(None))).all()
        for result in open_results:
            result.outcome = "pass"
        return len(open_results)


def finish_inspection(store: Store, inspection_id: str, *, today: date) -> list[str]:
    """Close the inspection and turn each failed item into a hazard; return the hazard ids.

    Refused while items are unanswered (the message says how many); nothing is written then.
    """
    with store.transaction() as session:
        inspection = _ensure_in_progress(session, inspection_id)
        results = session.exec(select(CheckResult).where(CheckResult.inspection_id == inspection_id)
                               .order_by(CheckResult.position)).all()
        unanswered = [r for r in results if r.outcome is None]
        if unanswered:
            raise UserError("errors.inspection_unanswered", count=len(unanswered), first=unanswered[0].item_code)
        template = find_template(inspection.template_id, inspection.template_version)
        hazards = finished_rows(inspection, results, items_of(session, results), template=template,
                                location=_location(session, inspection), today=today)
        for hazard, item in hazards:
            session.add(hazard)
            session.flush()  # no relationship() is mapped: the hazard goes in before its item
            session.add(item)
        return [hazard.id for hazard, _ in hazards]


def finished_rows(inspection: Inspection, results: list[CheckResult], items: dict[str, ItemAsItWas], *,
                  template: ChecklistTemplate | None, location: str, today: date, finished_at: datetime | None = None
                  ) -> list[tuple[Hazard, RectificationItem]]:
    """Finish `inspection` (all results answered): mark it finished at `finished_at` (UTC, default now)
    and make, for each failed result in checklist order, a hazard found `today` at `location` with
    its 五落实 item, whose deadline is the template's for the item's default severity (`items`: result
id -> the item as it was, `checklist_items.items_of`); hazards in the
    order of `results` (finish_inspection: checklist order). The rows are not added to any session."""
    hazards = []
    for result in results:
        if result.outcome != "fail":
            continue
        hazard = Hazard(inspection_id=inspection.id, check_result_id=result.id, park_id=inspection.park_id,
                        tenant_id=inspection.tenant_id, item_code=result.item_code, location=location,
                        description=_finding(result, items[result.id]), severity=items[result.id].default_severity,
                        found_on=today)
        days = _deadline_days(template, result, items[result.id])
        hazards.append((hazard, RectificationItem(hazard_id=hazard.id, deadline=today + timedelta(days=days))))
    inspection.status = "finished"
    inspection.finished_at = finished_at or utc_now()
    return hazards


def discard_inspection(store: Store, inspection_id: str) -> int:
    """Throw away an unfinished inspection (started on the wrong tenant, or not to be done today).

    Nothing is hard-deleted: the inspection, its results and the photo links of those results
    become tombstones (`deleted = True`), each an ordinary change the outbox carries to the hub
    and the other devices (docs/SYNC.md "Edit vs delete"). The photos' files stay: they are
    content-addressed and may be linked elsewhere. A finished inspection has made hazards and may
    be named by a notice: it is refused, and nothing is written. Returns how many results went.
    """
    with store.transaction() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None or inspection.deleted:
            raise UserError("errors.inspection_missing")
        if inspection.status != "in_progress":
            raise UserError("errors.inspection_discard_finished")
        results = session.exec(select(CheckResult).where(CheckResult.inspection_id == inspection_id,
                                                         CheckResult.deleted == False)).all()  # noqa: E712
        result_ids = [r.id for r in results]
        links = session.exec(select(AttachmentLink).where(
            AttachmentLink.owner_table == "check_result", AttachmentLink.owner_id.in_(result_ids),
            AttachmentLink.deleted == False)).all() if result_ids else []  # noqa: E712
        for row in (*links, *results, inspection):
            row.deleted = True
        return len(results)


def parse_accompanied_by(name: object) -> str | None:
    """The name as stored (trimmed; None when blank); UserError on the field when it cannot be
    printed on one signature line."""
    try:
        return fields.single_line_text(name, max_length=MAX_ACCOMPANIED)
    except PydanticCustomError as exc:
        raise UserError(f"errors.{exc.type}", field="accompanied_by", **(exc.context or {})) from None


def set_accompanied_by(store: Store, inspection_id: str, name: object) -> str | None:
    """Record the unit's accompanying person (陪同人员), who signs the 检查记录; blank clears it.

    The name prints on a signature line: one line, at most MAX_ACCOMPANIED characters, no control
    characters. Refused (UserError on the field, nothing written) otherwise. Allowed on a finished
    inspection too: the name is often asked for at the end, when the record is signed. Returns the
    stored value."""
    value = parse_accompanied_by(name)
    with store.transaction() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None or inspection.deleted:
            raise UserError("errors.inspection_missing")
        if inspection.accompanied_by != value:  # an unchanged name writes no change to sync
            inspection.accompanied_by = value
        return value


def _finding(result: CheckResult, item: ItemAsItWas) -> str:
    """What was found: the inspector's note when there is one; the template item says what is
    required ("安全出口…未被锁闭"), so without a note the hazard says that it is not met."""
    if result.note:
        return result.note
    return t("inspection.not_met", lang="zh_CN", text=item.text)


def _deadline_days(template: ChecklistTemplate | None, result: CheckResult, item: ItemAsItWas) -> int:
    if template is not None:
        try:
            return template.item(result.item_code).deadline_days(item.default_severity)
        except KeyError:
            pass
    return DEFAULT_DEADLINE_DAYS[item.default_severity]


def _location(session, inspection: Inspection) -> str:
    park = session.get(Park, inspection.park_id)
    if inspection.tenant_id is None:
        return t("inspection.common_areas", lang="zh_CN", park=park.name)
    # The park is in the notice's address already: the hazard's place is the tenant's unit.
    tenant = session.get(Tenant, inspection.tenant_id)
    return " ".join(p for p in (tenant.building, tenant.unit_no) if p) or tenant.name


def _ensure_in_progress(session, inspection_id: str) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or inspection.deleted:
        raise UserError("errors.inspection_missing")
    if inspection.status != "in_progress":
        raise UserError("errors.inspection_finished")
    return inspection
