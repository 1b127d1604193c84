"""Hazards and their rectification (五落实): the list across parks, editing, re-inspection (复查).

Statuses. A rectification item is stored as open, pending_review (the tenant reports it fixed),
closed, escalated, or superseded (a locked revision replaced by a newer one). "Overdue" is never
stored: an open item is overdue when today is past its deadline (the deadline day itself is still
in time; the rule is db/hazard_rules.py's). A hazard's status follows its current item.

Locking. Issuing a notice sets `notice_id` on the hazard and its item. A change to a locked item
(its 五落实, its status) writes a new revision (revision + 1, `supersedes_id` = the locked row)
and leaves the locked row as it was issued, but for its status, which becomes "superseded". The
hazard's own description cannot change under an issued notice (a correction is a new revision
of the notice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from pydantic_core import PydanticCustomError
from sqlalchemy import and_, func
from sqlmodel import Session, select

from db.errors import UserError
from db.hazard_queries import UNRESOLVED, KeyFilter, count_keys, hazard_keys
from db.hazard_rules import OPEN_HAZARD_STATUSES, is_overdue
from db.lookback import notice_served_on, repeat_numbers
from db.models import CheckResult, Hazard, Notice, Park, RectificationItem, Reinspection, Tenant
from db.queries import overdue_clause
from db.store import Store
from forms import china_time, fields
from forms.checklist import DEFAULT_DEADLINE_DAYS
from forms.i18n import current_language, t
from forms.rectification import FIVE_IMPLEMENTATIONS, HazardInput, RectificationInput, missing_implementations
from forms.working_days import WorkCalendar
from inspect_app.services.change_requests import resolve_changes
from inspect_app.services.notice_service import late_numbers

HAZARD_VIEW_STATUSES = ("open", "overdue", "pending_review", "closed", "escalated")
# Not closed: open (overdue or not), pending review or escalated — what the park list counts as
# open hazards (db/hazard_rules.py OPEN_HAZARD_STATUSES). The hazards view starts with it: UNRESOLVED.
REINSPECTION_OUTCOMES = ("rectified", "not_rectified", "escalated")
LIVE_ITEM = and_(RectificationItem.deleted == False, RectificationItem.status != "superseded")  # noqa: E712


def derived_status(hazard_status: str, item_status: str, deadline: date | None, today: date) -> str:
    """The status people see: the item's, overdue for an open one past its deadline (db/hazard_rules.py)."""
    return "overdue" if is_overdue(hazard_status, item_status, deadline, today) else item_status


@dataclass(frozen=True)
class HazardQuery:
    park_id: str | None = None
    tenant_id: str | None = None
    severity: str | None = None
    status: str | None = None  # one of HAZARD_VIEW_STATUSES or UNRESOLVED; None = all
    limit: int = 200
    offset: int = 0
    today: date = field(default_factory=china_time.today)  # overdue is judged by the China date
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # the office's (Settings.calendar): late notices


@dataclass(frozen=True)
class HazardRow:
    id: str
    item_id: str | None
    park_id: str
    park_code: str
    park_name: str
    tenant_id: str | None
    tenant_name: str | None
    location: str
    description: str
    severity: str
    status: str  # derived
    found_on: date
    deadline: date | None
    responsible: str | None
    responsible_phone: str | None
    measures: str | None
    funds: float | None
    funds_reason: str | None
    contingency_plan: str | None
    notice_number: str | None
    missing: list[str]
    notice_late: bool = False  # its notice was not served within three working days (services/notice_service.py)
    notice_served_on: date | None = None  # the day its notice was served (送达)
    repeat: int = 0  # 2 or more: the how-many-th finding of a hazard that came back (services/lookback.py)

    def as_json(self) -> dict:
        return {
            "id": self.id, "park_code": self.park_code, "tenant_name": self.tenant_name,
            "location": self.location, "description": self.description, "severity": self.severity,
            "status": self.status, "found_on": self.found_on.isoformat(),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "responsible": self.responsible, "responsible_phone": self.responsible_phone,
            "measures": self.measures, "funds": self.funds, "funds_reason": self.funds_reason,
            "contingency_plan": self.contingency_plan, "notice_number": self.notice_number,
            "missing": self.missing, "notice_late": self.notice_late,
            "notice_served_on": self.notice_served_on.isoformat() if self.notice_served_on else None,
            "repeat": self.repeat,
        }


def _status_condition(status: str, today: date):
    if status == UNRESOLVED:
        return RectificationItem.status.in_(OPEN_HAZARD_STATUSES)
    if status == "overdue":
        return overdue_clause(today)
    if status == "open":
        return and_(RectificationItem.status == "open", overdue_clause(today, negated=True))
    return RectificationItem.status == status


def _conditions(query: HazardQuery) -> list:
    """The filters; on hazard and rectification_item columns only (see list_hazards)."""
    conditions = [Hazard.deleted == False]  # noqa: E712
    if query.park_id:
        conditions.append(Hazard.park_id == query.park_id)
    if query.tenant_id:
        conditions.append(Hazard.tenant_id == query.tenant_id)
    if query.severity:
        conditions.append(Hazard.severity == query.severity)
    if query.status:
        conditions.append(_status_condition(query.status, query.today))
    return conditions


def _hazard_statement(query: HazardQuery):
    return (
        select(Hazard, RectificationItem, Park.code, Park.name, Tenant.name, Notice.number)
        .join(Park, Park.id == Hazard.park_id)
        .outerjoin(Tenant, Tenant.id == Hazard.tenant_id)
        .outerjoin(RectificationItem, and_(RectificationItem.hazard_id == Hazard.id, LIVE_ITEM))
        .outerjoin(Notice, Notice.id == func.coalesce(RectificationItem.notice_id, Hazard.notice_id))
        .where(*_conditions(query))
    )


def _key_filter(query: HazardQuery) -> KeyFilter:
    return KeyFilter(park_id=query.park_id, tenant_id=query.tenant_id, severity=query.severity, status=query.status)


def hazard_page(store: Store, query: HazardQuery) -> list[HazardRow]:
    """A page of hazards (`query.limit` from `query.offset`), earliest deadline first, no deadline
    last, then by the day found.

    The page's keys come in that order from `hazard_key` (db/hazard_queries.py), whose index is
    the order: SQLite stops after the page instead of sorting every match. Park, tenant, notice
    and the 五落实 are read for the page's rows alone."""
    with store.read_connection() as conn:
        page = hazard_keys(conn, _key_filter(query), today=query.today, limit=query.limit, offset=query.offset)
    if not page:
        return []
    with store.read() as session:
        found = session.exec(_hazard_statement(query).where(Hazard.id.in_([h for h, _ in page]))).all()
    by_key = {(row[0].id, row[1].id if row[1] is not None else None): row for row in found}
    # A row changed between the two reads (closed, superseded) is left out rather than shown stale.
    rows = [_row(*by_key[key], today=query.today) for key in map(tuple, page) if key in by_key]
    return _with_service(store, rows, query.today, query.calendar)


@dataclass(frozen=True)
class HazardCount:
    """How many hazards match: `count` exactly, or at least `count` when `more` (the cap was met)."""

    count: int
    more: bool = False


def count_hazards(store: Store, query: HazardQuery, *, cap: int | None = None) -> HazardCount:
    """How many hazards the query's filters match (its page aside); with `cap`, counting stops
    there: `HazardCount(cap, more=True)` means "at least cap" (the view says "more than")."""
    with store.read_connection() as conn:
        count = count_keys(conn, _key_filter(query), today=query.today, cap=cap)
    return HazardCount(count, more=cap is not None and count >= cap)


def list_hazards(store: Store, query: HazardQuery) -> tuple[list[HazardRow], int]:
    """A page of hazards (`hazard_page`) and how many match, counted exactly: for the callers
    that need every row (exports, a tenant's file, the CLI). The view reads the two apart."""
    return hazard_page(store, query), count_hazards(store, query).count


def _with_service(store: Store, rows: list[HazardRow], today: date, calendar: WorkCalendar) -> list[HazardRow]:
    """The rows with their notice's service (late or served on which day) and their repeat number
    (one query each for the page's notices and hazards)."""
    numbers = [r.notice_number for r in rows if r.notice_number]
    late = late_numbers(store, numbers, today=today, calendar=calendar)
    with store.read_connection() as conn:
        served = notice_served_on(conn, numbers)
        repeats = repeat_numbers(conn, [r.id for r in rows])
    return [replace(r, notice_late=r.notice_number in late, notice_served_on=served.get(r.notice_number),
                    repeat=repeats.get(r.id, 0)) for r in rows]


def park_choices(store: Store) -> list[tuple[str, str, str]]:
    """(id, code, name) of every park, by code: what a hazards filter offers."""
    with store.read() as session:
        return [tuple(row) for row in session.exec(
            select(Park.id, Park.code, Park.name).where(Park.deleted == False).order_by(Park.code))]  # noqa: E712


def get_hazard(store: Store, hazard_id: str, today: date, calendar: WorkCalendar | None = None) -> HazardRow:
    """One hazard's row; `calendar`: the office's (Settings.calendar), None Monday to Friday."""
    with store.read() as session:
        row = session.exec(_hazard_statement(HazardQuery(today=today)).where(Hazard.id == hazard_id)).first()
    if row is None:
        raise UserError("errors.hazard_missing")
    return _with_service(store, [_row(*row, today=today)], today, calendar or WorkCalendar())[0]


def _row(hazard: Hazard, item: RectificationItem | None, park_code: str, park_name: str, tenant_name: str | None,
         notice_number: str | None, *, today: date) -> HazardRow:
    status = derived_status(hazard.status, item.status, item.deadline, today) if item else hazard.status
    return HazardRow(
        id=hazard.id, item_id=item.id if item else None, park_id=hazard.park_id, park_code=park_code,
        park_name=park_name, tenant_id=hazard.tenant_id, tenant_name=tenant_name, location=hazard.location,
        description=hazard.description, severity=hazard.severity, status=status, found_on=hazard.found_on,
        deadline=item.deadline if item else None,
        responsible=item.responsible_person if item else None,
        responsible_phone=item.responsible_phone if item else None,
        measures=item.measures if item else None, funds=item.funds_yuan if item else None,
        funds_reason=item.funds_reason if item else None,
        contingency_plan=item.contingency_plan if item else None, notice_number=notice_number,
        missing=_missing(item) if item else list(FIVE_IMPLEMENTATIONS),
    )


def _missing(item: RectificationItem) -> list[str]:
    return missing_implementations(
        responsible_person=item.responsible_person, responsible_phone=item.responsible_phone,
        measures=item.measures, funds_yuan=item.funds_yuan, funds_reason=item.funds_reason,
        deadline=item.deadline, contingency_plan=item.contingency_plan)


def rectification_values(row: HazardRow) -> dict[str, object]:
    """The current 五落实 as form values (the inverse of `save_rectification`)."""
    return {"responsible_person": row.responsible, "responsible_phone": row.responsible_phone,
            "measures": row.measures, "funds_yuan": row.funds, "funds_reason": row.funds_reason,
            "deadline": row.deadline, "contingency_plan": row.contingency_plan}


# --- changes ----------------------------------------------------------------------------------


def _current_item(session: Session, hazard_id: str) -> RectificationItem:
    item = session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard_id, LIVE_ITEM)
                        .order_by(RectificationItem.revision.desc())).first()
    if item is None:
        item = RectificationItem(hazard_id=hazard_id)
        session.add(item)
    return item


def _writable(session: Session, item: RectificationItem) -> RectificationItem:
    """The item to change: itself, or a new revision when a notice has locked it."""
    if item.notice_id is None:
        return item
    values = {name: getattr(item, name) for name in RectificationItem.model_fields
              if name not in ("id", "hlc", "origin_device", "created_at", "updated_at", "notice_id",
                              "revision", "supersedes_id")}
    revision = RectificationItem(**values, revision=item.revision + 1, supersedes_id=item.id)
    session.add(revision)
    # The one change a locked item receives: it is no longer the live one. Its issued values stay.
    item.status = "superseded"
    session.flush()
    return revision


def save_hazard(store: Store, hazard_id: str, data: HazardInput) -> str:
    """Change a hazard's location, description or severity (refused once a notice names it)."""
    with store.transaction() as session:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None or hazard.deleted:
            raise UserError("errors.hazard_missing")
        values = data.model_dump()
        if all(getattr(hazard, k) == v for k, v in values.items()):
            return hazard.id
        if hazard.notice_id is not None:
            # What the notice says the hazard is cannot change under it: a correction is a new
            # revision of the notice itself.
            raise UserError("errors.hazard_locked")
        for name, value in values.items():
            if getattr(hazard, name) != value:
                setattr(hazard, name, value)
        _resolve_change_requests(session, store, hazard)
        return hazard.id


def save_rectification(store: Store, hazard_id: str, data: RectificationInput, *, today: date | None = None) -> str:
    """Store the 五落实 of a hazard (may still be incomplete); return the item id written.

    A deadline set or changed to a day before `today` (the China date by default) is refused; an
    unchanged one stays as it is, so an overdue item's other implementations can still be edited."""
    today = today or china_time.today()
    with store.transaction() as session:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None or hazard.deleted:
            raise UserError("errors.hazard_missing")
        item = _current_item(session, hazard_id)
        values = data.model_dump()
        if values["deadline"] is not None and values["deadline"] != item.deadline and values["deadline"] < today:
            raise UserError("errors.deadline_past", field="deadline", deadline=values["deadline"].isoformat(),
                            today=today.isoformat())
        values["funds_yuan"] = float(values["funds_yuan"]) if values["funds_yuan"] is not None else None
        if all(getattr(item, k) == v for k, v in values.items()):
            return item.id
        target = _writable(session, item)
        fill_rectification(target, data)
        _resolve_change_requests(session, store, hazard)
        return target.id


def fill_rectification(item: RectificationItem, data: RectificationInput) -> None:
    """Set the 五落实 an input holds on a (writable) item, touching only the fields that change."""
    values = data.model_dump()
    values["funds_yuan"] = float(values["funds_yuan"]) if values["funds_yuan"] is not None else None
    for name, value in values.items():
        if getattr(item, name) != value:
            setattr(item, name, value)


def _resolve_change_requests(session: Session, store: Store, hazard: Hazard) -> None:
    """An edit of a hazard or its 五落实 is the correction the office asked for on its inspection."""
    resolve_changes(session, hazard.inspection_id, store.actor_id)


# --- defaults that save typing -----------------------------------------------------------------


@dataclass(frozen=True)
class FiveDefaults:
    """What the 五落实 form offers for a hazard: values put into its empty fields (`prefill`), and
    earlier answers offered as completions while typing (`suggestions`, newest first)."""

    prefill: dict[str, str]
    suggestions: dict[str, list[str]]


def five_defaults(store: Store, hazard_id: str) -> FiveDefaults:
    """Defaults for the 五落实 of `hazard_id`, from the other hazards of its inspection and its tenant.

    - responsible person and phone: as given on the nearest earlier hazard of the same inspection
      (typed once for hazard 1, reused for 2 and 3), else the tenant's contact person and phone;
    - contingency plan: the nearest earlier hazard's, prefilled — one plan (someone on watch,
      extinguishers at hand) usually covers the whole unit while its hazards are being fixed;
    - measures: only suggested — each hazard needs its own, so a prefilled one would be saved
      unread; the plan is suggested as well, for a hazard where it is cleared.
    Only empty fields of the stored item are ever prefilled (the form does that); nothing is written here.
    """
    with store.read() as session:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None or hazard.deleted:
            raise UserError("errors.hazard_missing")
        siblings = []
        if hazard.inspection_id is not None:
            # In checklist order (the order the hazards were made in when the inspection ended).
            siblings = session.exec(
                select(Hazard.id, RectificationItem, CheckResult.position)
                .join(RectificationItem, RectificationItem.hazard_id == Hazard.id)
                .outerjoin(CheckResult, CheckResult.id == Hazard.check_result_id)
                .where(Hazard.inspection_id == hazard.inspection_id, Hazard.deleted == False, LIVE_ITEM)  # noqa: E712
                .order_by(CheckResult.position, Hazard.id)
            ).all()
        tenant = session.get(Tenant, hazard.tenant_id) if hazard.tenant_id else None
    order = [hid for hid, _item, _position in siblings]
    here = order.index(hazard_id) if hazard_id in order else len(order)
    items = [item for _hid, item, _position in siblings]
    earlier, later = items[:here][::-1], items[here + 1:]
    nearest = earlier + later
    prefill: dict[str, str] = {}
    giver = next((i for i in nearest if i.responsible_person), None)
    if giver is not None:
        prefill["responsible_person"] = giver.responsible_person
        if giver.responsible_phone:
            prefill["responsible_phone"] = giver.responsible_phone
    elif tenant is not None and tenant.contact_name:
        prefill["responsible_person"] = tenant.contact_name
        if tenant.contact_phone:
            prefill["responsible_phone"] = tenant.contact_phone
    plan = next((i.contingency_plan for i in earlier if i.contingency_plan), None)
    if plan:
        prefill["contingency_plan"] = plan

    def offered(attribute: str) -> list[str]:
        return list(dict.fromkeys(getattr(i, attribute) for i in nearest if getattr(i, attribute)))

    return FiveDefaults(prefill=prefill, suggestions={"measures": offered("measures"),
                                                      "contingency_plan": offered("contingency_plan"),
                                                      "funds_reason": offered("funds_reason")})


RELATIVE_DEADLINE = re.compile(r"\+\s*(\d{1,4})\s*(?:天|d|days?)?", re.IGNORECASE)


def parse_deadline_change(text: object, today: date) -> date:
    """A new deadline as typed in the summary's dialog: a date (2026-12-31, 2026/12/31, 20261231…)
    or "+N" days from `today` ("+15", "+15天", "+15 days"). UserError on the field `deadline`
    when it is neither, or before `today` (the issue date: a notice never orders rectification
    by a day already gone)."""
    typed = fields.clean_text(text)
    match = RELATIVE_DEADLINE.fullmatch(typed)
    if match:
        deadline = today + timedelta(days=int(match.group(1)))
    else:
        try:
            deadline = fields.parse_date(typed)
        except PydanticCustomError:
            deadline = None
        if deadline is None:
            raise UserError("errors.deadline_change_format", field="deadline", value=typed)
    if deadline < today:
        raise UserError("errors.deadline_past", field="deadline", deadline=deadline.isoformat(),
                        today=today.isoformat())
    return deadline


def set_deadlines(store: Store, hazard_ids: list[str], deadline: date, *, today: date) -> int:
    """Give every hazard of `hazard_ids` the same deadline, in one transaction (all or none).
    Refused before `today`; a hazard under an issued notice gets a new revision as any edit does.
    Returns how many items changed."""
    if deadline < today:
        raise UserError("errors.deadline_past", field="deadline", deadline=deadline.isoformat(),
                        today=today.isoformat())
    changed = 0
    with store.transaction() as session:
        for hazard_id in hazard_ids:
            hazard = session.get(Hazard, hazard_id)
            if hazard is None or hazard.deleted:
                raise UserError("errors.hazard_missing")
            item = _current_item(session, hazard_id)
            if item.deadline != deadline:
                _writable(session, item).deadline = deadline
                changed += 1
    return changed


class FiveImplementationsIncomplete(UserError):
    """Which hazards lack which of the five, told in whichever language the message is shown in."""

    def __init__(self, gaps: list[tuple[int, str, list[str]]]):
        super().__init__("errors.five_incomplete")
        self.gaps = gaps  # (number on the notice, description, missing codes)

    def message(self, lang: str | None = None) -> str:
        english = (lang or current_language()) == "en"
        between_hazards, between_parts = ("; ", ", ") if english else ("；", "、")
        details = between_hazards.join(
            t("errors.five_missing_for", lang=lang, number=number, description=description[:30],
              parts=between_parts.join(t(f"five.{m}", lang=lang) for m in missing))
            for number, description, missing in self.gaps
        )
        return t(self.key, lang=lang, details=details)


def ensure_ready_for_notice(store: Store, hazard_ids: list[str], today: date) -> None:
    """Refuse (naming every hazard and what it lacks) unless all five are there for each hazard;
    then refuse a deadline before `today`, the China date of issue (naming the hazard and its
    deadline): a notice never orders rectification by a day already gone."""
    if not hazard_ids:
        raise UserError("errors.notice_without_hazards")
    gaps, rows = [], []
    for number, hazard_id in enumerate(hazard_ids, start=1):
        row = get_hazard(store, hazard_id, today)
        rows.append(row)
        if row.missing:
            gaps.append((number, row.description, row.missing))
    if gaps:
        raise FiveImplementationsIncomplete(gaps)
    for number, row in enumerate(rows, start=1):
        if row.deadline is not None and row.deadline < today:
            raise UserError("errors.deadline_before_issue", number=number, description=row.description[:30],
                            deadline=row.deadline.isoformat(), date=today.isoformat())


def mark_pending_review(store: Store, hazard_id: str) -> None:
    """The tenant reports the hazard fixed: it waits for the re-inspection (复查)."""
    _set_item_status(store, hazard_id, "pending_review", allowed=("open",))


def record_reinspection(store: Store, hazard_id: str, *, outcome: str, on: date, evidence_note: str | None,
                        new_deadline: date | None, inspector_ids: list[str]) -> str:
    """复查 of a hazard's current item: rectified closes it; not rectified sets a new deadline;
    escalated hands it to the bureau / fire brigade. Returns the reinspection id."""
    check_reinspection(outcome=outcome, on=on, new_deadline=new_deadline, inspector_ids=inspector_ids)
    with store.transaction() as session:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None or hazard.deleted:
            raise UserError("errors.hazard_missing")
        item = _current_item(session, hazard_id)
        if item.status in ("closed", "superseded"):
            raise UserError("errors.hazard_already_closed")
        session.flush()
        reinspection = new_reinspection(item, outcome=outcome, on=on, evidence_note=evidence_note,
                                        new_deadline=new_deadline, inspector_ids=inspector_ids)
        session.add(reinspection)
        apply_reinspection(hazard, _writable(session, item), outcome=outcome, on=on, new_deadline=new_deadline)
        return reinspection.id


def check_reinspection(*, outcome: str, on: date, new_deadline: date | None, inspector_ids: list[str]) -> None:
    """What a 复查 must say before anything is written (UserError on the field otherwise)."""
    if outcome not in REINSPECTION_OUTCOMES:
        raise ValueError(outcome)
    if outcome == "not_rectified" and (new_deadline is None or new_deadline <= on):
        raise UserError("errors.new_deadline_required", field="new_deadline")
    if not inspector_ids:
        raise UserError("errors.inspectors_count", max=3)


def new_reinspection(item: RectificationItem, *, outcome: str, on: date, evidence_note: str | None,
                     new_deadline: date | None, inspector_ids: list[str]) -> Reinspection:
    """The 复查 row of an item (checked first; not yet in a session)."""
    check_reinspection(outcome=outcome, on=on, new_deadline=new_deadline, inspector_ids=inspector_ids)
    return Reinspection(rectification_item_id=item.id, inspected_on=on, outcome=outcome,
                        evidence_note=(evidence_note or "").strip() or None,
                        new_deadline=new_deadline if outcome == "not_rectified" else None,
                        inspector_ids=list(inspector_ids))


def apply_reinspection(hazard: Hazard, item: RectificationItem, *, outcome: str, on: date,
                       new_deadline: date | None) -> None:
    """What a 复查's outcome does to the hazard and its (writable) current item."""
    if outcome == "rectified":
        item.status, item.closed_on = "closed", on
    elif outcome == "not_rectified":
        item.status, item.deadline = "open", new_deadline
    else:
        item.status = "escalated"
    hazard.status = hazard_status(item.status)


def _set_item_status(store: Store, hazard_id: str, status: str, *, allowed: tuple[str, ...]) -> None:
    with store.transaction() as session:
        hazard = session.get(Hazard, hazard_id)
        if hazard is None or hazard.deleted:
            raise UserError("errors.hazard_missing")
        item = _current_item(session, hazard_id)
        if item.status not in allowed:
            raise UserError("errors.hazard_status_change", status=t(f"choices.hazard_status.{item.status}"))
        apply_status(hazard, _writable(session, item), status)


def apply_status(hazard: Hazard, item: RectificationItem, status: str) -> None:
    """Set the (writable) current item's status, and the hazard's to match."""
    item.status = status
    hazard.status = hazard_status(status)


def hazard_status(item_status: str) -> str:
    """The status a hazard row keeps for its current item's (overdue is derived when read, never stored)."""
    return item_status if item_status in ("open", "pending_review", "closed", "escalated") else "open"


def reinspections(store: Store, hazard_id: str) -> list[Reinspection]:
    with store.read() as session:
        items = select(RectificationItem.id).where(RectificationItem.hazard_id == hazard_id)
        return list(session.exec(select(Reinspection).where(Reinspection.rectification_item_id.in_(items))
                                 .order_by(Reinspection.inspected_on, Reinspection.created_at)).all())


def record_rule_hazard(store: Store, result, *, today: date) -> str:
    """A county rule's result (forms.rule_checks.RuleResult) as a hazard of its tenant, with one
    五落实 item and its deadline: the legal basis is the rule's article, `item_code` the rule's
    code, the description the finding in Chinese (the notices' language) with the rules' version.
    Refused when the tenant has an unclosed hazard from the same rule; returns the hazard's id."""
    rule = result.rule
    with store.transaction() as session:
        open_one = session.exec(select(Hazard.id).where(
            Hazard.tenant_id == result.tenant_id, Hazard.item_code == rule.code, Hazard.inspection_id.is_(None),
            Hazard.deleted == False, Hazard.status.in_(OPEN_HAZARD_STATUSES))).first()  # noqa: E712
        if open_one is not None:
            raise UserError("rules.hazard_exists")
        tenant = session.get(Tenant, result.tenant_id)
        if tenant is None or tenant.deleted:
            raise UserError("errors.tenant_missing")
        location = " ".join(p for p in (tenant.building, tenant.unit_no) if p) or tenant.name
        description = f"{result.message('zh_CN')}（{result.rules_id} {result.rules_version}）"
        hazard = Hazard(park_id=result.park_id, tenant_id=tenant.id, item_code=rule.code, location=location[:200],
                        description=description[:1000], severity=rule.severity, found_on=today,
                        legal_basis=rule.article("zh_CN")[:200])
        session.add(hazard)
        session.flush()
        days = rule.deadline_days if rule.deadline_days is not None else DEFAULT_DEADLINE_DAYS[rule.severity]
        session.add(RectificationItem(hazard_id=hazard.id, deadline=today + timedelta(days=days)))
        return hazard.id
