"""The tenant ledger (园中园台账): ledger pages, add / edit / mark as left."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date

from db import queries
from db.errors import UserError
from db.lookback import visits
from db.models import Park, Tenant
from db.queries import (  # also the ledger screen's: it takes them from here
    LedgerQuery,
    LedgerRow,
    LedgerTotal,
)
from db.store import Store
from forms import china_time
from forms.tenant import TenantInput

# Columns of the Tenant table that TenantInput fills one to one.
INPUT_FIELDS = tuple(TenantInput.model_fields)


def ledger_page(store: Store, query: LedgerQuery) -> tuple[list[LedgerRow], LedgerTotal]:
    """One page of rows (with each tenant's last inspection) and the number of rows matching the
    query: exact, or past a few thousand an estimate (`LedgerTotal.estimated`, db/queries.py)."""
    with store.read() as session:
        rows, total = queries.ledger_page(session, query)
        # On the same connection, in the same read: a connection opened per keystroke parsed the
        # schema again (some 2 ms of every key at 10x).
        return _with_visits(session.connection().connection.driver_connection, rows), total


def _with_visits(conn: sqlite3.Connection, rows: list[LedgerRow]) -> list[LedgerRow]:
    """The page's rows with the day of their last inspection and an unfinished one (one query)."""
    found = visits(conn, [row.id for row in rows])
    return [replace(row, last_inspected=found[row.id].last_inspected, unfinished=found[row.id].unfinished)
            if row.id in found else row for row in rows]


def get_tenant(store: Store, tenant_id: str) -> Tenant | None:
    with store.read() as session:
        return session.get(Tenant, tenant_id)


def get_park(store: Store, park_id: str) -> Park | None:
    with store.read() as session:
        return session.get(Park, park_id)


def find_park(store: Store, code: str) -> Park | None:
    with store.read() as session:
        return queries.find_park(session, code)


def tenant_as_input(tenant: Tenant) -> dict[str, object]:
    """The stored tenant as the form's field values (the inverse of `save_tenant`)."""
    return {name: getattr(tenant, name) for name in INPUT_FIELDS}


def save_tenant(store: Store, *, park_id: str, data: TenantInput, tenant_id: str | None = None) -> Tenant:
    """Create (tenant_id None) or update a tenant from validated input, in one transaction.

    Refuses a credit code another live tenant of the park already has; writes nothing then.
    """
    with store.transaction() as session:
        return write_tenant(session, park_id=park_id, data=data, tenant_id=tenant_id)


def write_tenant(session, *, park_id: str, data: TenantInput, tenant_id: str | None = None) -> Tenant:
    """`save_tenant` inside a transaction the caller holds (an admission writes its decision with it)."""
    clash = queries.tenant_with_credit_code(session, park_id, data.credit_code, except_id=tenant_id)
    if clash:
        raise UserError("errors.duplicate_credit_code", field="credit_code", name=clash.name)
    values = data.model_dump()
    values["rented_area_m2"] = float(values["rented_area_m2"])
    if tenant_id is None:
        tenant = Tenant(park_id=park_id, **values)
        session.add(tenant)
    else:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.deleted:
            raise UserError("errors.tenant_missing")
        for name, value in values.items():
            if getattr(tenant, name) != value:
                setattr(tenant, name, value)
    if tenant.status == "left" and tenant.left_on is None:
        tenant.left_on = china_time.today()
    if tenant.status == "in_park" and tenant.left_on is not None:
        tenant.left_on = None
    session.flush()
    return tenant


def mark_tenant_left(store: Store, tenant_id: str, on: date | None = None) -> Tenant:
    """The tenant moved out on `on` (China today when not given): kept in the ledger's history,
    hidden from the in-park view. A day after today or before its lease began is refused."""
    on = on or china_time.today()
    with store.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.deleted:
            raise UserError("errors.tenant_missing")
        if on > china_time.today():
            raise UserError("errors.date_in_future", field="left_on")
        if tenant.lease_start and on < tenant.lease_start:
            raise UserError("errors.left_before_lease", field="left_on", start=tenant.lease_start.isoformat())
        if tenant.status != "left":
            tenant.status = "left"
            tenant.left_on = on
        return tenant
