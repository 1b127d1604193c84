"""Who can be named on an inspection: this device's inspector, then the colleagues to pick from.

Inspections are made by one to three inspectors (enforcement practice wants two signatures on a
notice), so the start dialog lists every inspector known to this database. The order saves keys
on site: this device's own inspector first (preselected), then those who have inspected the same
park before (usually the partner on the team), most recent first, then everyone else by name.
"""

from __future__ import annotations

from dataclasses import dataclass

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
