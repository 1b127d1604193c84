"""The demo's quarterly operating figures: eight quarters per tenant, checked by the quarterly form.

Each quarter's figures go through `QuarterlyInput` (what the quarterly grid and the import accept)
and become a row through `services.quarterly.new_report`, as a first save of the quarter does.
"""

from __future__ import annotations

import math
import random
from datetime import date

from db.models import QuarterlyReport
from forms.quarterly import QuarterlyInput
from inspect_app.services.demo_data import DemoData
from inspect_app.services.demo_ledger import TenantPlan
from inspect_app.services.quarterly import new_report

QUARTERS_REPORTED = 8


def last_complete_quarters(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` quarters before the one `today` is in, oldest first, as (year, quarter)."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = []
    for _ in range(count):
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        quarters.append((year, quarter))
    return quarters[::-1]


def quarterly_reports(rng: random.Random, data: DemoData, quarters: list[tuple[int, int]],
                      plan: TenantPlan) -> list[QuarterlyReport]:
    """Output, power, water and tax for each of `quarters` from the quarter the lease started.

    规上 means annual output of at least 2,000 万元; the ranges below make the 13% of 规上
    tenants produce about 40% of the output, as in the county report.
    """
    tenant = plan.tenant
    if tenant.scale == "above":
        annual = 2000 + min(18000.0, rng.lognormvariate(math.log(300), 0.8))
    else:
        annual = min(1900.0, max(40.0, rng.lognormvariate(math.log(420), 0.75)))
    intensity = rng.uniform(*data.uses[plan.process.lease_use].kwh_per_wan)
    tax_rate = rng.uniform(0.02, 0.06)
    growth = rng.gauss(0.06, 0.08)
    if plan.trend == "declining":
        growth = 0.0  # keeps the year-on-year drop at 30% or more whatever the noise
    idle_quarters = rng.randint(2, 3) if plan.trend == "zombie" else 0

    reports = []
    start = (tenant.lease_start.year, (tenant.lease_start.month - 1) // 3 + 1)
    for index, (year, quarter) in enumerate(quarters):
        if (year, quarter) < start:
            continue  # no figures from before the tenant moved in
        normal = annual / 4 * data.seasonal_factors[quarter] * (1 + growth) ** (index / 4) * rng.gauss(1, 0.06)
        output = normal
        difficulties = rng.choice(data.difficulties) if rng.random() < 0.1 else None
        if plan.trend == "declining" and index >= len(quarters) - 4:
            output = normal * rng.uniform(0.4, 0.6)
            difficulties = rng.choice(("订单减少", "订单减少，开工不足"))
        idle = plan.trend == "zombie" and index >= len(quarters) - idle_quarters
        if idle:
            output = rng.uniform(0, 0.8)
            # lighting and a guard's kettle: under 5% of the tenant's usual power, the zombie rule
            electricity = normal * intensity * rng.uniform(0.002, 0.01)
            difficulties = rng.choice(("基本停产", "订单减少，基本停产"))
        else:
            electricity = output * intensity * rng.gauss(1, 0.05)
        figures = QuarterlyInput(
            output_value_wan=round(max(0.0, output), 1),
            electricity_kwh=float(round(max(0.0, electricity))),
            water_t=float(round(tenant.headcount * rng.uniform(4, 9) * (0.1 if idle else 1))),
            tax_wan=0.0 if idle else round(max(0.0, output) * tax_rate, 2),
            difficulties=difficulties,
        )
        reports.append(new_report(tenant.id, (year, quarter), figures))
    return reports
