"""A park with its land and floor area, its tenants and their quarterly figures, written in one
transaction: the data the 亩均 and star-rating tests work out by hand (tests/test_mujun.py,
tests/test_stars.py)."""

from __future__ import annotations

from db.models import Park, QuarterlyReport, Tenant
from tests.conftest import make_credit_code


def add_park(session, code: str, name: str, *, land_mu: float, floor_area_m2: float) -> Park:
    """A manufacturing park of the government in 平湖市 当湖街道."""
    park = Park(code=code, name=name, district="平湖市", street="当湖街道", function_type="manufacturing",
                developer_type="government", land_area_mu=land_mu, floor_area_m2=floor_area_m2)
    session.add(park)
    session.flush()
    return park


def add_tenant(session, park: Park, name: str, number: int, *, area: float, headcount: int, scale: str,
               **more) -> Tenant:
    """A production tenant with the credit code `make_credit_code(number)`; `more`: other columns."""
    tenant = Tenant(park_id=park.id, name=name, credit_code=make_credit_code(number), rented_area_m2=area,
                    headcount=headcount, scale=scale, lease_use="production", **more)
    session.add(tenant)
    return tenant


def add_report(session, tenant: Tenant, year: int, quarter: int, *, output: float, tax: float,
               kwh: float | None = None, deleted: bool = False) -> None:
    session.add(QuarterlyReport(tenant_id=tenant.id, year=year, quarter=quarter, output_value_wan=output,
                                tax_wan=tax, electricity_kwh=kwh, deleted=deleted))
