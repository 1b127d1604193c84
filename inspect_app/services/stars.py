"""The star-rating self-assessment of a park for a year, by the criteria in force
(forms/star_criteria.py): the items the app scores from figures it knows, the items typed with
their evidence (table `star_score`, synced), the total, the star reached and the gap to the next.

The automatic figures come from the park overview of the year's fourth quarter
(services/park_overview.py: vacancy, 规上 share, hazard closure rate, overdue major hazards,
notices served late, tax per 亩 over four quarters) and from the 亩均 classes computed for the year
(services/mujun.py), so the star screen and the overview always show the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from db.errors import UserError
from db.models import StarScore
from db.store import Store
from forms.risk_flag_thresholds import RiskFlagThresholds
from forms.star_criteria import Dimension, StarCriteria, StarItem, load_criteria
from forms.working_days import WorkCalendar
from inspect_app.services.mujun import MujunResult, mujun_classes
from inspect_app.services.park_overview import Figures, ParkOverview, ParkRow, park_overview
from inspect_app.services.risk_flags import Quarter

MAX_EVIDENCE = 1000


@dataclass(frozen=True)
class ItemScore:
    item: StarItem
    points: float
    figure: float | None = None  # the automatic item's figure (None: typed, or not known)
    evidence: str | None = None  # the typed item's evidence
    entered: bool = False  # a typed item with a stored score

    @property
    def automatic(self) -> bool:
        return self.item.source is not None


@dataclass(frozen=True)
class DimensionScore:
    dimension: Dimension
    points: float
    maximum: float

    @property
    def open_points(self) -> float:
        """Points not yet earned in the dimension: where the gap to the next star can be made up."""
        return self.maximum - self.points


@dataclass(frozen=True)
class StarAssessment:
    park: ParkRow
    year: int
    quarter: Quarter  # the overview's quarter the automatic figures are from
    criteria: StarCriteria
    items: tuple[ItemScore, ...]
    dimensions: tuple[DimensionScore, ...]
    figures: dict[str, float | None]  # by source

    @property
    def total(self) -> float:
        return sum(score.points for score in self.items)

    @property
    def star(self) -> int:
        """Stars the total reaches (0: none)."""
        return max((count for count, needed in self.criteria.stars if self.total >= needed - 1e-9), default=0)

    @property
    def next_star(self) -> tuple[int, float] | None:
        """(stars, points still missing) for the next star; None at the top."""
        for count, needed in self.criteria.stars:
            if self.total < needed - 1e-9:
                return count, needed - self.total
        return None


def automatic_figures(figures: Figures, mujun: MujunResult) -> dict[str, float | None]:
    """Each source's figure: the overview's own properties, the 亩均 classes' A+B share of graded tenants."""
    graded = [row for row in mujun.rows if row.score.cls is not None]
    ab = sum(1 for row in graded if row.score.cls in ("A", "B"))
    vacancy = figures.vacant_area_m2 / figures.floor_area_m2 if figures.floor_area_m2 else None
    return {
        "mujun_ab_share": ab / len(graded) if graded else None,
        "annual_tax_per_mu": figures.annual_tax_per_mu,
        "vacancy_rate": vacancy,
        "above_share": figures.above_tenant_share,
        "hazard_closure_rate": figures.hazard_closure_rate,
        "overdue_major": float(figures.hazards.overdue_major),
        "late_notices": float(figures.late_notices),
    }


def assessment_quarter(year: int, today: date) -> Quarter:
    """The year's fourth quarter, or the last complete quarter while the year is under way."""
    return min(Quarter(year, 4), Quarter.last_complete(today), key=lambda q: q.index)


def stored_scores(store: Store, park_id: str, year: int) -> dict[str, StarScore]:
    with store.read() as session:
        rows = session.exec(select(StarScore).where(StarScore.park_id == park_id, StarScore.year == year,
                                                    StarScore.deleted == False)).all()  # noqa: E712
        return {row.item_code: row for row in rows}


def star_assessment(store: Store, park_id: str, year: int, *, today: date, criteria: StarCriteria | None = None,
                    overview: ParkOverview | None = None, thresholds: RiskFlagThresholds | None = None,
                    calendar: WorkCalendar | None = None) -> StarAssessment:
    """The park's self-assessment for the year. UserError for an unknown park. `thresholds`,
    `calendar`: the office's (Settings), for the park's overview when none is given."""
    criteria = criteria or load_criteria()
    quarter = assessment_quarter(year, today)
    overview = overview or park_overview(store, park_id, quarter=quarter, today=today, thresholds=thresholds,
                                         calendar=calendar)
    figures = automatic_figures(overview.park.figures, mujun_classes(store, year, park_id=park_id))
    typed = stored_scores(store, park_id, year)
    items = []
    for item in criteria.items:
        if item.source is not None:
            figure = figures[item.source]
            items.append(ItemScore(item, item.points_for(figure), figure))
        else:
            row = typed.get(item.code)
            # a score typed under criteria that gave the item more points counts up to today's maximum
            points = min(row.points, item.points) if row else 0.0
            items.append(ItemScore(item, points, None, row.evidence if row else None, row is not None))
    dimensions = tuple(
        DimensionScore(d, sum(s.points for s in items if s.item.dimension == d.code), criteria.dimension_points(d.code))
        for d in criteria.dimensions)
    return StarAssessment(overview.park, year, overview.quarter, criteria, tuple(items), dimensions, figures)


def parse_points(text: str, item: StarItem) -> float:
    """Typed points: a number from 0 to the item's points. UserError naming the range otherwise."""
    try:
        value = float(text.strip())
    except (ValueError, AttributeError):
        raise UserError("stars.bad_points", field="points", max=f"{item.points:g}") from None
    if not math.isfinite(value) or not 0 <= value <= item.points:
        raise UserError("stars.bad_points", field="points", max=f"{item.points:g}")
    return value


def save_star_score(store: Store, *, park_id: str, year: int, item_code: str, points: str, evidence: str | None,
                    criteria: StarCriteria | None = None) -> StarScore:
    """Record (or change) the typed score of one item, with its evidence; all refusals before any write."""
    criteria = criteria or load_criteria()
    item = criteria.item(item_code.strip())
    if item is None:
        raise UserError("stars.unknown_item", field="item", code=item_code)
    if item.source is not None:
        raise UserError("stars.automatic_item", field="item", code=item.code)
    if not 2000 <= year <= 2100:
        raise UserError("stars.bad_year", field="year", year=year)
    value = parse_points(points, item)
    evidence = (evidence or "").strip() or None
    if value > 0 and evidence is None:
        raise UserError("stars.evidence_required", field="evidence")
    if evidence is not None and len(evidence) > MAX_EVIDENCE:
        raise UserError("stars.evidence_too_long", field="evidence", max=MAX_EVIDENCE)
    with store.transaction() as session:
        row = session.exec(select(StarScore).where(StarScore.park_id == park_id, StarScore.year == year,
                                                   StarScore.item_code == item.code,
                                                   StarScore.deleted == False)).first()  # noqa: E712
        if row is None:
            row = StarScore(park_id=park_id, year=year, item_code=item.code, points=value, evidence=evidence)
        else:
            row.points, row.evidence = value, evidence
        session.add(row)
        session.flush()
        session.expunge(row)
    return row
