"""The 亩均效益 calculator: a year's figures per tenant in, scores and classes A–D out.

Pure: no database, no clock. The method (forms/mujun_method.py) says which indicators count, with
what weight and against what benchmark, for 规上 and 规下 tenants separately.

- Land: a tenant renting floor space is given the park's land in proportion to its floor space,
  rented area ÷ the park's floor area × the park's 亩.
- An indicator scores weight × min(value ÷ benchmark, max_ratio), never below 0; a value that
  cannot be worked out (no electricity reported, no headcount) scores 0 and says why.
- Classes: by the method's score thresholds, or by percentiles of the ranking within each scale
  (规上 with 规上, 规下 with 规下) over every tenant scored together; tied scores share a class.
- Not graded: a tenant with no report in the year, or no land to divide by.

`explain` puts a score into words with its figures, indicator by indicator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from forms.i18n import t
from forms.mujun_method import CLASSES, MujunMethod

KWH_PER_WAN_KWH = 10_000.0  # 单位电耗税收 is per 万千瓦时


# NamedTuples rather than frozen dataclasses: a county is 30,000 tenants × 4 indicators, and a
# tuple is made several times faster than a frozen dataclass (docs/PERFORMANCE.md "亩均效益").
class TenantYear(NamedTuple):
    """One tenant's figures for the year (the sums of its quarterly reports) and its park's land."""

    id: str
    scale: str  # above | below
    rented_area_m2: float
    headcount: int
    output_wan: float
    tax_wan: float
    electricity_kwh: float
    quarters: int  # how many of the year's quarters it reported
    park_land_mu: float
    park_floor_m2: float

    @property
    def land_mu(self) -> float | None:
        if self.park_floor_m2 <= 0 or self.park_land_mu <= 0 or self.rented_area_m2 <= 0:
            return None
        return self.rented_area_m2 / self.park_floor_m2 * self.park_land_mu


class IndicatorScore(NamedTuple):
    measure: str
    value: float | None  # None: could not be worked out (`missing` says why)
    benchmark: float
    weight: float
    points: float
    missing: str | None = None  # "no_power" | "no_headcount"


class TenantScore(NamedTuple):
    id: str
    scale: str
    land_mu: float | None
    score: float | None  # None: not graded (`reason`)
    cls: str | None
    indicators: tuple[IndicatorScore, ...]
    quarters: int
    reason: str | None = None  # "no_reports" | "no_land"
    rank: int | None = None  # 1 = best, within its scale (percentiles classing)
    ranked: int | None = None  # how many tenants of its scale were ranked


def measure_value(measure: str, row: TenantYear, land_mu: float) -> tuple[float | None, str | None]:
    """The indicator's value for the tenant, or None and why it cannot be worked out."""
    if measure == "tax_per_mu":
        return row.tax_wan / land_mu, None
    if measure == "output_per_mu":
        return row.output_wan / land_mu, None
    if measure == "tax_per_power":
        if row.electricity_kwh <= 0:
            return None, "no_power"
        return row.tax_wan / (row.electricity_kwh / KWH_PER_WAN_KWH), None
    if measure == "output_per_worker":
        if row.headcount <= 0:
            return None, "no_headcount"
        return row.output_wan / row.headcount, None
    raise ValueError(measure)


def _plans(method: MujunMethod) -> dict[str, tuple[tuple[str, float, float], ...]]:
    """Per scale, the indicators that count: (measure, weight, benchmark), worked out once per call."""
    return {scale: tuple((i.measure, i.weight[scale], i.benchmark[scale]) for i in method.indicators
                         if i.weight[scale] > 0) for scale in ("above", "below")}


def _score_one(plan: tuple[tuple[str, float, float], ...], cap: float, row: TenantYear) -> TenantScore:
    land = row.land_mu
    if row.quarters == 0:
        return TenantScore(row.id, row.scale, land, None, None, (), 0, "no_reports")
    if land is None:
        return TenantScore(row.id, row.scale, None, None, None, (), row.quarters, "no_land")
    scores = []
    total = 0.0
    for measure, weight, benchmark in plan:
        value, missing = measure_value(measure, row, land)
        ratio = 0.0 if value is None else min(max(value / benchmark, 0.0), cap)
        scores.append(IndicatorScore(measure, value, benchmark, weight, weight * ratio, missing))
        total += weight * ratio
    # rounded so that equal sums tie whatever the order they were added in
    return TenantScore(row.id, row.scale, land, round(total, 6), None, tuple(scores), row.quarters)


def class_by_threshold(method: MujunMethod, score: float) -> str:
    for cls in CLASSES[:3]:
        if score >= method.thresholds[cls]:
            return cls
    return "D"


def _classes_by_percentile(method: MujunMethod, scored: list[TenantScore]) -> list[TenantScore]:
    """Rank within the scale; the class of a position is the first whose cumulative share holds it."""
    bounds, running = [], 0.0
    for cls in CLASSES[:3]:
        running += method.percentiles[cls]
        bounds.append((running, cls))
    ordered = sorted(scored, key=lambda s: -s.score)
    n = len(ordered)
    result, first_of_score, rank = [], None, 0
    for position, score in enumerate(ordered):
        if first_of_score is None or score.score != ordered[first_of_score].score:
            first_of_score, rank = position, position + 1  # tied scores share the better position
        share = first_of_score * 100.0 / n  # percent of the scale ranked above this score
        cls = next((c for bound, c in bounds if share < bound - 1e-9), "D")
        result.append(TenantScore(score.id, score.scale, score.land_mu, score.score, cls, score.indicators,
                                  score.quarters, None, rank, n))
    return result


def score_tenants(method: MujunMethod, rows: Iterable[TenantYear]) -> dict[str, TenantScore]:
    """Every tenant's score and class (rows scored together: percentiles rank across all of them)."""
    plans, cap = _plans(method), method.max_ratio
    scores = [_score_one(plans.get(row.scale, ()), cap, row) for row in rows]
    graded = [s for s in scores if s.score is not None]
    out = {s.id: s for s in scores if s.score is None}
    if method.classing == "thresholds":
        for s in graded:
            out[s.id] = TenantScore(s.id, s.scale, s.land_mu, s.score, class_by_threshold(method, s.score),
                                    s.indicators, s.quarters)
    else:
        for scale in {s.scale for s in graded}:
            for s in _classes_by_percentile(method, [g for g in graded if g.scale == scale]):
                out[s.id] = s
    return out


# --- in words ------------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def explain(method: MujunMethod, row: TenantYear, score: TenantScore, official: str | None,
            lang: str | None = None) -> list[str]:
    """The score in words, one line per step: land, each indicator, the total and class, the official class."""
    if score.reason == "no_reports":
        lines = [t("mujun.explain.no_reports", lang=lang)]
    elif score.reason == "no_land":
        lines = [t("mujun.explain.no_land", lang=lang, rented=_n(row.rented_area_m2),
                   floor=_n(row.park_floor_m2), mu=_n(row.park_land_mu))]
    else:
        lines = [t("mujun.explain.land", lang=lang, rented=_n(row.rented_area_m2), floor=_n(row.park_floor_m2),
                   mu=_n(row.park_land_mu), land=_n(score.land_mu)),
                 t("mujun.explain.figures", lang=lang, quarters=score.quarters, output=_n(row.output_wan),
                   tax=_n(row.tax_wan), power=_n(row.electricity_kwh), headcount=row.headcount,
                   scale=t(f"choices.scale.{row.scale}", lang=lang))]
        by_measure = {indicator.measure: indicator for indicator in method.indicators}
        for part in score.indicators:
            name = by_measure[part.measure].name(lang)
            if part.value is None:
                lines.append(t("mujun.explain.indicator_missing", lang=lang, name=name, weight=_n(part.weight),
                               why=t(f"mujun.missing.{part.missing}", lang=lang)))
            else:
                lines.append(t("mujun.explain.indicator", lang=lang, name=name, value=_n(part.value),
                               unit=t(f"mujun.unit.{part.measure}", lang=lang), benchmark=_n(part.benchmark),
                               weight=_n(part.weight), points=f"{part.points:.1f}"))
        if score.rank is not None:
            lines.append(t("mujun.explain.total_rank", lang=lang, score=f"{score.score:.1f}", rank=score.rank,
                           ranked=score.ranked, scale=t(f"choices.scale.{row.scale}", lang=lang), cls=score.cls))
        elif score.cls == "D":
            lines.append(t("mujun.explain.total_below", lang=lang, score=f"{score.score:.1f}",
                           limit=_n(method.thresholds["C"])))
        else:
            lines.append(t("mujun.explain.total_threshold", lang=lang, score=f"{score.score:.1f}", cls=score.cls,
                           limit=_n(method.thresholds[score.cls])))
    lines.append(official_difference(score.cls, official, lang))
    return lines


def official_difference(computed: str | None, official: str | None, lang: str | None = None) -> str:
    """How the computed class compares with the one typed or imported into the ledger."""
    if official is None:
        return t("mujun.official.none", lang=lang)
    if computed is None:
        return t("mujun.official.not_graded", lang=lang, official=official)
    if computed == official:
        return t("mujun.official.same", lang=lang, official=official)
    if official not in CLASSES:
        return t("mujun.official.differs", lang=lang, official=official, computed=computed)
    steps = CLASSES.index(computed) - CLASSES.index(official)
    key = "lower" if steps > 0 else "higher"
    return t(f"mujun.official.{key}", lang=lang, official=official, computed=computed, steps=abs(steps))
