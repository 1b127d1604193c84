"""The county's rules applied to the ledger: results per park and tenant, the compliance matrix,
and a result turned into a hazard with the rule's article as its legal basis.

The rules in force are `forms.rules.load_rules()` (a file given, else PARKINSPECT_RULES_FILE, else
the built-in county file); results are computed when asked, never stored, so they always follow
the ledger and the rules as they are now. A hazard made from one records the article and the rule's
code (`hazard.item_code`), and the rules' version in its description.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from db.errors import UserError
from db.rule_facts import rule_facts
from db.store import Store
from exports.tabular import write_xlsx
from forms.i18n import t
from forms.rule_checks import RuleResult, evaluate, link_buildings
from forms.rules import RuleSet, load_rules
from inspect_app.services.collector import collector_paused
from inspect_app.services.hazards import record_rule_hazard


@dataclass(frozen=True)
class ParkResults:
    rules: RuleSet
    tenants: list  # TenantFacts, in the ledger's order
    buildings: dict  # tenant id -> BuildingFacts
    results: list[RuleResult]

    def of_tenant(self, tenant_id: str) -> list[RuleResult]:
        return [r for r in self.results if r.tenant_id == tenant_id]

    def by_tenant(self) -> dict[str, list[RuleResult]]:
        grouped: dict[str, list[RuleResult]] = defaultdict(list)
        for result in self.results:
            grouped[result.tenant_id].append(result)
        return grouped


def apply_rules(store: Store, park_id: str | None = None, rules: RuleSet | None = None) -> ParkResults:
    """Every result of the rules over a park's in-park tenants (None: every park)."""
    rules = rules or load_rules()
    with collector_paused():
        with store.read_connection() as conn:
            tenants, buildings = rule_facts(conn, park_id)
        found = evaluate(rules, tenants, buildings)
        return ParkResults(rules, tenants, link_buildings(tenants, buildings), found)


def tenant_results(store: Store, park_id: str, tenant_id: str, rules: RuleSet | None = None) -> list[RuleResult]:
    """A tenant's results (its building's other tenants count for the shared-building rule)."""
    return apply_rules(store, park_id, rules).of_tenant(tenant_id)


def results_per_park(store: Store, rules: RuleSet | None = None, park_id: str | None = None) -> dict[str, int]:
    """park id -> how many rule results its tenants have (the overviews' figure); every park, or one."""
    return dict(Counter(result.park_id for result in apply_rules(store, park_id, rules).results))


# --- the compliance matrix ---------------------------------------------------------------------


def matrix(found: ParkResults, lang: str | None = None) -> tuple[list[str], list[list]]:
    """Tenants × rules: a header row and one row per in-park tenant; a broken rule's cell holds
    its finding in words with the article, so the sheet explains itself."""
    rules = found.rules.active()
    headers = [t("rules.matrix.tenant", lang=lang), t("rules.matrix.building", lang=lang),
               t("rules.matrix.count", lang=lang)]
    headers += [f"{rule.code} {rule.title(lang)}" for rule in rules]
    grouped = found.by_tenant()
    rows = []
    for tenant in found.tenants:
        mine = {result.rule.code: result for result in grouped.get(tenant.id, ())}
        building = found.buildings.get(tenant.id)
        row = [tenant.name, building.name if building else tenant.building, len(mine)]
        row += [mine[rule.code].text(lang) if rule.code in mine else None for rule in rules]
        rows.append(row)
    return headers, rows


def export_matrix(store: Store, park_id: str, path: Path, rules: RuleSet | None = None,
                  lang: str | None = None) -> ParkResults:
    """Write a park's compliance matrix (.xlsx); the sheet's last row names the rules' version."""
    if path.suffix.lower() != ".xlsx":
        raise UserError("rules.cli.bad_suffix")
    found = apply_rules(store, park_id, rules)
    headers, rows = matrix(found, lang)
    version = t("rules.rules_version", lang=lang, title=found.rules.title(lang), id=found.rules.id,
                version=found.rules.version)
    rows.append([version] + [None] * (len(headers) - 1))
    write_xlsx(path, headers, rows, t("rules.matrix.sheet", lang=lang))
    return found


# --- a result as a hazard ----------------------------------------------------------------------


def hazard_from_result(store: Store, park_id: str, tenant_id: str, rule_code: str, *, today: date,
                       rules: RuleSet | None = None) -> str:
    """Record a tenant's result of one rule as a hazard (with its 五落实 item and deadline) whose
    legal basis is the rule's article; refused when the tenant no longer breaks the rule or already
    has an unclosed hazard from it. Returns the hazard's id."""
    found = [r for r in tenant_results(store, park_id, tenant_id, rules) if r.rule.code == rule_code]
    if not found:
        raise UserError("rules.result_missing")
    return record_rule_hazard(store, found[0], today=today)
