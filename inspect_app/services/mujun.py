"""亩均效益 classes computed from the quarterly reports by the county's method (forms/mujun_method.py,
calculator forms/mujun.py), compared with the class typed or imported into the ledger.

The evaluation year: the year of the overview's quarter when that is its fourth quarter, else the
year before (a class rests on four quarters; `evaluation_year`). With percentile classing a
tenant's class depends on every other tenant of its scale in the county, so the whole county is
scored and the park's tenants picked out; with thresholds only the park's tenants are read. Either
way a tenant gets the same class on every screen and in every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from db import mujun_queries as queries
from db.store import Store
from forms.i18n import t
from forms.mujun import TenantScore, TenantYear, explain, official_difference, score_tenants
from forms.mujun_method import MujunMethod, load_method
from forms.rule_file import RuleFileError
from inspect_app.services.collector import collector_paused
from inspect_app.services.park_overview import latest_quarter
from inspect_app.services.risk_flags import Quarter


def evaluation_year(quarter: Quarter) -> int:
    """The latest complete year up to the quarter."""
    return quarter.year if quarter.quarter == 4 else quarter.year - 1


class MujunRow(NamedTuple):  # a tuple: made 30,000 times for a county
    id: str
    park_id: str
    name: str
    credit_code: str
    official_class: str | None  # the ledger's 亩均 class (typed or imported)
    figures: TenantYear
    score: TenantScore

    @property
    def differs(self) -> bool:
        return self.official_class is not None and self.official_class != self.score.cls

    def explanation(self, method: MujunMethod, lang: str | None = None) -> list[str]:
        return explain(method, self.figures, self.score, self.official_class, lang)

    def difference(self, lang: str | None = None) -> str:
        return official_difference(self.score.cls, self.official_class, lang)


@dataclass(frozen=True)
class MujunResult:
    year: int
    method: MujunMethod
    rows: tuple[MujunRow, ...]  # by name

    def by_id(self) -> dict[str, MujunRow]:
        return {row.id: row for row in self.rows}

    def counts(self) -> dict[str | None, int]:
        """Tenants per computed class (None: not graded)."""
        counts: dict[str | None, int] = {}
        for row in self.rows:
            counts[row.score.cls] = counts.get(row.score.cls, 0) + 1
        return counts


def default_year(store: Store) -> int:
    """The latest complete year with reports: the year of the county's latest reported quarter when
    that is its fourth, else the year before."""
    return evaluation_year(latest_quarter(store))


def mujun_classes(store: Store, year: int, *, park_id: str | None = None,
                  method: MujunMethod | None = None) -> MujunResult:
    """Every in-park tenant's computed class for the year (one park's, or the county's)."""
    method = method or load_method()
    read_park = park_id if method.classing == "thresholds" else None
    with collector_paused():
        with store.read_connection() as conn:
            raw = queries.year_figures(conn, year, read_park)
        figures = [TenantYear(r[0], r[4], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13]) for r in raw]
        scores = score_tenants(method, figures)
        rows = tuple(MujunRow(r[0], r[1], r[2], r[3], r[5], f, scores[r[0]])
                     for r, f in zip(raw, figures, strict=True) if park_id is None or r[1] == park_id)
    return MujunResult(year, method, rows)


def tenant_lines(store: Store, park_id: str, quarter: Quarter, lang: str | None = None) -> dict[str, str]:
    """One line per tenant of the park for the overview: its computed class and score for the
    evaluation year of the quarter, and how that compares with the ledger's class. A method file
    that does not load gives every tenant the same line naming its first problem."""
    year = evaluation_year(quarter)
    try:
        result = mujun_classes(store, year, park_id=park_id)
    except RuleFileError as exc:
        line = t("mujun.tui.method_invalid", lang=lang, problem=exc.problems[0].text(lang))
        with store.read_connection() as conn:
            return dict.fromkeys((row[0] for row in queries.year_figures(conn, year, park_id)), line)
    lines = {}
    for row in result.rows:
        score = row.score
        if score.score is None:
            lines[row.id] = t("mujun.tui.line_not_graded", lang=lang, year=year,
                              reason=t(f"mujun.not_graded.{score.reason}", lang=lang), difference=row.difference(lang))
        else:
            lines[row.id] = t("mujun.tui.line", lang=lang, year=year, cls=score.cls, score=f"{score.score:.1f}",
                              difference=row.difference(lang))
    return lines
