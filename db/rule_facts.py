"""What the county's rules read (forms/rule_checks.py), in plain SQL on a `Store.read_connection()`
connection.

One read for a park (or the county): the current tenants (db/tenant_rules.py) with the fields
the rules compare, and the park's buildings. Plain SQL and plain rows: 30,000 tenants are read in a
fraction of a second (benchmarks/rules.py), where ORM objects would cost several times that. The
defaults (0 people, 0 m²) are filled in by SQL and each row goes into TenantFacts as it comes:
converting the values in Python, field by field, took as long as evaluating every rule. SQLite's
0/1 stand for the yes/no fields (the checks only ask whether they hold).
"""

from __future__ import annotations

import sqlite3
from itertools import starmap

from db.tenant_rules import current_tenant_sql
from forms.rule_checks import BuildingFacts, TenantFacts

_TENANTS = f"""
SELECT id, park_id, name, building_id, building, floor, fire_hazard_class, lease_use, coalesce(headcount, 0),
       coalesce(rented_area_m2, 0.0), sublet, subtenant_name, three_party_agreement, people_living_on_site
FROM tenant
WHERE {current_tenant_sql('tenant')} AND merged_into IS NULL {{park}}
ORDER BY park_id, name, id
"""
_BUILDINGS = """
SELECT id, park_id, name, design_hazard_class, fire_resistance_grade, floors, sprinklers, fire_alarm,
       manager_name
FROM building
WHERE deleted = 0 {park}
ORDER BY park_id, name, id
"""


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def rule_facts(conn: sqlite3.Connection, park_id: str | None = None) -> tuple[list[TenantFacts], list[BuildingFacts]]:
    """The in-park tenants and the buildings of a park (None: every park)."""
    where, args = ("AND park_id = ?", (park_id,)) if park_id is not None else ("", ())
    tenants = list(starmap(TenantFacts, conn.execute(_TENANTS.format(park=where), args)))
    buildings = [
        BuildingFacts(row[0], row[1], row[2], row[3], row[4], row[5], _flag(row[6]), _flag(row[7]), row[8])
        for row in conn.execute(_BUILDINGS.format(park=where), args)
    ]
    return tenants, buildings
