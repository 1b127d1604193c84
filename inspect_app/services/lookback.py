"""回头看 and the due list: earlier visits to a tenant as screens show them (queries in db/lookback.py).

- the checklist screen shows, per item, the tenant's last answer (`previous_results`, `previous_line`);
- the hazards list, the 五落实 header, the notice and the overview mark repeats (`repeat_numbers`,
  `repeat_line`; db/lookback.py says why a repeat is derived rather than stored);
- the ledger shows the last inspection's day and an unfinished-inspection mark (`visits`);
- the due list (`due_list`): tenants never inspected, inspected longer ago than the interval of
  their risk class, or with a hazard deadline within a few days (`[inspection]` of config.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from db import lookback
from db.lookback import PreviousResult, Visit
from db.store import Store
from forms.i18n import t
from forms.inspection_due import DUE_REASONS, DueRules, due_reasons, floor_of, natural_key, risk_class


def previous_results(store: Store, tenant_id: str | None, inspection_id: str) -> dict[str, PreviousResult]:
    """Item code -> the tenant's last answer before this inspection (nothing for common areas)."""
    if tenant_id is None:
        return {}
    with store.read_connection() as conn:
        return lookback.previous_results(conn, tenant_id, before=inspection_id)


def previous_line(previous: PreviousResult, lang: str | None = None) -> str:
    """"上次不合格 2026-03-02，第 2 次；已整改 2026-03-20" / "上次合格 2026-03-02"."""
    line = t(f"lookback.last_{previous.outcome}", lang=lang, on=previous.on.isoformat(), count=previous.failures)
    if previous.outcome != "fail":
        return line
    if previous.rectified_on is not None:
        return line + t("lookback.rectified", lang=lang, on=previous.rectified_on.isoformat())
    if previous.hazard_status:
        return line + t("lookback.not_rectified", lang=lang,
                        status=t(f"choices.hazard_status.{previous.hazard_status}", lang=lang))
    return line


def repeat_numbers(store: Store, hazard_ids: list[str]) -> dict[str, int]:
    """Hazard id -> the how-many-th finding of its item at its tenant, for repeats only."""
    with store.read_connection() as conn:
        return lookback.repeat_numbers(conn, hazard_ids)


def repeat_line(number: int, lang: str | None = None) -> str:
    return t("lookback.repeat", lang=lang, count=number)


def visits(store: Store, tenant_ids: list[str]) -> dict[str, Visit]:
    with store.read_connection() as conn:
        return lookback.visits(conn, tenant_ids)


@dataclass(frozen=True)
class DueRow:
    tenant_id: str
    park_id: str
    name: str
    building: str | None
    unit_no: str | None
    floor: int | None
    risk: str  # forms/inspection_due.py RISK_CLASSES
    reasons: tuple[str, ...]  # forms/inspection_due.py DUE_REASONS, most pressing first
    last_inspected: date | None
    next_deadline: date | None
    unfinished: bool

    @property
    def location(self) -> str:
        return " ".join(p for p in (self.building, self.unit_no) if p)


def due_list(store: Store, park_id: str | None, *, today: date, rules: DueRules | None = None,
             by_place: bool = False) -> list[DueRow]:
    """The tenants due for inspection: most pressing first, or by building, floor and unit when
    `by_place` (a walk through a building in one pass). `rules`: the office's (Settings.due_rules);
    None is the built-in intervals."""
    rules = rules or DueRules()
    with store.read_connection() as conn:
        facts = lookback.due_facts(conn, park_id)
    rows = []
    for f in facts:
        risk = risk_class(f.fire_hazard_class, f.risk_points, f.people_living_on_site)
        reasons = due_reasons(last_inspected=f.last_inspected, risk=risk, next_deadline=f.next_deadline,
                              today=today, rules=rules)
        if reasons:
            rows.append(DueRow(f.tenant_id, f.park_id, f.name, f.building, f.unit_no, floor_of(f.unit_no), risk,
                               tuple(reasons), f.last_inspected, f.next_deadline, f.unfinished))
    return sort_due(rows, by_place=by_place)


def sort_due(rows: list[DueRow], *, by_place: bool) -> list[DueRow]:
    if by_place:
        return sorted(rows, key=lambda r: (natural_key(r.building), r.floor is None, r.floor or 0,
                                           natural_key(r.unit_no), r.name))
    # Most pressing: a hazard deadline first (earliest), then never inspected, then the longest ago.
    return sorted(rows, key=lambda r: (DUE_REASONS.index(r.reasons[0]), r.next_deadline or date.max,
                                       r.last_inspected or date.min, r.name))


def due_reason_text(row: DueRow, today: date, lang: str | None = None) -> str:
    """Why the row is due, every reason, in words: "整改期限 03-20（还有 3 天）· 从未检查"."""
    parts = []
    for reason in row.reasons:
        if reason == "deadline":
            days = (row.next_deadline - today).days
            key = "lookback.due_deadline_past" if days < 0 else "lookback.due_deadline"
            parts.append(t(key, lang=lang, deadline=row.next_deadline.isoformat(), days=abs(days)))
        elif reason == "never":
            parts.append(t("lookback.due_never", lang=lang))
        else:
            parts.append(t("lookback.due_interval", lang=lang, days=(today - row.last_inspected).days,
                           risk=t(f"lookback.risk.{row.risk}", lang=lang)))
    return " · ".join(parts)
