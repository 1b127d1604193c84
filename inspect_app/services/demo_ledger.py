"""The demo's ledger: inspectors, parks, buildings and tenants, drawn from the demo data files.

Every draw comes from the one random generator the caller holds, in a fixed order, so the same
seed and day give the same parks, names and figures (services/demo.py).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from db.models import Building, Inspector, Park, Tenant
from forms import credit_code
from forms.catalogues import PARK_DEVELOPER_TYPES, STAR_RATINGS
from inspect_app.services.demo_data import DemoData, Industry, Process

SQUARE_METRES_PER_MU = 666.67
INSPECTORS_PER_TEAM = 2  # enforcement needs two signatures
PARKS_PER_TEAM = 10
OTHER_DIVISIONS = ("330402", "330411", "330481", "330424")  # where the odd tenant is registered instead


@dataclass
class TenantPlan:
    """What the quarterly figures need to know about a tenant besides its ledger row."""

    tenant: Tenant
    process: Process
    trend: str  # normal | declining | zombie


def lease_end_after(start: date, years: int) -> date:
    """The last day of a lease of whole years that began on the first of a month."""
    return start.replace(year=start.year + years) - timedelta(days=1)


class LedgerMaker:
    """Draws people, parks, buildings and tenants; remembers names and codes so none repeats."""

    def __init__(self, rng: random.Random, today: date, data: DemoData):
        self.rng = rng
        self.today = today
        self.data = data
        self.manufacturing = tuple(i for i in data.industries if not i.services)
        self.service_industries = tuple(i for i in data.industries if i.services)
        self.used_park_names: set[str] = set()
        self.used_company_names: set[str] = set()
        self.used_credit_codes: set[str] = set()
        self.teams: list[list[Inspector]] = []

    # --- people ------------------------------------------------------------------------------

    def person_name(self) -> str:
        given_length = 1 if self.rng.random() < 0.3 else 2
        return self.rng.choice(self.data.surnames) + "".join(self.rng.choices(self.data.given_name_chars,
                                                                                k=given_length))

    def mobile(self) -> str:
        # 13x, 15x, 18x and 19x numbers are the common ones; 14x, 16x and 17x are rarer.
        return f"1{self.rng.choice('33333455556788889999')}{self.rng.randrange(10**9):09d}"

    def inspectors(self, parks: int) -> list[Inspector]:
        """Teams of two; one team looks after about ten parks.

        The device's own inspector profile is left unset: the app asks for it on first run.
        """
        agencies = self.data.agencies
        team_count = max(1, math.ceil(parks / PARKS_PER_TEAM))
        for team_number in range(team_count):
            agency = agencies[team_number % len(agencies)]
            team = []
            for member in range(INSPECTORS_PER_TEAM):
                serial = team_number * INSPECTORS_PER_TEAM + member + 1
                year = self.rng.randint(2012, 2023)
                team.append(Inspector(name=self.person_name(), id_number=f"{self.data.district_code}{year}{serial:04d}",
                                      agency=agency, phone=self.mobile()))
            self.teams.append(team)
        return [inspector for team in self.teams for inspector in team]

    def team_of_park(self, number: int) -> list[Inspector]:
        return self.teams[(number - 1) // PARKS_PER_TEAM % len(self.teams)]

    # --- parks -------------------------------------------------------------------------------

    def park(self, number: int) -> Park:
        rng, data = self.rng, self.data
        street = rng.choice(data.streets)
        name = self.unique_park_name(f"{data.district}{street}{rng.choice(data.park_themes)}小微企业园")
        land_area_mu = round(min(300.0, max(30.0, rng.lognormvariate(math.log(80), 0.55))), 1)
        plot_ratio = rng.uniform(1.2, 2.5)  # 容积率
        certified = rng.random() < 0.75
        # Stars are awarded to certified parks only; most have none (the county report: 5 of 19 三星).
        star_rating = rng.choices(STAR_RATINGS, weights=(45, 35, 15, 5))[0] if certified else 0
        has_property_company = rng.random() < 0.75
        return Park(
            code=f"{data.park_code_prefix}{number:03d}",
            name=name,
            district=data.district,
            street=street,
            function_type="services" if rng.random() < 0.1 else "manufacturing",
            developer_type=rng.choices(PARK_DEVELOPER_TYPES, weights=(45, 40, 10, 5))[0],
            star_rating=star_rating,
            provincially_certified=certified,
            land_area_mu=land_area_mu,
            floor_area_m2=round(land_area_mu * SQUARE_METRES_PER_MU * plot_ratio, -1),
            property_company=f"{data.district}{self.trade_name()}物业管理有限公司" if has_property_company else None,
        )

    @staticmethod
    def fit_floor_area(park: Park, buildings: Sequence[Building], tenants: Sequence[Tenant], number: int) -> None:
        """Size the park to its tenants: 85–94% of the floor area let (small-enterprise parks are
        mostly full; a park whose tenants rent more than it has would be a ledger error), the land
        area following at the park's drawn plot ratio. No random draw, so the rest of the data
        stays as it was. A park with no tenants keeps its drawn size."""
        rented = sum(t.rented_area_m2 for t in tenants if t.status == "in_park")
        if not rented:
            return
        plot_ratio = park.floor_area_m2 / (park.land_area_mu * SQUARE_METRES_PER_MU)
        floor_area = round(rented / (0.85 + (number % 10) / 100), -1)
        for building in buildings:
            building.floor_area_m2 = round(building.floor_area_m2 * floor_area / park.floor_area_m2, -1)
        park.floor_area_m2 = floor_area
        park.land_area_mu = round(floor_area / plot_ratio / SQUARE_METRES_PER_MU, 1)

    def unique_park_name(self, base: str) -> str:
        """A second park of the same street and theme is the base name's 二期, 三期, ..."""
        ordinals = self.data.phase_ordinals
        name, phase = base, 1
        while name in self.used_park_names:
            phase += 1
            ordinal = ordinals[phase - 1] if phase <= len(ordinals) else str(phase)
            name = f"{base}{ordinal}期"
        self.used_park_names.add(name)
        return name

    def buildings(self, park: Park) -> list[Building]:
        count = self.rng.randint(2, 6)
        return [
            Building(
                park_id=park.id,
                name=f"{n}号楼",
                floors=self.rng.randint(3, 6),
                floor_area_m2=round(park.floor_area_m2 / count * self.rng.uniform(0.8, 1.2), -1),
            )
            for n in range(1, count + 1)
        ]

    # --- tenants -----------------------------------------------------------------------------

    def trade_name(self) -> str:
        first = self.rng.choice(self.data.trade_name_first)
        second = self.rng.choice(self.data.trade_name_second.replace(first, ""))
        return first + second

    def company_name(self, industry: Industry, *, prefix: str | None = None) -> str:
        """平湖市 + 字号 + 行业 + 有限公司; drawn again on a clash, as a registry would refuse it."""
        prefix = self.data.district if prefix is None else prefix
        while True:
            name = f"{prefix}{self.trade_name()}{self.rng.choice(industry.name_words)}有限公司"
            if name not in self.used_company_names:
                self.used_company_names.add(name)
                return name

    def new_credit_code(self) -> str:
        """91 (enterprise, market regulator) + division + organisation code + check character.

        About a third are post-2015 `MA2...` bodies, whose inner GB 11714 check is not computed
        (as in real registers); all get the right 18th character.
        """
        rng = self.rng
        division = self.data.district_code if rng.random() < 0.9 else rng.choice(OTHER_DIVISIONS)
        while True:
            if rng.random() < 0.35:
                body = "MA2" + "".join(rng.choices(credit_code.CHARSET, k=6))
                code = credit_code.complete(f"91{division}{body}")
            else:
                code = credit_code.complete(f"91{division}{rng.randrange(10**8):08d}")
            if code not in self.used_credit_codes:
                self.used_credit_codes.add(code)
                return code

    def tenant(self, park: Park, buildings: Sequence[Building], slot: int, services_park: bool) -> TenantPlan:
        rng, data = self.rng, self.data
        service_share = 0.7 if services_park else 0.08
        industry = rng.choice(self.service_industries if rng.random() < service_share else self.manufacturing)
        process = rng.choice(industry.processes)
        above = rng.random() < 0.13
        code = self.new_credit_code()
        # A firm registered outside the district (or a larger one) is named after the province instead.
        registered_here = code[2:8] == data.district_code
        prefix = data.district if registered_here and not (above and rng.random() < 0.3) else "浙江"
        name = self.company_name(industry, prefix=prefix)

        # Rented area: skewed, most units a few hundred to a thousand m²; 规上 firms rent more.
        area = rng.lognormvariate(math.log(2600 if above else 800), 0.6)
        area = round(min(8000.0, max(200.0, area)), -1)
        m2_per_person = data.uses[process.lease_use].m2_per_person
        headcount = int(min(300, max(3, area / m2_per_person * rng.uniform(0.6, 1.4))))

        building_index = slot % len(buildings)
        building = buildings[building_index]
        floors = building.floors or 1
        room_slot = slot // len(buildings)  # the building's n-th unit: floors fill up in turn
        floor, room = room_slot % floors + 1, room_slot // floors + 1
        # Leases run from the first of a month for whole years; a tenant still here has renewed
        # as often as needed, so the ledger shows the running lease's end.
        lease_start = date(rng.randint(self.today.year - 7, self.today.year - 1), rng.randint(1, 12), 1)
        term_years = rng.choice((3, 5, 5, 10))
        left = rng.random() < 0.03
        renewals = 1
        while not left and lease_end_after(lease_start, term_years * renewals) < self.today:
            renewals += 1
        lease_end = lease_end_after(lease_start, term_years * renewals)
        living_on_site = rng.random() < 0.03
        risk_points = self.risk_points(process, living_on_site)
        signed = rng.random() < 0.9
        agreement_date = min(lease_start + timedelta(days=rng.randint(0, 20)), self.today) if signed else None
        sublet = rng.random() < 0.05
        trend = rng.choices(("normal", "declining", "zombie"), weights=(94, 4, 2))[0]
        if trend == "zombie" and above:
            trend = "normal"  # a 规上 firm does not go silent without the statistics office noticing
        if trend == "zombie":
            efficiency = "D"
        else:
            efficiency = rng.choices("ABCD", weights=(35, 40, 20, 5) if above else (10, 35, 40, 15))[0]

        tenant = Tenant(
            park_id=park.id,
            building_id=building.id,
            name=name,
            credit_code=code,
            contact_name=self.person_name(),
            contact_phone=self.mobile(),
            building=building.name,
            unit_no=f"{floor}F-{floor}{room:02d}",
            rented_area_m2=area,
            headcount=headcount,
            scale="above" if above else "below",
            lease_use=process.lease_use,
            risk_points=risk_points,
            lease_start=lease_start,
            lease_end=lease_end,
            status="left" if left else "in_park",
            left_on=self.random_date(lease_start, min(self.today, lease_end)) if left else None,
            fire_hazard_class=rng.choice(process.hazard_classes) if process.hazard_classes else None,
            process_or_goods=process.name,
            safety_agreement_signed=signed,
            safety_agreement_date=agreement_date,
            sublet=sublet,
            subtenant_name=self.company_name(rng.choice(self.manufacturing)) if sublet else None,
            people_living_on_site=living_on_site,
            efficiency_class=efficiency,
        )
        return TenantPlan(tenant, process, trend)

    def risk_points(self, process: Process, living_on_site: bool) -> list[str]:
        """0-3 of the risk points the process brings, and 员工住宿 when people live on site."""
        wanted = self.rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]
        chosen = self.rng.sample(process.risk_pool, min(wanted, len(process.risk_pool)))
        if living_on_site and "staff_living" not in chosen:
            chosen.append("staff_living")
        return chosen

    def random_date(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))
