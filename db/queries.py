"""Read queries for the ledger screens and exports. Each takes a Session and returns plain rows.

(The park list's figures are in db/overview.py, in plain SQL, because start-up reads them.)
Written for 300 parks x 100 tenants: ledger pages by LIMIT/OFFSET
over an indexed ORDER BY, search in one key per tenant (db/search_key.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, and_, bindparam, case, cast, func, text
from sqlmodel import Session, select

from db import search_key
from db.hazard_rules import OPEN_HAZARD_STATUSES, overdue_sql
from db.models import Hazard, Park, RectificationItem, Tenant, TenantSearch
from db.tenant_rules import IN_PARK
from forms import china_time


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
    last_inspected: date | None = None  # China date of its last finished inspection (db/lookback.py)
    unfinished: bool = False  # an inspection of it was started and not finished


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
    today: date = field(default_factory=china_time.today)  # overdue is judged by the China date


def overdue_clause(today: date, *, negated: bool = False):
    """db/hazard_rules.py's overdue rule as an ORM condition on the (unaliased) hazard and
    rectification_item tables, which the statement joins; `negated`: not overdue (SQLAlchemy
    cannot negate a text clause itself)."""
    fragment = overdue_sql(Hazard.__tablename__, RectificationItem.__tablename__, ":today")
    # unique: a statement may hold the clause more than once.
    return text(f"NOT {fragment}" if negated else fragment).bindparams(
        bindparam("today", today.isoformat(), unique=True))


def current_tenant_clause():
    """db/tenant_rules.py's current tenant as an ORM condition on the (unaliased) tenant table.

    "deleted IS NOT 1" rather than "deleted = 0" (the same rows: the column is NOT NULL): with
    "= 0" SQLite walks the whole table through the partial index ix_tenant_park_credit_code
    (WHERE deleted = 0), one row lookup per tenant, about 1.5x slower than a plain scan for a
    search over every park (30,000 tenants: 18 ms against 12 ms per scan); a park's ledger still
    goes through ix_tenant_park_name."""
    return and_(Tenant.deleted.is_not(True), Tenant.status == IN_PARK)


def _hazard_counts(today: date, tenant_ids: list[str] | None = None):
    """Per (park, tenant): unclosed hazards, and the overdue ones (db/hazard_rules.py).

    The overdue test is a correlated EXISTS (one lookup in ix_rectification_item_hazard_id per
    open hazard): a join to a DISTINCT subquery of overdue items made SQLite scan that subquery
    once per hazard, ~130 ms at 10,000 hazards, paid by every ledger page and the park list.
    `tenant_ids` restricts it to the tenants of one ledger page.
    """
    overdue_item = (
        select(RectificationItem.id)
        .where(RectificationItem.hazard_id == Hazard.id, overdue_clause(today))
        .exists()
    )
    # For a page of tenants, through ix_hazard_tenant_id: with a plain status test SQLite picks
    # ix_hazard_status, i.e. every unclosed hazard of the county for 100 tenants (3 ms at 20,000
    # hazards, 36 ms at 200,000). `status || ''` keeps the test and leaves the index out.
    status = Hazard.status if tenant_ids is None else Hazard.status + ""
    unclosed = status.in_(OPEN_HAZARD_STATUSES)
    statement = (
        select(
            Hazard.park_id,
            Hazard.tenant_id,
            func.count().label("open_hazards"),
            # One awaiting re-inspection or escalated is counted as unclosed but not as overdue:
            # the overdue rule asks for an open item.
            func.count(case((overdue_item, 1))).label("overdue_hazards"),
        )
        .where(Hazard.deleted == False, unclosed)  # noqa: E712
        .group_by(Hazard.park_id, Hazard.tenant_id)
    )
    if tenant_ids is not None:
        statement = statement.where(Hazard.tenant_id.in_(tenant_ids))
    return statement


def _ledger_filter(query: LedgerQuery):
    # Live tenants, or only the current ones (deleted tested as "IS NOT 1": current_tenant_clause says why).
    conditions = [Tenant.deleted.is_not(True) if query.include_left else current_tenant_clause()]
    if query.park_id:
        conditions.append(Tenant.park_id == query.park_id)
    if query.scale:
        conditions.append(Tenant.scale == query.scale)
    if query.risk_point:
        conditions.append(cast(Tenant.risk_points, String).like(f'%"{query.risk_point}"%'))
    words = [folded for folded in map(search_key.fold, query.search.split()) if folded]
    if words:
        conditions.append(_search_condition(words, one_park=bool(query.park_id)))
    return and_(*conditions)


def _search_condition(words: list[str], *, one_park: bool):
    """Every word (folded: db/search_key.py) in the tenant's search key, which holds its name,
    contact, credit code, phone, the name's pinyin (whole and initials: "jiamei", "jm") and its
    building and unit ("2号楼", "3f301" for "3F-301" or "３Ｆ－３０１").

    instr() on one short folded string per tenant rather than LIKE on five columns: no pattern to
    parse, no case folding, nothing to escape ("%" and "_" are themselves).
    """
    if one_park:
        # A park's tenants look their keys up by primary key: the work stays one park's, however
        # many tenants the county has (an IN list would read every key of the county).
        key = select(TenantSearch.key).where(TenantSearch.tenant_id == Tenant.id).scalar_subquery()
        return and_(*(func.instr(key, word) > 0 for word in words))
    # Every park: one pass over the keys into a list; SQLite then starts from the list (a lookup by
    # primary key per match). Reading the tenants and probing the list instead (`id || ''`) was
    # slower for a narrow word (9 against 3.5 ms a page at 10,000 tenants) and no faster for a
    # word most tenants match.
    keys = select(TenantSearch.tenant_id).where(*(func.instr(TenantSearch.key, word) > 0 for word in words))
    return Tenant.id.in_(keys)


def count_ledger(session: Session, query: LedgerQuery) -> int:
    return session.exec(select(func.count()).select_from(Tenant).where(_ledger_filter(query))).one()


# The columns a ledger row shows: selected as plain values, not as Tenant objects (building 100
# ORM objects per page cost about as much as the query).
_LEDGER_COLUMNS = (
    Tenant.id, Tenant.park_id, Park.code, Tenant.name, Tenant.credit_code, Tenant.contact_name,
    Tenant.contact_phone, Tenant.building, Tenant.unit_no, Tenant.rented_area_m2, Tenant.headcount,
    Tenant.scale, Tenant.lease_use, Tenant.risk_points, Tenant.status,
)


def ledger_rows(session: Session, query: LedgerQuery) -> list[LedgerRow]:
    """One page in ledger order, then the hazard counts of that page's tenants only."""
    columns = SORTABLE.get(query.sort, SORTABLE["name"])
    order_by = [c.desc() if query.descending else c.asc() for c in columns] + [Tenant.id]
    statement = (
        select(*_LEDGER_COLUMNS)
        .join(Park, Park.id == Tenant.park_id)
        .where(_ledger_filter(query))
        .order_by(*order_by)
        .limit(query.limit)
        .offset(query.offset)
    )
    page = session.exec(statement).all()
    counts = {}
    if page:
        hz = _hazard_counts(query.today, [row.id for row in page])
        counts = {(park_id, tenant_id): (open_, overdue) for park_id, tenant_id, open_, overdue in session.exec(hz)}
    return [_ledger_row(r, *counts.get((r.park_id, r.id), (0, 0))) for r in page]


def _ledger_row(r, open_hazards: int, overdue_hazards: int) -> LedgerRow:
    return LedgerRow(
        id=r.id, park_code=r.code, name=r.name, credit_code=r.credit_code, contact_name=r.contact_name,
        contact_phone=r.contact_phone, location=" ".join(p for p in (r.building, r.unit_no) if p),
        rented_area_m2=r.rented_area_m2, headcount=r.headcount, scale=r.scale, lease_use=r.lease_use,
        risk_points=list(r.risk_points or []), status=r.status, open_hazards=open_hazards,
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


