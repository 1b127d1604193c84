"""The county's rules applied: a rule set and plain rows in, results out (no database, no clock).

`evaluate(rules, tenants, buildings)` gives one `RuleResult` per tenant and rule that the tenant
breaks. A result keeps the figures its message names (codes, not labels), so it is explained in
either language when shown, always with the article it rests on and the rules' version.

A tenant belongs to the building its `building_id` names, else to the building of its park whose
name is the ledger's building written the same way (`3号楼`, `3 号楼` and `３号楼` alike): ledgers
carry building names, not ids. A building rule needs that building and the figure it compares;
a figure not recorded (None) breaks no rule — the ledger check asks for it instead.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from forms.catalogues import FIRE_HAZARD_CLASSES, label
from forms.i18n import t
from forms.rules import Rule, RuleSet


@dataclass(slots=True)
class TenantFacts:
    id: str
    park_id: str
    name: str
    building_id: str | None
    building: str | None  # as written in the ledger
    floor: int | None
    fire_hazard_class: str | None
    lease_use: str
    headcount: int
    rented_area_m2: float
    sublet: bool  # the yes/no fields may be SQLite's 0/1 (db/rule_facts.py): read only as truth values
    subtenant_name: str | None
    three_party_agreement: bool | None
    people_living_on_site: bool


@dataclass(slots=True)
class BuildingFacts:
    id: str
    park_id: str
    name: str
    design_hazard_class: str | None
    fire_resistance_grade: str | None
    floors: int | None
    sprinklers: bool | None
    fire_alarm: bool | None
    manager_name: str | None


@dataclass(slots=True)
class RuleResult:
    rules_id: str
    rules_version: str
    rule: Rule
    tenant_id: str
    tenant_name: str
    park_id: str
    building_id: str | None
    figures: tuple[tuple[str, object], ...]  # the message's values; class and use as codes

    def values(self, lang: str | None = None) -> dict[str, object]:
        shown = {}
        for name, value in self.figures:
            if name in ("tenant_class", "building_class"):
                value = label("fire_hazard_class", value, lang)
            elif name == "use":
                value = label("lease_use", value, lang)
            shown[name] = value
        return shown

    def message(self, lang: str | None = None) -> str:
        """The finding in words with its figures (no article)."""
        return self.rule.message(self.values(lang), lang)

    def text(self, lang: str | None = None) -> str:
        """The finding with the article it rests on: what a person reads."""
        return t("rules.result", lang=lang, message=self.message(lang), article=self.rule.article(lang))


def building_key(name: str | None) -> str:
    """A building's name as compared: NFKC, no spaces, lower case."""
    if not name:
        return ""
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


def _rank(code: str | None) -> int | None:
    """甲 (A) = 0 is the most dangerous; None when not recorded or unknown."""
    return FIRE_HAZARD_CLASSES.index(code) if code in FIRE_HAZARD_CLASSES else None


def _number(value: float) -> object:
    """A figure as a person writes it: 120 rather than 120.0, else one decimal."""
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def _class_above_building(rule: Rule, tenant: TenantFacts, building: BuildingFacts | None, shared: int):
    if building is None:
        return None
    mine, designed = _rank(tenant.fire_hazard_class), _rank(building.design_hazard_class)
    if mine is None or designed is None or mine >= designed:
        return None
    return {"tenant_class": tenant.fire_hazard_class, "building": building.name,
            "building_class": building.design_hazard_class}


def _sublet_without_agreement(rule: Rule, tenant: TenantFacts, building: BuildingFacts | None, shared: int):
    if not tenant.sublet or tenant.three_party_agreement:
        return None
    return {"subtenant": tenant.subtenant_name or "—"}


def _shared_building_without_manager(rule: Rule, tenant: TenantFacts, building: BuildingFacts | None,
                                     shared: int):
    minimum = rule.params["min_tenants"]
    if building is None or shared < minimum or (building.manager_name or "").strip():
        return None
    return {"building": building.name, "tenants": shared, "min_tenants": minimum}


def _living_on_site(rule: Rule, tenant: TenantFacts, building: BuildingFacts | None, shared: int):
    if not tenant.people_living_on_site or tenant.lease_use not in rule.params["uses"]:
        return None
    return {"use": tenant.lease_use}


def _class_above_floor(rule: Rule, tenant: TenantFacts, building: BuildingFacts | None, shared: int):
    classes, highest = rule.params["classes"], rule.params["max_floor"]
    if tenant.fire_hazard_class not in classes or tenant.floor is None or tenant.floor <= highest:
        return None
    if building is not None and building.design_hazard_class in classes:
        return None  # a building designed for this class: its floors were approved for it
    return {"tenant_class": tenant.fire_hazard_class, "floor": tenant.floor, "max_floor": highest}


def _headcount_density(rule: Rule, tenant: TenantFacts, building: BuildingFacts | None, shared: int):
    limit = rule.params["max_per_100_m2"]
    if tenant.rented_area_m2 <= 0:
        return None
    density = tenant.headcount * 100 / tenant.rented_area_m2
    if density <= limit:
        return None
    return {"headcount": tenant.headcount, "area": _number(tenant.rented_area_m2),
            "density": _number(density), "limit": _number(limit)}


EVALUATORS = {
    "class_above_building": _class_above_building,
    "sublet_without_agreement": _sublet_without_agreement,
    "shared_building_without_manager": _shared_building_without_manager,
    "living_on_site": _living_on_site,
    "class_above_floor": _class_above_floor,
    "headcount_density": _headcount_density,
}


def link_buildings(tenants: Iterable[TenantFacts], buildings: Iterable[BuildingFacts]) -> dict[str, BuildingFacts]:
    """tenant id -> its building (by id, else by name within its park); tenants without one are left out."""
    by_id = {b.id: b for b in buildings}
    by_name = {(b.park_id, building_key(b.name)): b for b in by_id.values()}
    linked = {}
    for tenant in tenants:
        building = by_id.get(tenant.building_id) if tenant.building_id else None
        if building is None and tenant.building:
            building = by_name.get((tenant.park_id, building_key(tenant.building)))
        if building is not None:
            linked[tenant.id] = building
    return linked


def evaluate(rules: RuleSet, tenants: list[TenantFacts], buildings: list[BuildingFacts]) -> list[RuleResult]:
    """Every (tenant, rule) the tenant breaks, tenants in the order given, rules in the file's order."""
    building_of = link_buildings(tenants, buildings)
    sharing = Counter(building.id for building in building_of.values())
    active = [(rule, EVALUATORS[rule.check]) for rule in rules.active()]
    results = []
    for tenant in tenants:
        building = building_of.get(tenant.id)
        shared = sharing[building.id] if building is not None else 0
        for rule, check in active:
            figures = check(rule, tenant, building, shared)
            if figures is None:
                continue
            results.append(RuleResult(rules.id, rules.version, rule, tenant.id, tenant.name, tenant.park_id,
                                      building.id if building else None,
                                      (("tenant", tenant.name), *figures.items())))
    return results
