"""A park's entry rules (入园标准与负面清单): what the office writes (TOML), validated like the
county's rules files (forms/rules.py) and the checklist templates.

An entry rules file (the schema is in the comments at the top of the shipped
`forms/rulesets/county_entry.toml`) has `kind = "entry"`, an id, a version, titles, and a list of
`[[rules]]`. Each rule names one of the checks below, the source it rests on (the negative list,
the park's entry standard and its article), its parameters, its title and its refusal message in
Chinese and English with placeholders for the figures. An applicant (forms/applicant.py) that
breaks an enabled rule is refused with that message; `screen` returns every refusal, so the
applicant hears all reasons at once.

Problems name the file, the line and the field in the user's language, through the templates'
locator and problem type (forms/checklist.py), as the county's rules do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from forms.applicant import INDUSTRY_CODE, Applicant
from forms.catalogues import FIRE_HAZARD_CLASSES, label
from forms.checklist import ID_PATTERN, TemplateError
from forms.i18n import current_language, normalise_language
from forms.rule_file import LineChecker, file_in_force, message_placeholders, read_rule_file, validate_file
from forms.rules import CODE_PATTERN

BUILTIN_FILE = Path(__file__).with_name("rulesets") / "county_entry.toml"
ENTRY_RULES_ENV = "PARKINSPECT_ENTRY_RULES_FILE"
KIND = "entry"

# The checks, by name: their parameters (name -> type) and the placeholders their messages may use.
# Parameter types: "industries" (GB/T 4754 codes or their prefixes), "keywords" (words in the
# process), "class" (one of 甲..戊 as A..E), "number" (> 0).
CHECKS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    # The applicant's industry is on the negative list (its code starts with a listed code).
    "negative_industry": ({"industries": "industries"}, ("applicant", "industry", "listed")),
    # The applicant's process names a process on the negative list (电镀, 酸洗 …).
    "negative_process": ({"keywords": "keywords"}, ("applicant", "process", "keyword")),
    # The applicant's fire-hazard class is more dangerous than `max_class` (甲 A is the most).
    "max_hazard_class": ({"max_class": "class"}, ("applicant", "hazard_class", "max_class")),
    # The committed 亩均税收 (万元/亩) is below `min_tax_wan_per_mu`.
    "min_commitment": ({"min_tax_wan_per_mu": "number"}, ("applicant", "commitment", "limit")),
    # More than `max_per_100_m2` people per 100 m² of planned area.
    "max_density": ({"max_per_100_m2": "number"}, ("applicant", "headcount", "area", "density", "limit")),
    # Less planned area than `min_area_m2` (the park's smallest unit it lets).
    "min_area": ({"min_area_m2": "number"}, ("applicant", "area", "limit")),
}

TOP_KEYS = {"kind": "string", "id": "string", "version": "string", "title_zh": "string", "title_en": "string",
            "rules": "table_list"}
RULE_REQUIRED = {"code": "string", "check": "string", "source": "string", "source_en": "string",
                 "title": "string", "title_en": "string", "message": "string", "message_en": "string"}
RULE_OPTIONAL = {"enabled": "bool"}


def _english(lang: str | None) -> bool:
    return normalise_language(lang or current_language()) == "en"


@dataclass(frozen=True)
class EntryRule:
    code: str
    check: str
    source_zh: str
    source_en: str
    title_zh: str
    title_en: str
    message_zh: str
    message_en: str
    params: dict = field(default_factory=dict)
    enabled: bool = True

    def source(self, lang: str | None = None) -> str:
        return self.source_en if _english(lang) else self.source_zh

    def title(self, lang: str | None = None) -> str:
        return self.title_en if _english(lang) else self.title_zh

    def message(self, values: dict, lang: str | None = None) -> str:
        return (self.message_en if _english(lang) else self.message_zh).format_map(values)


@dataclass(frozen=True)
class EntryRules:
    id: str
    version: str
    title_zh: str
    title_en: str
    rules: tuple[EntryRule, ...]
    source: str = ""

    def title(self, lang: str | None = None) -> str:
        return self.title_en if _english(lang) else self.title_zh

    def active(self) -> tuple[EntryRule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)


@dataclass(frozen=True)
class Refusal:
    """One reason an applicant is refused: the rule, and the figures its message is filled with."""

    rule: EntryRule
    values: dict

    def message(self, lang: str | None = None) -> str:
        return self.rule.message(self.values, lang)

    def as_record(self, lang: str | None = None) -> dict:
        """What the decision row keeps: enough to read the reason later without the rules file."""
        return {"code": self.rule.code, "source": self.rule.source(lang), "message": self.message(lang)}


# --- the checks (pure: an applicant and a rule in, a refusal or None out) --------------------------


def _class_label(code: str, lang: str | None) -> str:
    return label("fire_hazard_class", code, lang=lang)


def _figure(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def check_rule(rule: EntryRule, applicant: Applicant, lang: str | None = None) -> Refusal | None:
    p, name = rule.params, applicant.name
    if rule.check == "negative_industry":
        listed = next((code for code in p["industries"] if applicant.industry_code.startswith(code)), None)
        return None if listed is None else Refusal(rule, {"applicant": name, "industry": applicant.industry_code,
                                                          "listed": listed})
    if rule.check == "negative_process":
        process = applicant.process.casefold()
        keyword = next((word for word in p["keywords"] if word.casefold() in process), None)
        return None if keyword is None else Refusal(rule, {"applicant": name, "process": applicant.process,
                                                           "keyword": keyword})
    if rule.check == "max_hazard_class":
        # A (甲) is the most dangerous: a class earlier in the list than the limit is above it.
        if FIRE_HAZARD_CLASSES.index(applicant.fire_hazard_class) >= FIRE_HAZARD_CLASSES.index(p["max_class"]):
            return None
        return Refusal(rule, {"applicant": name, "hazard_class": _class_label(applicant.fire_hazard_class, lang),
                              "max_class": _class_label(p["max_class"], lang)})
    if rule.check == "min_commitment":
        if applicant.commitment_tax_wan_per_mu >= p["min_tax_wan_per_mu"]:
            return None
        return Refusal(rule, {"applicant": name, "commitment": _figure(applicant.commitment_tax_wan_per_mu),
                              "limit": _figure(p["min_tax_wan_per_mu"])})
    if rule.check == "max_density":
        density = applicant.planned_headcount * 100 / applicant.area
        if density <= p["max_per_100_m2"]:
            return None
        return Refusal(rule, {"applicant": name, "headcount": applicant.planned_headcount,
                              "area": _figure(applicant.area), "density": _figure(density),
                              "limit": _figure(p["max_per_100_m2"])})
    if rule.check == "min_area":
        if applicant.area >= p["min_area_m2"]:
            return None
        return Refusal(rule, {"applicant": name, "area": _figure(applicant.area),
                              "limit": _figure(p["min_area_m2"])})
    raise ValueError(rule.check)  # validation admits only the checks above


def screen(rules: EntryRules, applicant: Applicant, lang: str | None = None) -> list[Refusal]:
    """Every refusal of the enabled rules, in the file's order (empty: the applicant may be admitted)."""
    found = (check_rule(rule, applicant, lang) for rule in rules.active())
    return [refusal for refusal in found if refusal is not None]


# --- validation --------------------------------------------------------------------------------


def _validate(data: dict, checker: LineChecker) -> EntryRules | None:
    loc = checker.locator
    checker.keys(data, TOP_KEYS, TOP_KEYS, "", loc.top_line, loc.top_anchor())
    kind = checker.text(data, "kind", "kind", loc.top_line("kind"))
    if kind is not None and kind != KIND:
        checker.add(loc.top_line("kind"), "kind", "bad_choice", value=kind, choices=KIND)
    rules_id, version, title_zh, title_en = checker.identity(data, ID_PATTERN)
    raw_rules = checker.typed(data, "rules", "table_list", "rules", loc.top_line("rules"))
    if raw_rules is not None and not raw_rules:
        checker.add(loc.top_line("rules"), "rules", "no_rules")
    rules = []
    first_line_of_code: dict[str, int] = {}
    for index, raw in enumerate(raw_rules or []):
        rule = _validate_rule(raw, index, checker, first_line_of_code)
        if rule is not None:
            rules.append(rule)
    if checker.problems:
        return None
    return EntryRules(rules_id, version, title_zh, title_en, tuple(rules), checker.file)


def _validate_rule(raw: dict, index: int, checker: LineChecker, first_line_of_code: dict[str, int]) -> EntryRule | None:
    loc = checker.locator
    prefix = f"rules[{index + 1}]."
    before = len(checker.problems)

    def line(key: str) -> int:
        return loc.item_line("rules", index, key)

    check_name = raw.get("check") if isinstance(raw.get("check"), str) else None
    params, placeholders = CHECKS.get(check_name or "", ({}, ()))
    allowed = {**RULE_REQUIRED, **RULE_OPTIONAL, **params}
    checker.keys(raw, allowed, {**RULE_REQUIRED, **params}, prefix, line, loc.item_line("rules", index))

    code = checker.text(raw, "code", prefix + "code", line("code"))
    if code is not None:
        if not CODE_PATTERN.fullmatch(code):
            checker.add(line("code"), prefix + "code", "bad_rule_code", value=code)
        elif code in first_line_of_code:
            checker.add(line("code"), prefix + "code", "duplicate_code", code=code, line=first_line_of_code[code])
        else:
            first_line_of_code[code] = line("code")
    checker.choice(raw, "check", prefix + "check", line("check"), tuple(CHECKS))
    texts = {key: checker.text(raw, key, prefix + key, line(key))
             for key in ("source", "source_en", "title", "title_en", "message", "message_en")}
    for key in ("message", "message_en"):
        if texts[key] is None or check_name not in CHECKS:
            continue
        names = message_placeholders(texts[key])
        if names is None:
            checker.add(line(key), prefix + key, "bad_braces")
            continue
        for name in dict.fromkeys(names):
            if name not in placeholders:
                checker.add(line(key), prefix + key, "unknown_placeholder", name=name, choices=", ".join(placeholders))
    enabled = checker.typed(raw, "enabled", "bool", prefix + "enabled", line("enabled"))
    values = {name: _param(raw, name, kind, prefix + name, line(name), checker) for name, kind in params.items()}
    if len(checker.problems) > before:
        return None
    return EntryRule(code=code, check=check_name, source_zh=texts["source"], source_en=texts["source_en"],
                     title_zh=texts["title"], title_en=texts["title_en"], message_zh=texts["message"],
                     message_en=texts["message_en"], params=values, enabled=True if enabled is None else enabled)


def _param(raw: dict, name: str, kind: str, field_name: str, line: int, checker: LineChecker):
    if name not in raw:
        return None  # reported as required
    if kind == "class":
        return checker.choice(raw, name, field_name, line, FIRE_HAZARD_CLASSES)
    if kind in ("industries", "keywords"):
        values = checker.typed(raw, name, "list", field_name, line)
        if values is None:
            return None
        if not values:
            checker.add(line, field_name, "empty")
        for entry in values:
            if not isinstance(entry, str) or not entry.strip():
                checker.add(line, field_name, "empty")
            elif kind == "industries" and not INDUSTRY_CODE.fullmatch(entry):
                checker.add(line, field_name, "bad_industry_code", value=entry)
        return tuple(entry.strip() for entry in values if isinstance(entry, str))
    value = raw[name]  # "number": an integer or a decimal, above zero
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        checker.add(line, field_name, "not_positive")
        return None
    return float(value)


# --- reading files -----------------------------------------------------------------------------

def parse_entry_rules(data: bytes, file: str = "<entry rules>") -> EntryRules:
    """Validate the bytes of one entry rules file; raise TemplateError listing every problem with its line."""
    return validate_file(data, file, _validate, LineChecker)


def load_entry_rules_file(path: str | os.PathLike) -> EntryRules:
    return parse_entry_rules(read_rule_file(path), str(path))


@cache
def builtin_entry_rules() -> EntryRules:
    return load_entry_rules_file(BUILTIN_FILE)


def load_entry_rules(path: str | os.PathLike | None = None) -> EntryRules:
    """The entry rules in force: the file given, else PARKINSPECT_ENTRY_RULES_FILE, else the built-in
    file. A local file is read each time: the office may edit it while the app runs."""
    return file_in_force(path, ENTRY_RULES_ENV, builtin_entry_rules, load_entry_rules_file)


__all__ = ["CHECKS", "EntryRule", "EntryRules", "Refusal", "TemplateError", "builtin_entry_rules", "check_rule",
           "load_entry_rules", "load_entry_rules_file", "parse_entry_rules", "screen"]
