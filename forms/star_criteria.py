"""The star-rating criteria as data: `forms/rulesets/star_criteria.toml` (schema in its comments), or
the office's own file (`PARKINSPECT_STAR_CRITERIA`, `parkinspect stars --criteria FILE`).

Dimensions (亩均效益, 产业特色, … 清廉建设), items with points in each, the total points each star
needs. An item with a `source` is scored by the app from a figure it already knows, linearly
between `zero_at` (no points) and `full_at` (full points); the others are typed with evidence.
Validation names file, line and field (forms/rule_file.py).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forms.i18n import current_language, normalise_language
from forms.rule_file import Checker, RuleFileError, RuleProblem, file_in_force, read_rule_file, validate_file

BUILTIN_CRITERIA = Path(__file__).with_name("rulesets") / "star_criteria.toml"
CRITERIA_ENV = "PARKINSPECT_STAR_CRITERIA"
STARS = (("three", 3), ("four", 4), ("five", 5))
# The figures an item may be scored from (inspect_app/services/stars.py `automatic_figures`).
SOURCES = ("mujun_ab_share", "annual_tax_per_mu", "vacancy_rate", "above_share", "hazard_closure_rate",
           "overdue_major", "late_notices")
MAX_POINTS = 100.0

TOP_KEYS = {"id": "string", "version": "string", "title_zh": "string", "title_en": "string", "stars": "table",
            "dimensions": "table_list", "items": "table_list"}
KIND = "star_criteria"  # the optional `kind` key that says which kind of rules file this is
DIMENSION_KEYS = {"code": "string", "name": "string", "name_en": "string"}
ITEM_REQUIRED = {"code": "string", "dimension": "string", "text": "string", "text_en": "string", "points": "number"}
ITEM_OPTIONAL = {"source": "string", "full_at": "number", "zero_at": "number"}


def _english(lang: str | None) -> bool:
    return normalise_language(lang or current_language()) == "en"


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str | None = None) -> str:
        return self.name_en if _english(lang) else self.name_zh


@dataclass(frozen=True)
class StarItem:
    code: str
    dimension: str
    text_zh: str
    text_en: str
    points: float
    source: str | None = None  # None: typed with evidence
    full_at: float | None = None
    zero_at: float | None = None

    def text(self, lang: str | None = None) -> str:
        return self.text_en if _english(lang) else self.text_zh

    def points_for(self, figure: float | None) -> float:
        """Points of an automatic item for its figure: linear from zero_at to full_at, clamped."""
        if figure is None:
            return 0.0
        share = (figure - self.zero_at) / (self.full_at - self.zero_at)
        return self.points * min(max(share, 0.0), 1.0)


@dataclass(frozen=True)
class StarCriteria:
    id: str
    version: str
    title_zh: str
    title_en: str
    stars: tuple[tuple[int, float], ...]  # (3, 60), (4, 75), (5, 90): the total each star needs
    dimensions: tuple[Dimension, ...]
    items: tuple[StarItem, ...]
    source: str = ""
    sha256: str = ""

    def title(self, lang: str | None = None) -> str:
        return self.title_en if _english(lang) else self.title_zh

    def item(self, code: str) -> StarItem | None:
        return next((item for item in self.items if item.code == code), None)

    def dimension_points(self, code: str) -> float:
        return sum(item.points for item in self.items if item.dimension == code)


def _item(checker: Checker, raw: dict, index: int, seen: dict[str, str], dimensions: set[str]) -> StarItem | None:
    prefix = f"items[{index + 1}]."
    before = len(checker.problems)
    checker.keys(raw, {**ITEM_REQUIRED, **ITEM_OPTIONAL}, ITEM_REQUIRED, prefix)
    code = checker.code(raw, "code", prefix, seen)
    dimension = checker.text(raw, "dimension", prefix)
    if dimension is not None and dimensions and dimension not in dimensions:
        checker.add(prefix + "dimension", "checklist.problem.bad_choice", value=dimension,
                    choices=", ".join(sorted(dimensions)))
    texts = {key: checker.text(raw, key, prefix) for key in ("text", "text_en")}
    points = checker.number(raw, "points", prefix, high=MAX_POINTS, above_low=True)
    source = checker.choice(raw, "source", SOURCES, prefix)
    full_at = checker.number(raw, "full_at", prefix, low=float("-inf"))
    zero_at = checker.number(raw, "zero_at", prefix, low=float("-inf"))
    if source is not None:
        for key in ("full_at", "zero_at"):
            if key not in raw:
                checker.add(prefix + key, "stars.problem.needs_scale", source=source)
        if full_at is not None and zero_at is not None and full_at == zero_at:
            checker.add(prefix + "full_at", "stars.problem.same_scale")
    elif "source" not in raw and ("full_at" in raw or "zero_at" in raw):
        checker.add(prefix + ("full_at" if "full_at" in raw else "zero_at"), "stars.problem.scale_without_source")
    if len(checker.problems) > before:
        return None
    return StarItem(code, dimension, texts["text"], texts["text_en"], points, source, full_at, zero_at)


def _validate(data: dict, checker: Checker, digest: str) -> StarCriteria | None:
    checker.keys(data, {**TOP_KEYS, "kind": "string"}, TOP_KEYS)
    checker.kind(data, KIND)
    criteria_id = checker.text(data, "id")
    version = checker.version(data)
    titles = {key: checker.text(data, key) for key in ("title_zh", "title_en")}
    stars = []
    table = checker.typed(data, "stars", "table")
    if table is not None:
        checker.keys(table, {name: "number" for name, _ in STARS}, [name for name, _ in STARS], "stars.")
        for name, count in STARS:
            value = checker.number(table, name, "stars.", high=MAX_POINTS, above_low=True)
            if value is not None:
                if stars and value <= stars[-1][1]:
                    checker.add(f"stars.{name}", "stars.problem.star_order", star=count, value=f"{value:g}",
                                below=f"{stars[-1][1]:g}")
                stars.append((count, value))
    dimensions, seen_dimensions = [], {}
    for index, raw in enumerate(checker.typed(data, "dimensions", "table_list") or []):
        prefix = f"dimensions[{index + 1}]."
        before = len(checker.problems)
        checker.keys(raw, DIMENSION_KEYS, DIMENSION_KEYS, prefix)
        code = checker.code(raw, "code", prefix, seen_dimensions)
        names = [checker.text(raw, key, prefix) for key in ("name", "name_en")]
        if len(checker.problems) == before:
            dimensions.append(Dimension(code, *names))
    codes = {dimension.code for dimension in dimensions}
    seen_items: dict[str, str] = {}
    raw_items = checker.typed(data, "items", "table_list") or []
    items = [_item(checker, raw, index, seen_items, codes) for index, raw in enumerate(raw_items)]
    for index, dimension in enumerate(dimensions):
        if all(item is None or item.dimension != dimension.code for item in items):
            checker.add(f"dimensions[{index + 1}].code", "stars.problem.empty_dimension", code=dimension.code)
    total = sum(item.points for item in items if item is not None)
    if items and all(items) and stars and stars[-1][1] > total:
        checker.add("stars.five", "stars.problem.star_beyond_total", value=f"{stars[-1][1]:g}", total=f"{total:g}")
    if checker.problems:
        return None
    return StarCriteria(criteria_id, version, titles["title_zh"], titles["title_en"], tuple(stars),
                        tuple(dimensions), tuple(items), checker.file, digest)


def parse_criteria(data: bytes, file: str = "<criteria>") -> StarCriteria:
    """Validate one criteria file's bytes; RuleFileError listing every problem (file, line, field)."""
    digest = hashlib.sha256(data).hexdigest()
    return validate_file(data, file, lambda parsed, checker: _validate(parsed, checker, digest))


def load_criteria_file(path: str | os.PathLike) -> StarCriteria:
    return parse_criteria(read_rule_file(path), str(path))


@cache
def builtin_criteria() -> StarCriteria:
    return load_criteria_file(BUILTIN_CRITERIA)


def load_criteria(path: str | os.PathLike | None = None) -> StarCriteria:
    """The criteria in force: the file given, else PARKINSPECT_STAR_CRITERIA's, else the built-in ones."""
    return file_in_force(path, CRITERIA_ENV, builtin_criteria, load_criteria_file)


__all__ = ["SOURCES", "Dimension", "RuleFileError", "RuleProblem", "StarCriteria", "StarItem", "builtin_criteria",
           "load_criteria", "load_criteria_file", "parse_criteria"]
