"""Review before a notice leaves: the agency's policy, requests, approval, return, change requests.

The office sets which 整改通知书 need its approval (`agency_policy`, synced to every device:
none, major — those naming a 重大 hazard — or all). A laptop prepares the notice (its hazards
with the five implementations complete; no number is taken) and submits it: a `notice_review`
row, kind "notice", state pending, with the sha256 of the reviewed content (`content_digest`:
each hazard's location, description, severity and its current 五落实). The office approves it or
returns it with a comment. `issue_rectification_notice` calls `ensure_approved`: when approval is
required, only an approved request whose digest equals the hazards' digest now lets it through —
an edit of a reviewed hazard after the approval changes the digest, and it needs a new review.

The office may also ask for changes on a finished inspection (kind "changes", state open): the
inspector's correction is an ordinary edit of a hazard or its 五落实 (the change log keeps every
revision) and marks the inspection's open requests resolved.

Only the office (a device of every park, or in the office's role: services/office_role.py) sets
the policy, approves, returns and asks for changes; the hub refuses the same from a park-limited device (`office_only`).
Nothing here blocks an inspection or the 五落实: a prepared notice simply waits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from db.errors import UserError
from db.models import (
    AgencyPolicy,
    AttachmentLink,
    Hazard,
    Inspection,
    Inspector,
    NoticeReview,
    Park,
    RectificationItem,
    Tenant,
    utc_now,
)
from db.store import Store
from inspect_app.services import office_role
from inspect_app.services.hazards import ensure_ready_for_notice

POLICIES = ("none", "major", "all")
MAX_COMMENT = 1000
FIVE_FIELDS = ("responsible_person", "responsible_phone", "measures", "funds_yuan", "funds_reason", "deadline",
               "contingency_plan")


def require_office(store: Store) -> None:
    office_role.require_office(store, "review")


# --- the policy -----------------------------------------------------------------------------------


def _policy_row(session: Session) -> AgencyPolicy | None:
    return session.exec(select(AgencyPolicy).where(AgencyPolicy.deleted == False)  # noqa: E712
                        .order_by(AgencyPolicy.hlc.desc())).first()


def policy(store: Store) -> str:
    """none | major | all: which notices need the office's approval (none until the office says)."""
    with store.read() as session:
        row = _policy_row(session)
    return row.notice_review if row is not None and row.notice_review in POLICIES else "none"


def set_policy(store: Store, require: str) -> str:
    require_office(store)
    if require not in POLICIES:
        raise UserError("review.bad_policy", value=require, accepted=" | ".join(POLICIES))
    with store.transaction() as session:
        row = _policy_row(session)
        if row is None:
            session.add(AgencyPolicy(notice_review=require, set_by=store.actor_id))
        elif row.notice_review != require:
            row.notice_review, row.set_by = require, store.actor_id
    return require


def _required(session: Session, hazards: list[Hazard]) -> bool:
    row = _policy_row(session)
    rule = row.notice_review if row is not None else "none"
    return rule == "all" or (rule == "major" and any(h.severity == "major" for h in hazards))


# --- the reviewed content ------------------------------------------------------------------------


def _current_item(session: Session, hazard_id: str) -> RectificationItem | None:
    return session.exec(select(RectificationItem).where(
        RectificationItem.hazard_id == hazard_id, RectificationItem.deleted == False,  # noqa: E712
        RectificationItem.status != "superseded").order_by(RectificationItem.revision.desc())).first()


def content_digest(session: Session, hazard_ids: list[str]) -> str:
    """sha256 of what the office reviews: each hazard's location, description and severity and its
    current 五落实, in hazard-id order. Any edit of these after an approval gives another digest."""
    entries = []
    for hazard_id in sorted(hazard_ids):
        hazard = session.get(Hazard, hazard_id)
        item = _current_item(session, hazard_id)
        entry = {"id": hazard_id, "location": hazard.location if hazard else None,
                 "description": hazard.description if hazard else None,
                 "severity": hazard.severity if hazard else None}
        for name in FIVE_FIELDS:
            value = getattr(item, name) if item is not None else None
            entry[name] = value.isoformat() if isinstance(value, date) else value
        entries.append(entry)
    text = json.dumps(entries, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- a notice's review state ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewStatus:
    required: bool
    # not_required | missing (never submitted) | pending | returned | approved | changed (edited
    # after the approval or the submission: the request no longer matches the hazards)
    state: str
    request_id: str | None = None
    comment: str | None = None

    @property
    def may_issue(self) -> bool:
        return not self.required or self.state == "approved"


def _latest_request(session: Session, hazard_ids: list[str]) -> NoticeReview | None:
    wanted = sorted(hazard_ids)
    rows = session.exec(select(NoticeReview).where(
        NoticeReview.kind == "notice", NoticeReview.deleted == False,  # noqa: E712
        NoticeReview.park_id == session.get(Hazard, hazard_ids[0]).park_id)
        .order_by(NoticeReview.prepared_at.desc(), NoticeReview.hlc.desc())).all()
    return next((r for r in rows if sorted(r.hazard_ids) == wanted), None)


def _status(session: Session, hazard_ids: list[str]) -> ReviewStatus:
    hazards = [session.get(Hazard, h) for h in hazard_ids]
    if not hazard_ids or any(h is None for h in hazards):
        return ReviewStatus(False, "not_required")
    required = _required(session, hazards)
    request = _latest_request(session, hazard_ids)
    if request is None:
        return ReviewStatus(required, "missing" if required else "not_required")
    state = request.state
    if state in ("pending", "approved") and request.content_sha256 != content_digest(session, hazard_ids):
        state = "changed"
    if not required and state != "returned":
        state = "not_required"
    return ReviewStatus(required, state, request.id, request.comment)


def notice_status(store: Store, hazard_ids: list[str]) -> ReviewStatus:
    with store.read() as session:
        return _status(session, hazard_ids)


def ensure_approved(store: Store, hazard_ids: list[str]) -> None:
    """Refuse issuing when the policy requires the office's approval of exactly these hazards as they
    stand and there is none (the issuing service calls this; the screens only explain it)."""
    status = notice_status(store, hazard_ids)
    if not status.may_issue:
        raise UserError(f"review.refused_{status.state}", comment=status.comment or "")


def submit_for_review(store: Store, hazard_ids: list[str], today: date) -> str:
    """The prepared notice (five implementations complete, deadlines not past) waits for the office.
    Refused when the same content is pending or approved already. Returns the request id."""
    ensure_ready_for_notice(store, hazard_ids, today)
    with store.transaction() as session:
        hazards = [session.get(Hazard, h) for h in hazard_ids]
        if len({(h.park_id, h.tenant_id) for h in hazards}) != 1:
            raise UserError("errors.notice_mixed_addressees")
        if any(h.notice_id for h in hazards):
            raise UserError("review.already_issued")
        status = _status(session, hazard_ids)
        if status.state in ("pending", "approved"):
            raise UserError(f"review.already_{status.state}")
        request = NoticeReview(park_id=hazards[0].park_id, inspection_id=hazards[0].inspection_id, kind="notice",
                               hazard_ids=sorted(hazard_ids), content_sha256=content_digest(session, hazard_ids),
                               prepared_by=store.actor_id, prepared_at=utc_now(), state="pending")
        session.add(request)
        return request.id


# --- the office's queue and decisions --------------------------------------------------------------


@dataclass
class QueueHazard:
    id: str
    severity: str
    location: str
    description: str
    five: dict[str, object]
    photos: int


@dataclass
class QueueRow:
    id: str
    kind: str
    state: str
    park_code: str
    tenant: str | None
    inspection_id: str | None
    inspected_on: date | None
    prepared_by: str | None
    prepared_at: datetime
    comment: str | None
    changed: bool  # the hazards were edited after the submission: the content reviewed is not current
    hazards: list[QueueHazard] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "state": self.state, "park": self.park_code,
                "tenant": self.tenant, "inspection_id": self.inspection_id,
                "inspected_on": self.inspected_on.isoformat() if self.inspected_on else None,
                "prepared_by": self.prepared_by, "prepared_at": self.prepared_at.isoformat(),
                "comment": self.comment, "changed": self.changed,
                "hazards": [{"id": h.id, "severity": h.severity, "location": h.location,
                             "description": h.description, "photos": h.photos,
                             **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in h.five.items()}}
                            for h in self.hazards]}


def _queue_row(session: Session, request: NoticeReview) -> QueueRow:

    park = session.get(Park, request.park_id)
    inspection = session.get(Inspection, request.inspection_id) if request.inspection_id else None
    tenant_id = inspection.tenant_id if inspection is not None else None
    hazards = []
    for hazard_id in request.hazard_ids:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None:
            continue
        tenant_id = tenant_id or hazard.tenant_id
        item = _current_item(session, hazard_id)
        photos = len(session.exec(select(AttachmentLink.id).where(
            AttachmentLink.owner_table == "hazard", AttachmentLink.owner_id == hazard_id,
            AttachmentLink.deleted == False)).all())  # noqa: E712
        hazards.append(QueueHazard(hazard.id, hazard.severity, hazard.location, hazard.description,
                                   {n: getattr(item, n) if item is not None else None for n in FIVE_FIELDS}, photos))
    tenant = session.get(Tenant, tenant_id) if tenant_id else None
    preparer = session.get(Inspector, request.prepared_by) if request.prepared_by else None
    changed = (request.kind == "notice" and bool(request.hazard_ids)
               and request.content_sha256 != content_digest(session, request.hazard_ids))
    return QueueRow(request.id, request.kind, request.state, park.code if park else "", tenant.name if tenant else None,
                    request.inspection_id, inspection.started_at.date() if inspection else None,
                    preparer.name if preparer else request.prepared_by, request.prepared_at, request.comment, changed,
                    hazards)


def review_queue(store: Store, *, states: tuple[str, ...] = ("pending",)) -> list[QueueRow]:
    """Requests in these states, oldest first (the office's queue: pending notices)."""
    with store.read() as session:
        rows = session.exec(select(NoticeReview).where(NoticeReview.deleted == False,  # noqa: E712
                                                       NoticeReview.state.in_(states))
                            .order_by(NoticeReview.prepared_at)).all()
        return [_queue_row(session, r) for r in rows]


def _clean_comment(comment: str | None, *, required: bool) -> str | None:
    text = (comment or "").strip()
    if required and not text:
        raise UserError("review.comment_required")
    if len(text) > MAX_COMMENT:
        raise UserError("review.comment_too_long", max=MAX_COMMENT)
    return text or None


def _decide(store: Store, request_id: str, state: str, comment: str | None) -> None:
    require_office(store)
    with store.transaction() as session:
        request = session.get(NoticeReview, request_id)
        if request is None or request.deleted or request.kind != "notice":
            raise UserError("review.missing", id=request_id)
        if request.state != "pending":
            raise UserError("review.not_pending", id=request_id, state=request.state)
        if state == "approved" and request.content_sha256 != content_digest(session, request.hazard_ids):
            # The laptop edited the hazards after submitting: what the office sees is not what was sent.
            raise UserError("review.changed_since", id=request_id)
        request.state, request.comment = state, comment
        request.reviewed_by, request.reviewed_at = store.actor_id, utc_now()


def approve(store: Store, request_id: str, comment: str | None = None) -> None:
    _decide(store, request_id, "approved", _clean_comment(comment, required=False))


def return_request(store: Store, request_id: str, comment: str) -> None:
    _decide(store, request_id, "returned", _clean_comment(comment, required=True))


def request_changes(store: Store, inspection_id: str, comment: str) -> str:
    """The office asks for corrections on a finished inspection; the inspector sees the comment."""
    require_office(store)
    text = _clean_comment(comment, required=True)
    with store.transaction() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None or inspection.deleted:
            raise UserError("review.no_inspection", id=inspection_id)
        if inspection.finished_at is None:
            raise UserError("review.inspection_unfinished")
        request = NoticeReview(park_id=inspection.park_id, inspection_id=inspection.id, kind="changes", state="open",
                               comment=text, prepared_by=store.actor_id, prepared_at=utc_now())
        session.add(request)
        return request.id


# --- what the laptop shows on a hazard ---------------------------------------------------------------


def hazard_notes(store: Store, hazard_ids: list[str]) -> dict[str, str]:
    """{hazard id: the office's comment} for hazards whose latest notice request was returned, or whose
    inspection has an open change request: what the inspector must see on the hazard."""
    notes: dict[str, str] = {}
    if not hazard_ids:
        return notes
    with store.read() as session:
        hazards = session.exec(select(Hazard).where(Hazard.id.in_(hazard_ids))).all()
        inspections = {h.inspection_id for h in hazards if h.inspection_id}
        requests = session.exec(select(NoticeReview).where(
            NoticeReview.deleted == False,  # noqa: E712
            NoticeReview.park_id.in_({h.park_id for h in hazards}))
            .order_by(NoticeReview.prepared_at, NoticeReview.hlc)).all()
        latest: dict[str, NoticeReview] = {}
        for request in requests:  # oldest first: a newer request of a hazard replaces an older one
            if request.kind == "notice":
                for hazard_id in request.hazard_ids:
                    latest[hazard_id] = request
        for hazard in hazards:
            request = latest.get(hazard.id)
            if request is not None and request.state == "returned" and request.comment:
                notes[hazard.id] = request.comment
        for request in requests:
            if request.kind == "changes" and request.state == "open" and request.inspection_id in inspections:
                for hazard in hazards:
                    if hazard.inspection_id == request.inspection_id:
                        notes.setdefault(hazard.id, request.comment or "")
    return notes


def inspection_notes(store: Store, inspection_ids: list[str]) -> dict[str, str]:
    """{inspection id: the office's comment} for inspections whose latest notice request was returned,
    or which have an open change request: what the task list shows next to the task."""
    wanted = {i for i in inspection_ids if i}
    notes: dict[str, str] = {}
    if not wanted:
        return notes
    with store.read() as session:
        requests = session.exec(select(NoticeReview).where(
            NoticeReview.deleted == False, NoticeReview.inspection_id.in_(wanted))  # noqa: E712
            .order_by(NoticeReview.prepared_at, NoticeReview.hlc)).all()
    latest: dict[str, NoticeReview] = {}
    for request in requests:  # oldest first: a newer notice request of an inspection replaces an older one
        if request.kind == "notice":
            latest[request.inspection_id] = request
    for inspection_id, request in latest.items():
        if request.state == "returned" and request.comment:
            notes[inspection_id] = request.comment
    for request in requests:
        if request.kind == "changes" and request.state == "open":
            notes.setdefault(request.inspection_id, request.comment or "")
    return notes
