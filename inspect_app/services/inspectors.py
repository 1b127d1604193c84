"""Who can be named on an inspection: this device's inspector, then the colleagues to pick from.

Inspections are made by one to three inspectors (enforcement practice wants two signatures on a
notice), so the start dialog lists every inspector known to this database. The order saves keys
on site: this device's own inspector first (preselected), then those who have inspected the same
park before (usually the partner on the team), most recent first, then everyone else by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from db.models import Inspection, Inspector, LocalSetting
from db.store import Store
from inspect_app.services.profile import PROFILE_KEY

# How many of the park's past inspections to look at for "worked here before"; a team changes
# rarely, and a bounded read keeps the dialog instant on a park with years of history.
RECENT_INSPECTIONS = 50


@dataclass(frozen=True)
class InspectorChoice:
    id: str
    name: str
    id_number: str
    agency: str
    is_me: bool  # this device's inspector profile
    worked_here: bool  # named on one of the park's recent inspections


def inspector_choices(store: Store, *, park_id: str | None = None) -> list[InspectorChoice]:
    """Every inspector, this device's first, then the park's recent ones, then the rest by name."""
    with store.read() as session:
        setting = session.get(LocalSetting, PROFILE_KEY)
        me = setting.value if setting else None
        inspectors = session.exec(select(Inspector).where(Inspector.deleted == False)).all()  # noqa: E712
        recent: list[str] = []
        if park_id is not None:
            teams = session.exec(
                select(Inspection.inspector_ids)
                .where(Inspection.park_id == park_id, Inspection.deleted == False)  # noqa: E712
                .order_by(Inspection.started_at.desc())
                .limit(RECENT_INSPECTIONS)
            ).all()
            recent = list(dict.fromkeys(i for team in teams for i in team or ()))
    rank = {inspector_id: n for n, inspector_id in enumerate(recent)}

    def order(inspector: Inspector) -> tuple:
        return (inspector.id != me, inspector.id not in rank, rank.get(inspector.id, 0), inspector.name,
                inspector.id_number)

    return [
        InspectorChoice(id=i.id, name=i.name, id_number=i.id_number, agency=i.agency, is_me=i.id == me,
                        worked_here=i.id in rank)
        for i in sorted(inspectors, key=order)
    ]


# The team of the day (local to this device, never synced): the inspectors chosen when the day's
# first inspection started are preselected for the next ones of the same China date, so the
# second inspector is picked once a day, not at every door.
TEAM_KEY = "inspection_team"


def remember_team(store: Store, inspector_ids: list[str], day: date) -> None:
    value = json.dumps({"day": day.isoformat(), "ids": list(inspector_ids)})
    with store.transaction() as session:
        session.merge(LocalSetting(key=TEAM_KEY, value=value))


def team_of_the_day(store: Store, day: date) -> list[str]:
    """The inspectors remembered for `day` (a China date); [] on another day or when none are."""
    with store.read() as session:
        setting = session.get(LocalSetting, TEAM_KEY)
    try:
        stored = json.loads(setting.value) if setting else {}
    except ValueError:
        return []
    if not isinstance(stored, dict) or stored.get("day") != day.isoformat():
        return []
    return [i for i in stored.get("ids") or [] if isinstance(i, str)]
