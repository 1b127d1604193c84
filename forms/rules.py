"""County rules files: what the office writes (TOML), validated like the checklist templates.

A rules file (`forms/rulesets/*.toml`; the schema is in the comments at the top of the shipped
`county_fire.toml`) has an id and a version and a list of `[[rules]]`. Each rule names one of the
checks the app knows (`CHECKS`, evaluated by forms/rule_checks.py), the article it rests on, its
parameters (limits, classes), the severity and deadline of a hazard made from it, and its message
in Chinese and English with placeholders for the figures. The office changes limits, classes,
articles and wording without code; a new kind of check needs code.

Refusals name the file, the line and the field in the user's language, through the reader all
rules files share (forms/rule_file.py). Every result carries the rules' id and
version, so a matrix or a hazard says which rules it was made with.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from forms.catalogues import FIRE_HAZARD_CLASSES, LEASE_USES, SEVERITIES
from forms.checklist import ID_PATTERN, MAX_DEADLINE_DAYS
from forms.i18n import current_language, normalise_language
from forms.rule_file import (
    Checker,
    RuleFileError,
    RuleProblem,
    file_in_force,
    message_placeholders,
    read_rule_file,
    validate_file,
)

# The old names of the error types (the checklist's): one type for every rules file now.
TemplateError = RuleFileError
TemplateProblem = RuleProblem
KIND = "county_rules"  # the optional `kind` key that says which kind of rules file this is

BUILTIN_FILE = Path(__file__).with_name("rulesets") / "county_fire.toml"
RULES_FILE_ENV = "PARKINSPECT_RULES_FILE"

# A rule's code goes into hazard.item_code (20 characters) and the matrix's header.
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,19}")


@dataclass(frozen=True)
class Check:
    """One kind of check the app can evaluate: its parameters (name -> type) and placeholders."""

    params: dict[str, str]
    placeholders: tuple[str, ...]


# The checks, by name. Parameter types: "classes" (a list of 甲..戊 codes A..E), "uses" (a list of
# lease uses), "integer", "number" (> 0). Every parameter listed is required in the file.
CHECKS: dict[str, Check] = {
    # Tenant's fire-hazard class of its process above its building's design class (Arts. 15-20).
    "class_above_building": Check({}, ("tenant", "building", "tenant_class", "building_class")),
    # A sublet without the three-party safety agreement (Art. 8).
    "sublet_without_agreement": Check({}, ("tenant", "subtenant")),
    # A building shared by at least `min_tenants` tenants with no named unified manager (Art. 7).
    "shared_building_without_manager": Check({"min_tenants": "integer"},
                                             ("tenant", "building", "tenants", "min_tenants")),
    # People living on site in premises used for `uses` (三合一).
    "living_on_site": Check({"uses": "uses"}, ("tenant", "use")),
    # A tenant of `classes` above `max_floor`, unless its building was designed for that class.
    "class_above_floor": Check({"classes": "classes", "max_floor": "integer"},
                               ("tenant", "tenant_class", "floor", "max_floor")),
    # More than `max_per_100_m2` people per 100 m² of rented area.
    "headcount_density": Check({"max_per_100_m2": "number"},
                               ("tenant", "headcount", "area", "density", "limit")),
}

TOP_KEYS = {"id": "string", "version": "string", "title_zh": "string", "title_en": "string",
            "rules": "table_list"}
RULE_REQUIRED = {"code": "string", "check": "string", "article": "string", "article_en": "string",
                 "title": "string", "title_en": "string", "message": "string", "message_en": "string",
                 "severity": "string"}
RULE_OPTIONAL = {"deadline_days": "integer", "enabled": "bool"}
PARAM_TYPES = {"classes": "list", "uses": "list", "integer": "integer", "number": "number"}


def _english(lang: str | None) -> bool:
    return normalise_language(lang or current_language()) == "en"


@dataclass(frozen=True)
class Rule:
    code: str
    check: str
    article_zh: str
    article_en: str
    title_zh: str
    title_en: str
    message_zh: str
    message_en: str
    severity: str  # of a hazard made from a result: "general" | "major"
    deadline_days: int | None = None  # None: the hazard's default for its severity
    params: dict = field(default_factory=dict)
    enabled: bool = True

    def article(self, lang: str | None = None) -> str:
        return self.article_en if _english(lang) else self.article_zh

    def title(self, lang: str | None = None) -> str:
        return self.title_en if _english(lang) else self.title_zh

    def message(self, values: dict, lang: str | None = None) -> str:
        return (self.message_en if _english(lang) else self.message_zh).format_map(values)


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    title_zh: str
    title_en: str
    rules: tuple[Rule, ...]
    source: str = ""

    def title(self, lang: str | None = None) -> str:
        return self.title_en if _english(lang) else self.title_zh

    def active(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    def rule(self, code: str) -> Rule:
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(code)


# --- validation --------------------------------------------------------------------------------


def _validate(data: dict, checker: Checker) -> RuleSet | None:
    checker.keys(data, {**TOP_KEYS, "kind": "string"}, TOP_KEYS)
    checker.kind(data, KIND)
    rules_id = checker.text(data, "id")
    if rules_id is not None and not ID_PATTERN.fullmatch(rules_id):
        checker.add("id", "checklist.problem.bad_id", value=rules_id)
    version = checker.version(data)
    title_zh = checker.text(data, "title_zh")
    title_en = checker.text(data, "title_en")
    raw_rules = checker.typed(data, "rules", "table_list")
    if raw_rules is not None and not raw_rules:
        checker.add("rules", "checklist.problem.no_rules")
    rules = []
    first_field_of_code: dict[str, str] = {}
    for index, raw in enumerate(raw_rules or []):
        rule = _validate_rule(raw, index, checker, first_field_of_code)
        if rule is not None:
            rules.append(rule)
    if checker.problems:
        return None
    return RuleSet(rules_id, version, title_zh, title_en, tuple(rules), checker.file)


def _validate_rule(raw: dict, index: int, checker: Checker, first_field_of_code: dict[str, str]) -> Rule | None:
    prefix = f"rules[{index + 1}]."
    before = len(checker.problems)

    check_name = raw.get("check") if isinstance(raw.get("check"), str) else None
    check = CHECKS.get(check_name or "")
    params = check.params if check else {}
    checker.keys(raw, {**RULE_REQUIRED, **RULE_OPTIONAL, **params}, {**RULE_REQUIRED, **params}, prefix)

    code = checker.text(raw, "code", prefix)
    if code is not None:
        if not CODE_PATTERN.fullmatch(code):
            checker.add(prefix + "code", "checklist.problem.bad_rule_code", value=code)
        elif code in first_field_of_code:
            checker.add(prefix + "code", "checklist.problem.duplicate_code", code=code,
                        line=checker.locator.line(first_field_of_code[code]))
        else:
            first_field_of_code[code] = prefix + "code"
    checker.choice(raw, "check", tuple(CHECKS), prefix)
    texts = {key: checker.text(raw, key, prefix)
             for key in ("article", "article_en", "title", "title_en", "message", "message_en")}
    for key in ("message", "message_en"):
        if texts[key] is None or check is None:
            continue
        names = message_placeholders(texts[key])
        if names is None:
            checker.add(prefix + key, "checklist.problem.bad_braces")
            continue
        for name in dict.fromkeys(names):
            if name not in check.placeholders:
                checker.add(prefix + key, "checklist.problem.unknown_placeholder", name=name,
                            choices=", ".join(check.placeholders))
    severity = checker.choice(raw, "severity", SEVERITIES, prefix)
    days = checker.typed(raw, "deadline_days", "integer", prefix)
    if days is not None and not 0 <= days <= MAX_DEADLINE_DAYS:
        checker.add(prefix + "deadline_days", "checklist.problem.deadline_range", max=MAX_DEADLINE_DAYS)
    enabled = checker.typed(raw, "enabled", "bool", prefix)
    values = {name: _param(raw, name, kind, prefix, checker) for name, kind in params.items()}

    if len(checker.problems) > before:
        return None
    return Rule(code=code, check=check_name, article_zh=texts["article"], article_en=texts["article_en"],
                title_zh=texts["title"], title_en=texts["title_en"], message_zh=texts["message"],
                message_en=texts["message_en"], severity=severity, deadline_days=days, params=values,
                enabled=True if enabled is None else enabled)


def _param(raw: dict, name: str, kind: str, prefix: str, checker: Checker):
    if name not in raw:
        return None  # reported as required
    value = raw[name]
    field_name = prefix + name
    if kind in ("classes", "uses"):
        choices = FIRE_HAZARD_CLASSES if kind == "classes" else LEASE_USES
        values = checker.typed(raw, name, "list", prefix)
        if values is None:
            return None
        if not values:
            checker.add(field_name, "checklist.problem.empty")
        for entry in values:
            if entry not in choices:
                checker.add(field_name, "checklist.problem.bad_choice", value=entry, choices=", ".join(choices))
        return tuple(values)
    if kind == "integer":
        number = checker.typed(raw, name, "integer", prefix)
        if number is not None and number < 1:
            checker.add(field_name, "checklist.problem.not_positive")
            return None
        return number
    # "number": an integer or a decimal, above zero
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        checker.add(field_name, "checklist.problem.not_positive")
        return None
    if not value > 0 or value != value or value == float("inf"):
        checker.add(field_name, "checklist.problem.not_positive")
        return None
    return float(value)


# --- reading files -----------------------------------------------------------------------------


def parse_rules(data: bytes, file: str = "<rules>") -> RuleSet:
    """Validate the bytes of one rules file; raise RuleFileError listing every problem with its line."""
    return validate_file(data, file, _validate)


def load_rules_file(path: str | os.PathLike) -> RuleSet:
    return parse_rules(read_rule_file(path), str(path))


@cache
def builtin_rules() -> RuleSet:
    """The county's default rules, shipped with the app (a shipped file that fails is a bug)."""
    return load_rules_file(BUILTIN_FILE)


def load_rules(path: str | os.PathLike | None = None) -> RuleSet:
    """The rules in force: the file given, else PARKINSPECT_RULES_FILE, else the built-in file.
    Not cached for a local file: the office may edit it while the app runs."""
    return file_in_force(path, RULES_FILE_ENV, builtin_rules, load_rules_file)


__all__ = ["CHECKS", "KIND", "Rule", "RuleFileError", "RuleSet", "TemplateError", "TemplateProblem", "builtin_rules", "load_rules",
           "load_rules_file", "parse_rules"]
