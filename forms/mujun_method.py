"""The county's 亩均效益 method as data: `forms/rulesets/mujun_county.toml` (schema in its comments),
or the office's own file (`PARKINSPECT_MUJUN_METHOD`, `parkinspect mujun --method FILE`).

What a method holds: its indicators (each a measure the app can work out from the quarterly
reports and the ledger, with a weight and a benchmark for 规上 and for 规下 tenants), the cap on
one indicator's score, and how scores become classes A–D (score thresholds, or percentages of the
ranking within each scale). Validation names file, line and field (forms/rule_file.py); the
calculator is forms/mujun.py.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forms.i18n import current_language, normalise_language
from forms.rule_file import Checker, RuleFileError, RuleProblem, file_in_force, read_rule_file, validate_file

BUILTIN_METHOD = Path(__file__).with_name("rulesets") / "mujun_county.toml"
METHOD_ENV = "PARKINSPECT_MUJUN_METHOD"

SCALES = ("above", "below")  # 规上 / 规下, as forms.catalogues.SCALES
CLASSES = ("A", "B", "C", "D")
CLASSINGS = ("thresholds", "percentiles")
# What the app can work out per tenant (forms/mujun.py `measure_value`), and its unit's catalogue key.
MEASURES = ("tax_per_mu", "output_per_mu", "tax_per_power", "output_per_worker")
WEIGHT_TOTAL = 100.0

TOP_KEYS = {"id": "string", "version": "string", "title_zh": "string", "title_en": "string",
            "classing": "string", "max_ratio": "number", "objection_days": "integer",
            "indicators": "table_list"}
TOP_OPTIONAL = {"kind": "string", "legal_basis": "string", "thresholds": "table", "percentiles": "table"}
KIND = "mujun_method"  # the optional `kind` key that says which kind of rules file this is
INDICATOR_KEYS = {"measure": "string", "name": "string", "name_en": "string", "weight_above": "number",
                  "benchmark_above": "number", "weight_below": "number", "benchmark_below": "number"}
MAX_OBJECTION_DAYS = 90


@dataclass(frozen=True)
class Indicator:
    measure: str
    name_zh: str
    name_en: str
    weight: dict[str, float]  # by scale; 0 = not used for that scale
    benchmark: dict[str, float]  # by scale

    def name(self, lang: str | None = None) -> str:
        return self.name_en if normalise_language(lang or current_language()) == "en" else self.name_zh


@dataclass(frozen=True)
class MujunMethod:
    id: str
    version: str
    title_zh: str
    title_en: str
    classing: str  # "thresholds" | "percentiles"
    max_ratio: float
    objection_days: int
    indicators: tuple[Indicator, ...]
    thresholds: dict[str, float]  # A, B, C: the lowest score of the class (thresholds classing)
    percentiles: dict[str, float]  # A, B, C: percent of the ranking (percentiles classing)
    legal_basis: str | None = None
    source: str = ""
    sha256: str = ""

    def title(self, lang: str | None = None) -> str:
        return self.title_en if normalise_language(lang or current_language()) == "en" else self.title_zh


def _classes(checker: Checker, data: dict, section: str, required: bool) -> dict[str, float]:
    if section not in data:
        if required:
            checker.add(section, "mujun.problem.section_required", section=section)
        return {}
    table = checker.typed(data, section, "table")
    if table is None:
        return {}
    prefix = section + "."
    checker.keys(table, dict.fromkeys(CLASSES[:3], "number"), CLASSES[:3], prefix)
    high = 100.0 if section == "percentiles" else None
    values = {cls: checker.number(table, cls, prefix, high=high) for cls in CLASSES[:3]}
    found = {cls: value for cls, value in values.items() if value is not None}
    if len(found) < 3:
        return {}
    if section == "thresholds":
        for upper, lower in (("A", "B"), ("B", "C")):
            if found[lower] >= found[upper]:
                checker.add(prefix + lower, "mujun.problem.threshold_order", lower=lower, upper=upper,
                            value=f"{found[upper]:g}")
    elif sum(found.values()) > 100:
        checker.add(prefix + "C", "mujun.problem.percent_total", total=f"{sum(found.values()):g}")
    return found


def _indicator(checker: Checker, raw: dict, index: int, seen: dict[str, str]) -> Indicator | None:
    prefix = f"indicators[{index + 1}]."
    before = len(checker.problems)
    checker.keys(raw, INDICATOR_KEYS, INDICATOR_KEYS, prefix)
    measure = checker.choice(raw, "measure", MEASURES, prefix)
    if measure is not None:
        if measure in seen:
            checker.add(prefix + "measure", "mujun.problem.duplicate_measure", measure=measure,
                        line=checker.locator.line(seen[measure]))
        seen.setdefault(measure, prefix + "measure")
    names = {key: checker.text(raw, key, prefix) for key in ("name", "name_en")}
    weight, benchmark = {}, {}
    for scale in SCALES:
        weight[scale] = checker.number(raw, f"weight_{scale}", prefix, high=WEIGHT_TOTAL)
        benchmark[scale] = checker.number(raw, f"benchmark_{scale}", prefix, above_low=True)
    if len(checker.problems) > before:
        return None
    return Indicator(measure, names["name"], names["name_en"], weight, benchmark)


def _validate(data: dict, checker: Checker, digest: str) -> MujunMethod | None:
    checker.keys(data, {**TOP_KEYS, **TOP_OPTIONAL}, TOP_KEYS)
    checker.kind(data, KIND)
    method_id = checker.text(data, "id")
    version = checker.version(data)
    titles = {key: checker.text(data, key) for key in ("title_zh", "title_en")}
    legal_basis = checker.text(data, "legal_basis")
    classing = checker.choice(data, "classing", CLASSINGS)
    max_ratio = checker.number(data, "max_ratio", low=1.0, high=10.0)
    days = checker.typed(data, "objection_days", "integer")
    if days is not None and not 1 <= days <= MAX_OBJECTION_DAYS:
        checker.add("objection_days", "rule_file.problem.out_of_range", value=days, range=f"[1, {MAX_OBJECTION_DAYS}]")
    thresholds = _classes(checker, data, "thresholds", classing == "thresholds")
    percentiles = _classes(checker, data, "percentiles", classing == "percentiles")
    raw_indicators = checker.typed(data, "indicators", "table_list") or []
    seen: dict[str, str] = {}
    indicators = [_indicator(checker, raw, i, seen) for i, raw in enumerate(raw_indicators)]
    if "indicators" in data and not raw_indicators:
        checker.add("indicators", "mujun.problem.no_indicators")
    if raw_indicators and all(indicators):
        for scale in SCALES:
            total = sum(indicator.weight[scale] for indicator in indicators)
            if abs(total - WEIGHT_TOTAL) > 1e-6:
                checker.add(f"indicators[1].weight_{scale}", "mujun.problem.weight_total",
                            scale=scale, total=f"{total:g}", expected=f"{WEIGHT_TOTAL:g}")
    if checker.problems:
        return None
    return MujunMethod(method_id, version, titles["title_zh"], titles["title_en"], classing, max_ratio, days,
                       tuple(indicators), thresholds, percentiles, legal_basis, checker.file, digest)


def parse_method(data: bytes, file: str = "<method>") -> MujunMethod:
    """Validate one method file's bytes; RuleFileError listing every problem (file, line, field)."""
    digest = hashlib.sha256(data).hexdigest()
    return validate_file(data, file, lambda parsed, checker: _validate(parsed, checker, digest))


def load_method_file(path: str | os.PathLike) -> MujunMethod:
    return parse_method(read_rule_file(path), str(path))


@cache
def builtin_method() -> MujunMethod:
    return load_method_file(BUILTIN_METHOD)


def load_method(path: str | os.PathLike | None = None) -> MujunMethod:
    """The method in force: the file given, else PARKINSPECT_MUJUN_METHOD's, else the built-in one.

    Not cached for the office's file: it may be edited while the app runs. A malformed file raises
    RuleFileError (never falls back silently: a class computed by the wrong method is worse than none).
    """
    return file_in_force(path, METHOD_ENV, builtin_method, load_method_file)


__all__ = ["CLASSES", "MEASURES", "SCALES", "Indicator", "MujunMethod", "RuleFileError", "RuleProblem",
           "builtin_method", "load_method", "load_method_file", "parse_method"]
