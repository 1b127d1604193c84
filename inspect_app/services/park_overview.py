"""The park overview and the county overview for one quarter: what the bureau reads first.

Plain SQL (db/overview_queries.py on `Store.read_connection()`), a handful of aggregate statements
per call (parks; tenants per park; quarterly totals per park and quarter; hazards per park and
severity; the risk flags' four, see services/risk_flags.py), never a Python loop over ORM objects: the county overview over
30,000 tenants x 8 quarters stays within 500 ms (benchmarks/overview.py, docs/PERFORMANCE.md).

Public API (the quarterly report files are built on it; keep it stable):

    latest_quarter(store, today=None) -> Quarter
    county_overview(store, *, quarter=None, today=None, thresholds=None, calendar=None) -> CountyOverview
    park_overview(store, park_id, *, quarter=None, today=None, thresholds=None, calendar=None) -> ParkOverview
    park_id_for_code(store, code) -> str | None
    CountyOverview(quarter, quarters, parks: tuple[ParkRow], county: Figures, thresholds)  .as_json()
    ParkOverview(quarter, quarters, park: ParkRow, tenants: tuple[TenantRow], thresholds)   .as_json()
    ParkRow(id, code, name, street, figures: Figures)
    Figures: land_area_mu, floor_area_m2, tenants, rented_area_m2, vacant_area_m2, over_rented_m2,
             headcount, above_tenants, output_wan, above_output_wan, electricity_kwh, tax_wan,
             reports, hazards: HazardCounts, flags: FlagCounts, trend: tuple[QuarterTotals, ...],
             late_notices, repeat_hazards, hazards_found, hazards_closed;
             properties above_tenant_share, hazard_closure_rate (closed ÷ found, None without any), above_output_share (0..1 or None), output_per_mu,
             tax_per_mu (the quarter's, 万元/亩), annual_output_per_mu, annual_tax_per_mu (the four
             quarters ending with the quarter), all None when the land area is 0
    QuarterTotals(quarter, output_wan, electricity_kwh, tax_wan, above_output_wan, reports)
    HazardCounts(open_general, open_major, overdue_general, overdue_major)  .open .overdue
    FlagCounts(declining, zombie, overdue_hazards, ledger_mismatch, flagged_tenants)  .get(kind)
    TenantRow(id, name, credit_code, building, unit_no, scale, efficiency_class, rented_area_m2,
              headcount, output_wan, electricity_kwh, water_t, tax_wan, output_year_before_wan,
              flags: tuple[Flag, ...])  .output_change_pct
    Quarter, Flag, FLAG_KINDS (re-exported from services/risk_flags.py)

What the figures mean:
- the quarter: by default the latest complete quarter (before the one `today` is in) that has any
  report in the county — the same quarter for every park, so parks compare; `quarters` are the
  eight quarters ending with it, oldest first (the trend; a quarter with no report is all zeros).
- tenants, rented area, headcount, 规上 count: the ledger as it is now (tenants in the park).
- output, electricity, tax: the reports of the quarter of every tenant of the park, including one
  that has left since (it was there that quarter); 规上 output is that of tenants whose ledger
  scale is 规上 now. Shares are fractions of the park's (county's) own totals.
- vacant area = floor area − rented area, never below 0: when tenants rent more than the park's
  floor area (a ledger error, or a floor area out of date) vacant is 0 and `over_rented_m2` holds
  the excess, so it shows instead of hiding. The county's vacant area is the sum of the parks'
  (one park's excess does not cancel another's vacancy).
- 亩均 figures divide by the park's land area in 亩 (the county: all parks' land).
- hazards: not closed (open, pending review, escalated) and of those the overdue ones (open, with
  an open item past its deadline), by severity; common-area hazards included — as the park list.
- flags: how many tenants in the park carry each flag for the quarter, and carry any.
- repeat_hazards: hazards not yet closed that came back after an earlier hazard of the same tenant
  (or common areas) and item had been closed (db/lookback.py).
- hazards_found, hazards_closed: every live hazard the park ever had, and those closed (销号率).
- late_notices: issued documents not served within three working days of their issue (not served
  and past that day, or served after it), as of `today` (services/notice_service.py).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from db import overview_queries as queries
from db.errors import UserError
from db.lookback import repeat_counts
from db.store import Store
from forms import china_time
from forms.risk_flag_thresholds import RiskFlagThresholds
from forms.working_days import WorkCalendar
from inspect_app.services.notice_service import late_counts
from inspect_app.services.risk_flags import FLAG_KINDS, Flag, Quarter, county_flagged, load_flags

__all__ = [
    "FLAG_KINDS", "CountyOverview", "Figures", "Flag", "FlagCounts", "HazardCounts", "ParkOverview", "ParkRow",
    "Quarter", "QuarterTotals", "TenantRow", "county_overview", "latest_quarter", "park_id_for_code",
    "park_overview",
]

TREND_QUARTERS = 8


@dataclass(frozen=True)
class QuarterTotals:
    quarter: Quarter
    output_wan: float = 0.0
    electricity_kwh: float = 0.0
    tax_wan: float = 0.0
    above_output_wan: float = 0.0
    reports: int = 0  # tenants that reported for the quarter

    def plus(self, other: QuarterTotals) -> QuarterTotals:
        return QuarterTotals(self.quarter, self.output_wan + other.output_wan,
                             self.electricity_kwh + other.electricity_kwh, self.tax_wan + other.tax_wan,
                             self.above_output_wan + other.above_output_wan, self.reports + other.reports)

    def as_json(self) -> dict:
        return {"quarter": str(self.quarter), "output_wan": self.output_wan, "electricity_kwh": self.electricity_kwh,
                "tax_wan": self.tax_wan, "above_output_wan": self.above_output_wan, "reports": self.reports}


@dataclass(frozen=True)
class HazardCounts:
    open_general: int = 0  # not closed: open, pending review, escalated
    open_major: int = 0
    overdue_general: int = 0  # of those, open with an item past its deadline
    overdue_major: int = 0

    @property
    def open(self) -> int:
        return self.open_general + self.open_major

    @property
    def overdue(self) -> int:
        return self.overdue_general + self.overdue_major

    def plus(self, other: HazardCounts) -> HazardCounts:
        return HazardCounts(self.open_general + other.open_general, self.open_major + other.open_major,
                            self.overdue_general + other.overdue_general, self.overdue_major + other.overdue_major)


@dataclass(frozen=True)
class FlagCounts:
    declining: int = 0
    zombie: int = 0
    overdue_hazards: int = 0
    ledger_mismatch: int = 0
    flagged_tenants: int = 0  # tenants with at least one flag

    def get(self, kind: str) -> int:
        return getattr(self, kind)

    def plus(self, other: FlagCounts) -> FlagCounts:
        return FlagCounts(*(a + b for a, b in zip(_counts(self), _counts(other), strict=True)))

    @classmethod
    def of(cls, flag_sets: list[tuple[Flag, ...]]) -> FlagCounts:
        kinds = [flag.kind for flags in flag_sets for flag in flags]
        return cls(*(kinds.count(kind) for kind in FLAG_KINDS), sum(1 for flags in flag_sets if flags))


def _counts(counts: FlagCounts) -> tuple[int, ...]:
    return (*(counts.get(kind) for kind in FLAG_KINDS), counts.flagged_tenants)


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    land_area_mu: float
    floor_area_m2: float
    tenants: int
    rented_area_m2: float
    vacant_area_m2: float
    over_rented_m2: float
    headcount: int
    above_tenants: int
    output_wan: float
    above_output_wan: float
    electricity_kwh: float
    tax_wan: float
    reports: int
    hazards: HazardCounts
    flags: FlagCounts
    trend: tuple[QuarterTotals, ...]
    late_notices: int = 0  # documents not served within three working days (services/notice_service.py)
    repeat_hazards: int = 0  # unclosed hazards that came back after being closed (db/lookback.py)
    hazards_found: int = 0  # every live hazard, whatever its status
    hazards_closed: int = 0

    @property
    def hazard_closure_rate(self) -> float | None:
        return _share(self.hazards_closed, self.hazards_found)

    @property
    def above_tenant_share(self) -> float | None:
        return _share(self.above_tenants, self.tenants)

    @property
    def above_output_share(self) -> float | None:
        return _share(self.above_output_wan, self.output_wan)

    @property
    def output_per_mu(self) -> float | None:
        return _share(self.output_wan, self.land_area_mu)

    @property
    def tax_per_mu(self) -> float | None:
        return _share(self.tax_wan, self.land_area_mu)

    @property
    def annual_output_per_mu(self) -> float | None:
        return _share(sum(q.output_wan for q in self.trend[-4:]), self.land_area_mu)

    @property
    def annual_tax_per_mu(self) -> float | None:
        return _share(sum(q.tax_wan for q in self.trend[-4:]), self.land_area_mu)

    def as_json(self) -> dict:
        return {
            "land_area_mu": self.land_area_mu, "floor_area_m2": self.floor_area_m2, "tenants": self.tenants,
            "rented_area_m2": self.rented_area_m2, "vacant_area_m2": self.vacant_area_m2,
            "over_rented_m2": self.over_rented_m2, "headcount": self.headcount,
            "above_tenants": self.above_tenants, "above_tenant_share": self.above_tenant_share,
            "output_wan": self.output_wan, "above_output_wan": self.above_output_wan,
            "above_output_share": self.above_output_share, "electricity_kwh": self.electricity_kwh,
            "tax_wan": self.tax_wan, "reports": self.reports, "output_per_mu": self.output_per_mu,
            "tax_per_mu": self.tax_per_mu, "annual_output_per_mu": self.annual_output_per_mu,
            "annual_tax_per_mu": self.annual_tax_per_mu,
            "hazards": {"open_general": self.hazards.open_general, "open_major": self.hazards.open_major,
                        "overdue_general": self.hazards.overdue_general, "overdue_major": self.hazards.overdue_major},
            "flags": {kind: self.flags.get(kind) for kind in (*FLAG_KINDS, "flagged_tenants")},
            "trend": [q.as_json() for q in self.trend],
            "late_notices": self.late_notices,
            "repeat_hazards": self.repeat_hazards,
            "hazards_found": self.hazards_found, "hazards_closed": self.hazards_closed,
            "hazard_closure_rate": self.hazard_closure_rate,
        }


@dataclass(frozen=True)
class ParkRow:
    id: str
    code: str
    name: str
    street: str
    figures: Figures

    def as_json(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "street": self.street, **self.figures.as_json()}


@dataclass(frozen=True)
class TenantRow:
    id: str
    name: str
    credit_code: str
    building: str | None
    unit_no: str | None
    scale: str  # above | below
    efficiency_class: str | None  # 亩均效益 A/B/C/D, None when not graded
    rented_area_m2: float
    headcount: int
    output_wan: float | None  # the quarter's report; None when the tenant did not report
    electricity_kwh: float | None
    water_t: float | None
    tax_wan: float | None
    output_year_before_wan: float | None  # the same quarter a year earlier
    flags: tuple[Flag, ...] = field(default=())

    @property
    def output_change_pct(self) -> float | None:
        """Year-on-year change of output in percent (−42.0 = down 42%); None without both figures."""
        if self.output_wan is None or not self.output_year_before_wan:
            return None
        return (self.output_wan - self.output_year_before_wan) * 100 / self.output_year_before_wan

    def as_json(self, lang: str | None = None) -> dict:
        return {
            "id": self.id, "name": self.name, "credit_code": self.credit_code, "building": self.building,
            "unit_no": self.unit_no, "scale": self.scale, "efficiency_class": self.efficiency_class,
            "rented_area_m2": self.rented_area_m2, "headcount": self.headcount, "output_wan": self.output_wan,
            "electricity_kwh": self.electricity_kwh, "water_t": self.water_t, "tax_wan": self.tax_wan,
            "output_year_before_wan": self.output_year_before_wan, "output_change_pct": self.output_change_pct,
            "flags": [flag.as_json(lang) for flag in self.flags],
        }


@dataclass(frozen=True)
class CountyOverview:
    quarter: Quarter
    quarters: tuple[Quarter, ...]  # the trend's quarters, oldest first, ending with `quarter`
    parks: tuple[ParkRow, ...]  # by park code
    county: Figures  # every park together
    thresholds: RiskFlagThresholds

    def as_json(self) -> dict:
        return {"quarter": str(self.quarter), "quarters": [str(q) for q in self.quarters],
                "county": self.county.as_json(), "parks": [park.as_json() for park in self.parks]}


@dataclass(frozen=True)
class ParkOverview:
    quarter: Quarter
    quarters: tuple[Quarter, ...]
    park: ParkRow
    tenants: tuple[TenantRow, ...]  # tenants in the park, by name
    thresholds: RiskFlagThresholds

    def as_json(self, lang: str | None = None) -> dict:
        return {"quarter": str(self.quarter), "quarters": [str(q) for q in self.quarters],
                "park": self.park.as_json(), "tenants": [tenant.as_json(lang) for tenant in self.tenants]}


# --- reading ------------------------------------------------------------------------------------


def _latest_quarter(conn: sqlite3.Connection, today: date) -> Quarter:
    last_complete = Quarter.last_complete(today)
    # Usually the last complete quarter has data: one indexed probe instead of a scan for the max.
    if queries.has_reports(conn, last_complete.year, last_complete.quarter):
        return last_complete
    index = queries.latest_report_index(conn, last_complete.index)
    return Quarter.from_index(index) if index is not None else last_complete


def latest_quarter(store: Store, today: date | None = None) -> Quarter:
    """The latest complete quarter (before the one `today` is in) with any report in the county;
    the last complete quarter when there is none."""
    with store.read_connection() as conn:
        return _latest_quarter(conn, today or china_time.today())


def park_id_for_code(store: Store, code: str) -> str | None:
    with store.read_connection() as conn:
        return queries.park_id_for_code(conn, code.strip())


@dataclass
class _Read:
    quarter: Quarter
    quarters: tuple[Quarter, ...]
    parks: tuple[ParkRow, ...]
    flags: dict[str, tuple[Flag, ...]]


def _park_flags(conn: sqlite3.Connection, quarter: Quarter, today: date, thresholds: RiskFlagThresholds,
                park_id: str | None) -> tuple[dict[str, tuple[Flag, ...]], dict[str, FlagCounts]]:
    """One park: every flagged tenant's flags (its table shows them), and the park's counts. The
    county: no flags, the counts per park (`county_flagged`: which tenants carry which flag)."""
    if park_id is None:
        return {}, _flag_counts(county_flagged(conn, quarter=quarter, today=today, thresholds=thresholds))
    flags = load_flags(conn, quarter=quarter, today=today, thresholds=thresholds, park_id=park_id)
    return flags, {park_id: FlagCounts.of(list(flags.values()))}


def _flag_counts(flagged: dict[str, dict[str, str]]) -> dict[str, FlagCounts]:
    """{park: its counts} from {kind: {tenant: park}} (some 50,000 flagged tenants at 300,000:
    counted by Counter and merged by dict.update, in C)."""
    per_kind = [Counter(flagged[kind].values()) for kind in FLAG_KINDS]
    parks_of: dict[str, str] = {}  # every flagged tenant once
    for kind in FLAG_KINDS:
        parks_of.update(flagged[kind])
    tenants = Counter(parks_of.values())
    return {park: FlagCounts(*(counts[park] for counts in per_kind), tenants[park])
            for park in set().union(*per_kind)}


def _read(store: Store, *, park_id: str | None, quarter: Quarter, today: date,
          thresholds: RiskFlagThresholds, calendar: WorkCalendar) -> _Read:
    quarters = tuple(quarter.shift(k - TREND_QUARTERS + 1) for k in range(TREND_QUARTERS))
    # One connection, one thread. The flags once ran in a second thread while the totals were read,
    # when both were mostly SQLite's work (which lets go of the GIL); since their facts are kept on
    # write most of either is Python, and two threads taking turns at the GIL made a county overview
    # at 300,000 tenants slower (430–450 ms, 520–550 ms of CPU) than one after the other (~375 ms).
    with store.read_connection() as conn:
        flags, flag_counts = _park_flags(conn, quarter, today, thresholds, park_id)
        parks = queries.parks(conn, park_id)
        totals = queries.park_totals(conn, park_id)
        # Each park's trend as a list of the quarters' slots (24,000 park-quarters at 3,000 parks:
        # no Quarter made or hashed per row); a quarter without reports keeps its zeros.
        first = quarters[0].index
        empty_trend = tuple(QuarterTotals(q) for q in quarters)
        trends: dict[str, list[QuarterTotals]] = {}
        for park, year, number, output, electricity, tax, above_output, reports in queries.quarter_totals(
                conn, park_id, first, quarter.index):
            slot = year * 4 + number - 1 - first
            trend = trends.get(park)
            if trend is None:
                trend = trends[park] = list(empty_trend)
            trend[slot] = QuarterTotals(quarters[slot], output, electricity, tax, above_output, reports)
        overdue = queries.overdue_counts(conn, park_id, today.isoformat())
        late_notices = late_counts(conn, today=today, park_id=park_id, calendar=calendar)
        repeats = repeat_counts(conn, park_id)
        closure = queries.hazard_closure_counts(conn, park_id)

    rows = []
    for pid, code, name, street, land_mu, floor_m2 in parks:
        count, rented, headcount, above, open_general, open_major = totals.get(pid, (0, 0.0, 0, 0, 0, 0))
        hazards = HazardCounts(open_general, open_major, overdue.get((pid, False), 0), overdue.get((pid, True), 0))
        park_trend = trends.get(pid)
        trend = tuple(park_trend) if park_trend else empty_trend
        now = trend[-1]
        figures = Figures(
            land_area_mu=land_mu, floor_area_m2=floor_m2, tenants=count, rented_area_m2=rented,
            vacant_area_m2=max(0.0, floor_m2 - rented), over_rented_m2=max(0.0, rented - floor_m2),
            headcount=headcount, above_tenants=above, output_wan=now.output_wan,
            above_output_wan=now.above_output_wan, electricity_kwh=now.electricity_kwh, tax_wan=now.tax_wan,
            reports=now.reports, hazards=hazards,
            flags=flag_counts.get(pid, FlagCounts()), trend=trend, late_notices=late_notices.get(pid, 0),
            repeat_hazards=repeats.get(pid, 0), hazards_found=closure.get(pid, (0, 0))[0],
            hazards_closed=closure.get(pid, (0, 0))[1])
        rows.append(ParkRow(pid, code, name, street, figures))
    return _Read(quarter, quarters, tuple(rows), flags)


def _total(parks: tuple[ParkRow, ...], quarters: tuple[Quarter, ...]) -> Figures:
    """The county: sums of the parks' figures (shares and per-亩 figures follow from the sums),
    added park after park in their order, as plain numbers (3,000 parks: no object per addition)."""
    every = [park.figures for park in parks]
    sums = [[0.0, 0.0, 0.0, 0.0, 0] for _ in quarters]  # output, electricity, tax, above output, reports
    hazards = [0, 0, 0, 0]
    flags = [0] * (len(FLAG_KINDS) + 1)  # FLAG_KINDS' order, then flagged tenants
    for figures in every:
        for totals, q in zip(sums, figures.trend, strict=True):
            totals[0] += q.output_wan
            totals[1] += q.electricity_kwh
            totals[2] += q.tax_wan
            totals[3] += q.above_output_wan
            totals[4] += q.reports
        h = figures.hazards
        hazards[0] += h.open_general
        hazards[1] += h.open_major
        hazards[2] += h.overdue_general
        hazards[3] += h.overdue_major
        f = figures.flags
        flags[0] += f.declining
        flags[1] += f.zombie
        flags[2] += f.overdue_hazards
        flags[3] += f.ledger_mismatch
        flags[4] += f.flagged_tenants
    trend = tuple(QuarterTotals(q, *totals) for q, totals in zip(quarters, sums, strict=True))

    def total(name: str) -> float:
        return sum([getattr(figures, name) for figures in every])  # sum(): the same float sums as ever

    return Figures(
        land_area_mu=total("land_area_mu"), floor_area_m2=total("floor_area_m2"), tenants=int(total("tenants")),
        rented_area_m2=total("rented_area_m2"), vacant_area_m2=total("vacant_area_m2"),
        over_rented_m2=total("over_rented_m2"), headcount=int(total("headcount")),
        above_tenants=int(total("above_tenants")), output_wan=trend[-1].output_wan,
        above_output_wan=trend[-1].above_output_wan, electricity_kwh=trend[-1].electricity_kwh,
        tax_wan=trend[-1].tax_wan, reports=trend[-1].reports, hazards=HazardCounts(*hazards),
        flags=FlagCounts(*flags), trend=trend,
        late_notices=int(total("late_notices")), repeat_hazards=int(total("repeat_hazards")),
        hazards_found=int(total("hazards_found")), hazards_closed=int(total("hazards_closed")))


def county_overview(store: Store, *, quarter: Quarter | None = None, today: date | None = None,
                    thresholds: RiskFlagThresholds | None = None,
                    calendar: WorkCalendar | None = None) -> CountyOverview:
    """Every park's figures for the quarter, and the county's. `thresholds` and `calendar`: the
    office's (Settings.risk_flags, Settings.calendar); None is the built-in ones."""
    thresholds, calendar = thresholds or RiskFlagThresholds(), calendar or WorkCalendar()
    today = today or china_time.today()
    read = _read(store, park_id=None, quarter=quarter or latest_quarter(store, today), today=today,
                 thresholds=thresholds, calendar=calendar)
    return CountyOverview(read.quarter, read.quarters, read.parks, _total(read.parks, read.quarters), thresholds)


def park_overview(store: Store, park_id: str, *, quarter: Quarter | None = None, today: date | None = None,
                  thresholds: RiskFlagThresholds | None = None,
                  calendar: WorkCalendar | None = None) -> ParkOverview:
    """One park's figures and its tenants' table (figures, class, flags). UserError for an unknown park.
    `thresholds`, `calendar`: as county_overview."""
    thresholds, calendar = thresholds or RiskFlagThresholds(), calendar or WorkCalendar()
    today = today or china_time.today()
    quarter = quarter or latest_quarter(store, today)  # the county's, so that parks compare
    read = _read(store, park_id=park_id, quarter=quarter, today=today, thresholds=thresholds, calendar=calendar)
    if not read.parks:
        raise UserError("overview.unknown_park")
    with store.read_connection() as conn:
        rows = queries.tenant_rows(conn, park_id, quarter.year, quarter.quarter)
    tenants = tuple(TenantRow(*row, flags=read.flags.get(row[0], ())) for row in rows)
    return ParkOverview(read.quarter, read.quarters, read.parks[0], tenants, thresholds)
