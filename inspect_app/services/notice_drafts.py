"""What a 复查意见书 or a 检查记录 will say before it is issued, and which document a person means.

Read only: the issue screen previews a document from these (the rectification notice previews its
hazards from services/hazards.py), and the CLI finds the inspection, the hazards or the
rectification notice a person names by a tenant's credit code. Issuing itself is
services/notices.py; the preview and the issued document read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select

from db.errors import UserError
from db.models import (
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    Notice,
    Park,
    RectificationItem,
    Reinspection,
    Tenant,
)
from db.store import Store
from forms.checklist import find_template
from forms.credit_code import normalise

KINDS = ("rectification", "reinspection_opinion", "inspection_record")


@dataclass(frozen=True)
class Addressee:
    park_code: str
    park_name: str
    tenant_name: str | None  # None: the park's common areas
    credit_code: str | None


@dataclass(frozen=True)
class OpinionLine:
    """One hazard of the rectification notice and its latest re-inspection (None: not yet)."""

    description: str
    location: str
    deadline: date | None
    outcome: str | None
    inspected_on: date | None
    new_deadline: date | None


@dataclass(frozen=True)
class OpinionDraft:
    notice_number: str
    addressee: Addressee
    lines: list[OpinionLine]

    @property
    def reinspected(self) -> int:
        return sum(line.outcome is not None for line in self.lines)


@dataclass(frozen=True)
class RecordDraft:
    inspection_id: str
    addressee: Addressee
    checklist: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    inspectors: list[str]
    accompanied_by: str | None
    passed: int
    failed: int
    not_applicable: int


def _addressee(session, park_id: str, tenant_id: str | None) -> Addressee:
    park = session.get(Park, park_id)
    tenant = session.get(Tenant, tenant_id) if tenant_id else None
    return Addressee(park.code, park.name, tenant.name if tenant else None, tenant.credit_code if tenant else None)


# --- 复查意见书 -----------------------------------------------------------------------------------


def opinion_notice_of(store: Store, hazard_id: str) -> str | None:
    """The number of the rectification notice that names this hazard (None: not on any notice):
    the notice a 复查意见书 about this hazard answers."""
    with store.read() as session:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None or hazard.notice_id is None:
            return None
        notice = session.get(Notice, hazard.notice_id)
        return notice.number if notice is not None and notice.kind == "rectification" else None


def opinion_draft(store: Store, notice_number: str) -> OpinionDraft:
    """The hazards of rectification notice `notice_number` with each one's latest re-inspection.
    UserError when there is no such rectification notice."""
    with store.read() as session:
        notice = session.exec(select(Notice).where(Notice.number == notice_number.strip())).first()
        if notice is None or notice.kind != "rectification":
            raise UserError("errors.notice_missing", number=notice_number)
        hazards = session.exec(select(Hazard).where(Hazard.notice_id == notice.id)).all()
        lines = []
        for hazard in sorted(hazards, key=lambda h: h.found_on):
            item_ids = select(RectificationItem.id).where(RectificationItem.hazard_id == hazard.id)
            item = session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard.id)
                                .order_by(RectificationItem.revision.desc())).first()
            latest = session.exec(select(Reinspection).where(Reinspection.rectification_item_id.in_(item_ids))
                                  .order_by(Reinspection.inspected_on.desc(),
                                            Reinspection.created_at.desc())).first()
            lines.append(OpinionLine(hazard.description, hazard.location, item.deadline if item else None,
                                     latest.outcome if latest else None, latest.inspected_on if latest else None,
                                     latest.new_deadline if latest else None))
        return OpinionDraft(notice.number, _addressee(session, notice.park_id, notice.tenant_id), lines)


def opinion_problem(draft: OpinionDraft) -> UserError | None:
    """Why no 复查意见书 can be issued for the notice yet (None when it can)."""
    if draft.reinspected == 0:
        return UserError("errors.reinspection_missing", number=draft.notice_number)
    return None


# --- 检查记录 -------------------------------------------------------------------------------------


def record_draft(store: Store, inspection_id: str) -> RecordDraft:
    """The inspection as its 检查记录 will show it. UserError when there is no such inspection."""
    with store.read() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None or inspection.deleted:
            raise UserError("errors.inspection_missing")
        names = {i.id: i.name for i in session.exec(select(Inspector)
                                                    .where(Inspector.id.in_(inspection.inspector_ids)))}
        outcomes = session.exec(select(CheckResult.outcome).where(CheckResult.inspection_id == inspection_id)).all()
        template = find_template(inspection.template_id, inspection.template_version)
        return RecordDraft(
            inspection_id=inspection.id, addressee=_addressee(session, inspection.park_id, inspection.tenant_id),
            checklist=template.title() if template else inspection.template_id, status=inspection.status,
            started_at=inspection.started_at, finished_at=inspection.finished_at,
            inspectors=[names.get(i, "?") for i in inspection.inspector_ids],
            accompanied_by=inspection.accompanied_by,
            passed=outcomes.count("pass"), failed=outcomes.count("fail"), not_applicable=outcomes.count("na"))


def record_problem(draft: RecordDraft) -> UserError | None:
    if draft.status != "finished":
        return UserError("errors.inspection_not_finished")
    return None


# --- finding what a person names by a tenant's credit code (CLI) ---------------------------------


def tenants_by_credit_code(store: Store, credit_code: str, park_code: str | None = None) -> list[Tenant]:
    """The live tenants with this credit code (in the park `park_code` when given)."""
    code = normalise(credit_code or "")
    with store.read() as session:
        statement = select(Tenant).where(Tenant.credit_code == code, Tenant.deleted == False,  # noqa: E712
                                         Tenant.merged_into.is_(None))
        if park_code:
            statement = statement.join(Park, Park.id == Tenant.park_id).where(Park.code == park_code.strip())
        return list(session.exec(statement).all())


def missing_hazards(store: Store, hazard_ids: list[str]) -> list[str]:
    """The ids among `hazard_ids` that name no live hazard here."""
    with store.read() as session:
        found = set(session.exec(select(Hazard.id).where(Hazard.id.in_(hazard_ids),
                                                         Hazard.deleted == False)).all())  # noqa: E712
    return [h for h in hazard_ids if h not in found]


def latest_finished_inspection(store: Store, tenant_id: str) -> str | None:
    with store.read() as session:
        return session.exec(select(Inspection.id).where(
            Inspection.tenant_id == tenant_id, Inspection.status == "finished",
            Inspection.deleted == False)  # noqa: E712
            .order_by(Inspection.finished_at.desc(), Inspection.started_at.desc())).first()


def latest_rectification_notice(store: Store, tenant_id: str) -> str | None:
    with store.read() as session:
        return session.exec(select(Notice.number).where(Notice.tenant_id == tenant_id,
                                                        Notice.kind == "rectification")
                            .order_by(Notice.issued_at.desc())).first()
