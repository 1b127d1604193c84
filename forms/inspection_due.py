"""When a tenant is due for inspection: its risk class, the interval per class, and where in a
building it is (for walking a building in one pass). Plain rules on plain values; the facts are
read by db/lookback.py and the rules come from `[inspection]` of config.toml (inspect_app/config.py).

Risk class, from what the ledger records today (there is no separate "risk class" field):
- high: 甲/乙 fire hazard class (GB 50016), people living on site, or a risk point that makes a fire
  fast or deadly (flammables, hazardous chemicals, lithium batteries, staff dormitory, ammonia,
  smelting, spray painting);
- medium: 丙 class, or any other risk point;
- low: everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

RISK_CLASSES = ("high", "medium", "low")
HIGH_FIRE_CLASSES = frozenset({"A", "B"})
MEDIUM_FIRE_CLASSES = frozenset({"C"})
HIGH_RISK_POINTS = frozenset({"flammables", "hazchem", "lithium", "staff_living", "ammonia", "smelting",
                              "spray_painting"})
# Why a tenant is due, most pressing first (the order the list starts in).
DUE_REASONS = ("deadline", "never", "interval")


@dataclass(frozen=True)
class DueRules:
    """`[inspection]` of config.toml: days between inspections per risk class, and how many days
    ahead an open hazard's deadline makes its tenant due (for the re-inspection)."""

    interval_days: dict[str, int] = field(default_factory=lambda: {"high": 30, "medium": 90, "low": 180})
    deadline_within_days: int = 7


def risk_class(fire_hazard_class: str | None, risk_points: Iterable[str], people_living_on_site: bool) -> str:
    points = set(risk_points or ())
    if fire_hazard_class in HIGH_FIRE_CLASSES or people_living_on_site or points & HIGH_RISK_POINTS:
        return "high"
    if fire_hazard_class in MEDIUM_FIRE_CLASSES or points:
        return "medium"
    return "low"


def due_reasons(*, last_inspected: date | None, risk: str, next_deadline: date | None, today: date,
                rules: DueRules) -> list[str]:
    """Why the tenant is due (an empty list: not due), most pressing first."""
    reasons = []
    if next_deadline is not None and (next_deadline - today).days <= rules.deadline_within_days:
        reasons.append("deadline")
    if last_inspected is None:
        reasons.append("never")
    elif (today - last_inspected).days >= rules.interval_days[risk]:
        reasons.append("interval")
    return reasons


_FLOOR = re.compile(r"(?:^|\D)(-?\d{1,2})\s*(?:F|层|楼)(?!\d*号)", re.IGNORECASE)
_ROOM = re.compile(r"(\d{3,4})")
_PARTS = re.compile(r"(\d+)")


def floor_of(unit_no: str | None) -> int | None:
    """The floor a unit is on, as the ledger writes it: "3F-301", "3层", "301" (room 301 is on the 3rd)."""
    if not unit_no:
        return None
    match = _FLOOR.search(unit_no)
    if match:
        return int(match.group(1))
    room = _ROOM.search(unit_no)
    return int(room.group(1)) // 100 if room else None


def natural_key(text: str | None) -> tuple:
    """"2号楼" before "10号楼": runs of digits compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in _PARTS.split(text or "") if part)
