"""A park's buildings (楼栋): list, add, change — the figures the county's rules compare with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import select

from db.errors import UserError
from db.models import Building
from db.rule_facts import rule_facts
from db.store import Store
from forms.building import BUILDING_FIELDS, BuildingInput
from forms.rule_checks import building_key, link_buildings


@dataclass(frozen=True)
class BuildingRow:
    id: str
    name: str
    floors: int | None
    design_hazard_class: str | None
    fire_resistance_grade: str | None
    sprinklers: bool | None
    fire_alarm: bool | None
    manager_name: str | None


def list_buildings(store: Store, park_id: str) -> list[BuildingRow]:
    with store.read() as session:
        found = session.exec(select(Building).where(Building.park_id == park_id, Building.deleted == False)  # noqa: E712
                             .order_by(Building.name)).all()
        return [BuildingRow(b.id, b.name, b.floors, b.design_hazard_class, b.fire_resistance_grade, b.sprinklers,
                            b.fire_alarm, b.manager_name) for b in found]


def tenants_per_building(store: Store, park_id: str) -> dict[str, int]:
    """building id -> its in-park tenants, linked as the rules link them (by id, else by ledger name)."""
    with store.read_connection() as conn:
        tenants, buildings = rule_facts(conn, park_id)
    return dict(Counter(building.id for building in link_buildings(tenants, buildings).values()))


def building_as_input(store: Store, building_id: str) -> dict[str, object]:
    with store.read() as session:
        building = session.get(Building, building_id)
        if building is None or building.deleted:
            raise UserError("errors.building_missing")
        return {name: getattr(building, name) for name in BUILDING_FIELDS}


def save_building(store: Store, *, park_id: str, data: BuildingInput, building_id: str | None = None) -> str:
    """Add (building_id None) or change a building in one transaction; a name another building of the
    park has (written the same way, spaces and full-width aside) is refused and nothing is written."""
    with store.transaction() as session:
        others = session.exec(select(Building).where(Building.park_id == park_id, Building.deleted == False)).all()  # noqa: E712
        if any(b.id != building_id and building_key(b.name) == building_key(data.name) for b in others):
            raise UserError("errors.duplicate_building", field="name", name=data.name)
        values = data.model_dump()
        if building_id is None:
            building = Building(park_id=park_id, **values)
            session.add(building)
        else:
            building = session.get(Building, building_id)
            if building is None or building.deleted or building.park_id != park_id:
                raise UserError("errors.building_missing")
            for name, value in values.items():
                if getattr(building, name) != value:
                    setattr(building, name, value)
        session.flush()
        return building.id
