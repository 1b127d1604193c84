"""Read queries for the ledger screens and exports. Each takes a Session and returns plain rows.

Written for 300 parks x 100 tenants: aggregates in one GROUP BY, ledger pages by LIMIT/OFFSET
over an indexed ORDER BY, search with LIKE over the few columns people search by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, and_, cast, func, or_
from sqlmodel import Session, select

from db.models import Hazard, Park, RectificationItem, Tenant

OPEN_HAZARD_STATUSES = ("open", "pending_review", "escalated")


@dataclass(frozen=True)
class ParkSummary:
    id: str
    code: str
    name: str
    street: str
    tenants: int
    rented_area_m2: float
    headcount: int
    open_hazards: int
    overdue_hazards: int


@dataclass(frozen=True)
class LedgerRow:
    id: str
    park_code: str
    name: str
    credit_code: str
    contact_name: str | None
    contact_phone: str | None
    location: str
    rented_area_m2: float
    headcount: int
    scale: str
    lease_use: str
    risk_points: list[str]
    status: str
    open_hazards: int
    overdue_hazards: int


# Sort keys per ledger column; the tenant id ends every ORDER BY so paging is stable.
SORTABLE = {
    "name": (Tenant.name,),
    "location": (Tenant.building, Tenant.unit_no),
    "rented_area_m2": (Tenant.rented_area_m2,),
    "headcount": (Tenant.headcount,),
    "scale": (Tenant.scale,),
    "lease_use": (Tenant.lease_use,),
    "credit_code": (Tenant.credit_code,),
}


@dataclass(frozen=True)
class LedgerQuery:
    park_id: str | None = None  # None = every park
    search: str = ""
    risk_point: str | None = None
    scale: str | None = None
    include_left: bool = False
    sort: str = "name"
    descending: bool = False
    limit: int = 200
    offset: int = 0
    today: date = field(default_factory=date.today)


def _hazard_counts(today: date):
    """Per (park, tenant): open hazards, and open hazards with an open item past its deadline."""
    overdue_item = (
        select(RectificationItem.hazard_id)
        .where(RectificationItem.deleted == False, RectificationItem.status == "open",  # noqa: E712
               RectificationItem.deadline < today)
        .distinct()
        .subquery()
    )
    return (
        select(
            Hazard.park_id,
            Hazard.tenant_id,
            func.count().label("open_hazards"),
            func.count(overdue_item.c.hazard_id).label("overdue_hazards"),
        )
        .outerjoin(overdue_item, overdue_item.c.hazard_id == Hazard.id)
        .where(Hazard.deleted == False, Hazard.status.in_(OPEN_HAZARD_STATUSES))  # noqa: E712
        .group_by(Hazard.park_id, Hazard.tenant_id)
        .subquery()
    )


def park_summaries(session: Session, today: date) -> list[ParkSummary]:
    live = and_(Tenant.deleted == False, Tenant.status == "in_park")  # noqa: E712
    tenants = (
        select(
            Tenant.park_id,
            func.count().label("tenants"),
            func.coalesce(func.sum(Tenant.rented_area_m2), 0).label("area"),
            func.coalesce(func.sum(Tenant.headcount), 0).label("headcount"),
        )
        .where(live)
        .group_by(Tenant.park_id)
        .subquery()
    )
    hz = _hazard_counts(today)
    hazards = (
        select(hz.c.park_id, func.sum(hz.c.open_hazards).label("open"), func.sum(hz.c.overdue_hazards).label("overdue"))
        .group_by(hz.c.park_id)
        .subquery()
    )
    rows = session.exec(
        select(Park.id, Park.code, Park.name, Park.street,
               func.coalesce(tenants.c.tenants, 0), func.coalesce(tenants.c.area, 0),
               func.coalesce(tenants.c.headcount, 0), func.coalesce(hazards.c.open, 0),
               func.coalesce(hazards.c.overdue, 0))
        .outerjoin(tenants, tenants.c.park_id == Park.id)
        .outerjoin(hazards, hazards.c.park_id == Park.id)
        .where(Park.deleted == False)  # noqa: E712
        .order_by(Park.code)
    ).all()
    return [ParkSummary(*row) for row in rows]


def _ledger_filter(query: LedgerQuery):
    conditions = [Tenant.deleted == False]  # noqa: E712
    if query.park_id:
        conditions.append(Tenant.park_id == query.park_id)
    if not query.include_left:
        conditions.append(Tenant.status == "in_park")
    if query.scale:
        conditions.append(Tenant.scale == query.scale)
    if query.risk_point:
        conditions.append(cast(Tenant.risk_points, String).like(f'%"{query.risk_point}"%'))
    words = query.search.split()
    for word in words:
        pattern = f"%{_escape_like(word)}%"
        conditions.append(or_(
            Tenant.name.like(pattern, escape="\\"),
            Tenant.credit_code.like(pattern.upper(), escape="\\"),
            Tenant.contact_name.like(pattern, escape="\\"),
            Tenant.contact_phone.like(pattern, escape="\\"),
        ))
    return and_(*conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count_ledger(session: Session, query: LedgerQuery) -> int:
    return session.exec(select(func.count()).select_from(Tenant).where(_ledger_filter(query))).one()


def ledger_rows(session: Session, query: LedgerQuery) -> list[LedgerRow]:
    hz = _hazard_counts(query.today)
    columns = SORTABLE.get(query.sort, SORTABLE["name"])
    order_by = [c.desc() if query.descending else c.asc() for c in columns] + [Tenant.id]
    statement = (
        select(Tenant, Park.code, func.coalesce(hz.c.open_hazards, 0), func.coalesce(hz.c.overdue_hazards, 0))
        .join(Park, Park.id == Tenant.park_id)
        .outerjoin(hz, and_(hz.c.tenant_id == Tenant.id, hz.c.park_id == Tenant.park_id))
        .where(_ledger_filter(query))
        .order_by(*order_by)
        .limit(query.limit)
        .offset(query.offset)
    )
    return [_ledger_row(t, code, open_, overdue) for t, code, open_, overdue in session.exec(statement).all()]


def _ledger_row(t: Tenant, park_code: str, open_hazards: int, overdue_hazards: int) -> LedgerRow:
    return LedgerRow(
        id=t.id, park_code=park_code, name=t.name, credit_code=t.credit_code, contact_name=t.contact_name,
        contact_phone=t.contact_phone, location=" ".join(p for p in (t.building, t.unit_no) if p),
        rented_area_m2=t.rented_area_m2, headcount=t.headcount, scale=t.scale, lease_use=t.lease_use,
        risk_points=list(t.risk_points or []), status=t.status, open_hazards=open_hazards,
        overdue_hazards=overdue_hazards,
    )


def tenants_for_export(session: Session, park_id: str | None) -> list[tuple[Tenant, str]]:
    """Every live tenant (in park and left) with its park code, in ledger order."""
    statement = (
        select(Tenant, Park.code)
        .join(Park, Park.id == Tenant.park_id)
        .where(Tenant.deleted == False)  # noqa: E712
        .order_by(Park.code, Tenant.building, Tenant.unit_no, Tenant.name)
    )
    if park_id:
        statement = statement.where(Tenant.park_id == park_id)
    return list(session.exec(statement).all())


def find_park(session: Session, code: str) -> Park | None:
    return session.exec(select(Park).where(Park.code == code.strip().upper(), Park.deleted == False)).first()  # noqa: E712


def tenant_with_credit_code(session: Session, park_id: str, credit_code: str, *, except_id: str | None = None) -> Tenant | None:
    statement = select(Tenant).where(Tenant.park_id == park_id, Tenant.credit_code == credit_code,
                                     Tenant.deleted == False)  # noqa: E712
    if except_id:
        statement = statement.where(Tenant.id != except_id)
    return session.exec(statement).first()


