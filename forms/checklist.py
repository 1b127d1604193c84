"""Checklist templates: versioned TOML files that office staff edit without touching code.

A template (`forms/templates/*.toml`, schema in the comments at the top of each file) is a list
of check items with a code, a category, a text in Chinese and English, a default severity and
the GB 35181 flag "may be a major fire hazard". An inspection records the template's id and
version, so every version must stay loadable: two versions of one id may sit side by side, and
a directory of local templates (`PARKINSPECT_TEMPLATES_DIR` or the `templates_dir` argument)
adds to the built-ins or replaces one by (id, version).

Validation is done by hand rather than by pydantic because every refusal must name the file,
the line and the field, and tomllib keeps no positions: the shared rules-file reader
(forms/rule_file.py, also used by the county rules, the 亩均 method and the star criteria) finds
the lines by scanning the text (the Nth `[[items]]` header, then the `key =` line inside that
block). Problems carry a catalogue key and are translated when shown, so one loaded set serves
both languages.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forms.catalogues import SEVERITIES
from forms.i18n import current_language, normalise_language
from forms.rule_file import (
    VERSION_PATTERN,
    Label,
    LineChecker,
    RuleFileError,
    RuleProblem,
    read_rule_file,
    validate_file,
)

BUILTIN_DIR = Path(__file__).with_name("templates")
TEMPLATES_DIR_ENV = "PARKINSPECT_TEMPLATES_DIR"

KINDS = ("fire_safety", "ledger_verification")
APPLIES_TO = ("tenant", "common_area")
# The Tenant fields a ledger verification item may check (names as in forms.tenant.TenantInput).
LEDGER_FIELDS = ("rented_area_m2", "headcount", "lease_use", "scale", "risk_points", "contact_phone")
# Used when an item names no deadline of its own (domain.md: 7-30 days for most general hazards,
# a longer staged plan for major ones).
DEFAULT_DEADLINE_DAYS = {"general": 15, "major": 60}
MAX_DEADLINE_DAYS = 365

# "2026.1": the year, then a running number within the year. Compared as numbers (2026.10 > 2026.9).
# The database keeps template_id in 60 characters and codes go on printed notices: keep both plain.
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,59}")
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9]{0,15}")

# key -> expected type name (a label under checklist.types.*)
TOP_KEYS = {
    "id": "string",
    "version": "string",
    "title_zh": "string",
    "title_en": "string",
    "kind": "string",
    "applies_to": "list",
    "items": "table_list",
}
# The legal basis of the whole inspection (检查依据 on its documents), a list of instruments.
TOP_OPTIONAL = {"legal_basis": "list"}
ITEM_REQUIRED = {
    "code": "string",
    "category": "string",
    "category_en": "string",
    "text": "string",
    "text_en": "string",
    "default_severity": "string",
    "major_possible": "bool",
}
ITEM_OPTIONAL = {"legal_basis": "string", "default_deadline_days": "integer", "ledger_field": "string"}
ITEM_KEYS = {**ITEM_REQUIRED, **ITEM_OPTIONAL}


def _english(lang: str | None) -> bool:
    return normalise_language(lang or current_language()) == "en"


def version_key(version: str) -> tuple[int, int]:
    """Sort key of a valid version string: (year, number)."""
    match = VERSION_PATTERN.fullmatch(version)
    if match is None:
        raise ValueError(f"not a template version: {version!r}")
    return int(match.group(1)), int(match.group(2))


# --- the loaded template ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    category_zh: str
    category_en: str
    text_zh: str
    text_en: str
    default_severity: str  # "general" | "major"
    major_possible: bool  # "M" in domain.md: can be 重大火灾隐患 by GB 35181
    legal_basis: str | None = None
    default_deadline_days: int | None = None  # None: by severity (DEFAULT_DEADLINE_DAYS); 0 = 当场整改
    ledger_field: str | None = None  # ledger verification: the Tenant field whose value is checked

    def text(self, lang: str | None = None) -> str:
        return self.text_en if _english(lang) else self.text_zh

    def category(self, lang: str | None = None) -> str:
        return self.category_en if _english(lang) else self.category_zh

    def deadline_days(self, severity: str | None = None) -> int:
        """Days allowed to rectify: the item's own figure, else the default for the severity."""
        if self.default_deadline_days is not None:
            return self.default_deadline_days
        return DEFAULT_DEADLINE_DAYS[severity or self.default_severity]


@dataclass(frozen=True)
class ChecklistTemplate:
    id: str
    version: str
    title_zh: str
    title_en: str
    kind: str  # "fire_safety" | "ledger_verification"
    applies_to: tuple[str, ...]  # "tenant", "common_area"
    items: tuple[ChecklistItem, ...]
    # 检查依据: the laws and standards the inspection applies, as its documents cite them (may be empty)
    legal_basis: tuple[str, ...] = ()
    source: str = ""  # the file it was read from
    sha256: str = ""  # of the file's bytes: lets an inspection notice a file edited in place

    @property
    def key(self) -> tuple[str, str]:
        return self.id, self.version

    def title(self, lang: str | None = None) -> str:
        return self.title_en if _english(lang) else self.title_zh

    def item(self, code: str) -> ChecklistItem:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def categories(self, lang: str | None = None) -> list[str]:
        """Category names in the order they first appear (the order inspectors walk them)."""
        return list(dict.fromkeys(item.category(lang) for item in self.items))


# --- problems: the shared rules-file reader's (forms/rule_file.py) ------------------------------

TemplateProblem = RuleProblem
TemplateError = RuleFileError


def _problem(file: str, line: int, field: str, kind: str, values: tuple = ()) -> RuleProblem:
    return RuleProblem(file, line, field, f"checklist.problem.{kind}", values)


# --- validation --------------------------------------------------------------------------------


def _validate(data: dict, checker: LineChecker, digest: str) -> ChecklistTemplate | None:
    loc = checker.locator
    checker.keys(data, {**TOP_KEYS, **TOP_OPTIONAL}, TOP_KEYS, "", loc.top_line, loc.top_anchor())

    template_id, version, title_zh, title_en = checker.identity(data, ID_PATTERN)
    kind = checker.choice(data, "kind", "kind", loc.top_line("kind"), KINDS)
    applies_to = _applies_to(data, checker)
    legal_basis = _legal_basis(data, checker)

    items: list[ChecklistItem] = []
    raw_items = checker.typed(data, "items", "table_list", "items", loc.top_line("items"))
    if raw_items is not None and not raw_items:
        checker.add(loc.top_line("items"), "items", "no_items")
    first_line_of_code: dict[str, int] = {}
    for index, raw in enumerate(raw_items or []):
        item = _validate_item(raw, index, kind, checker, first_line_of_code)
        if item is not None:
            items.append(item)

    if checker.problems:
        return None
    return ChecklistTemplate(
        id=template_id,
        version=version,
        title_zh=title_zh,
        title_en=title_en,
        kind=kind,
        applies_to=applies_to,
        items=tuple(items),
        legal_basis=legal_basis,
        source=checker.file,
        sha256=digest,
    )


def _applies_to(data: dict, checker: LineChecker) -> tuple[str, ...]:
    line = checker.locator.top_line("applies_to")
    values = checker.typed(data, "applies_to", "list", "applies_to", line)
    if values is None:
        return ()
    if not values:
        checker.add(line, "applies_to", "empty")
    for value in values:
        if not isinstance(value, str):
            checker.add(line, "applies_to", "wrong_type", expected=Label("checklist.types.string"))
        elif value not in APPLIES_TO:
            checker.add(line, "applies_to", "bad_choice", value=value, choices=", ".join(APPLIES_TO))
    for value in dict.fromkeys(v for v in values if isinstance(v, str) and values.count(v) > 1):
        checker.add(line, "applies_to", "duplicate_value", value=value)
    return tuple(values)


def _legal_basis(data: dict, checker: LineChecker) -> tuple[str, ...]:
    """The optional top-level `legal_basis`: a list of non-empty texts, none twice."""
    line = checker.locator.top_line("legal_basis")
    values = checker.typed(data, "legal_basis", "list", "legal_basis", line)
    if values is None:
        return ()
    texts = []
    for value in values:
        if not isinstance(value, str):
            checker.add(line, "legal_basis", "wrong_type", expected=Label("checklist.types.string"))
        elif not value.strip():
            checker.add(line, "legal_basis", "empty")
        elif value.strip() in texts:
            checker.add(line, "legal_basis", "duplicate_value", value=value.strip())
        else:
            texts.append(value.strip())
    return tuple(texts)


def _validate_item(
    raw: dict, index: int, kind: str | None, checker: LineChecker, first_line_of_code: dict[str, int]
) -> ChecklistItem | None:
    loc = checker.locator
    prefix = f"items[{index + 1}]."
    before = len(checker.problems)

    def line(key: str) -> int:
        return loc.item_line("items", index, key)

    checker.keys(raw, ITEM_KEYS, ITEM_REQUIRED, prefix, line, loc.item_line("items", index))

    code = checker.text(raw, "code", prefix + "code", line("code"))
    if code is not None:
        if not CODE_PATTERN.fullmatch(code):
            checker.add(line("code"), prefix + "code", "bad_code", value=code)
        elif code in first_line_of_code:
            checker.add(
                line("code"), prefix + "code", "duplicate_code", code=code, line=first_line_of_code[code]
            )
        else:
            first_line_of_code[code] = line("code")
    texts = {
        key: checker.text(raw, key, prefix + key, line(key))
        for key in ("category", "category_en", "text", "text_en")
    }
    severity = checker.choice(
        raw, "default_severity", prefix + "default_severity", line("default_severity"), SEVERITIES
    )
    major_possible = checker.typed(
        raw, "major_possible", "bool", prefix + "major_possible", line("major_possible")
    )
    if severity == "major" and major_possible is False:
        checker.add(line("default_severity"), prefix + "default_severity", "major_not_possible")
    legal_basis = checker.text(raw, "legal_basis", prefix + "legal_basis", line("legal_basis"))
    days = checker.typed(
        raw,
        "default_deadline_days",
        "integer",
        prefix + "default_deadline_days",
        line("default_deadline_days"),
    )
    if days is not None and not 0 <= days <= MAX_DEADLINE_DAYS:
        checker.add(
            line("default_deadline_days"),
            prefix + "default_deadline_days",
            "deadline_range",
            max=MAX_DEADLINE_DAYS,
        )
    ledger_field = checker.choice(
        raw, "ledger_field", prefix + "ledger_field", line("ledger_field"), LEDGER_FIELDS
    )
    if ledger_field is not None and kind == "fire_safety":
        # a fire-safety finding has no declared ledger value to compare with
        checker.add(line("ledger_field"), prefix + "ledger_field", "ledger_field_wrong_kind")

    if len(checker.problems) > before:
        return None
    return ChecklistItem(
        code=code,
        category_zh=texts["category"],
        category_en=texts["category_en"],
        text_zh=texts["text"],
        text_en=texts["text_en"],
        default_severity=severity,
        major_possible=major_possible,
        legal_basis=legal_basis,
        default_deadline_days=days,
        ledger_field=ledger_field,
    )


# --- reading files -----------------------------------------------------------------------------

def parse_template(data: bytes, file: str = "<template>") -> ChecklistTemplate:
    """Validate the bytes of one template file; raise TemplateError listing every problem."""
    digest = hashlib.sha256(data.removeprefix(b"\xef\xbb\xbf")).hexdigest()
    return validate_file(data, file, lambda parsed, checker: _validate(parsed, checker, digest), LineChecker)


def load_template_file(path: str | os.PathLike) -> ChecklistTemplate:
    """Read and validate one template file; raise TemplateError (file, line, field, message)."""
    return parse_template(read_rule_file(path), str(path))


# --- the set of templates an installation knows ------------------------------------------------


@dataclass(frozen=True)
class TemplateSet:
    """Every loadable template by (id, version), and the problems of the files that were not."""

    templates: dict[tuple[str, str], ChecklistTemplate]
    problems: tuple[TemplateProblem, ...] = ()

    def versions(self, template_id: str) -> list[str]:
        return sorted((v for i, v in self.templates if i == template_id), key=version_key)

    def get(self, template_id: str, version: str | None = None) -> ChecklistTemplate | None:
        """That version, or the newest one when `version` is None; None when there is none."""
        if version is None:
            versions = self.versions(template_id)
            return self.templates[(template_id, versions[-1])] if versions else None
        return self.templates.get((template_id, version))

    def latest(self) -> dict[str, ChecklistTemplate]:
        return {template_id: self.get(template_id) for template_id in sorted({i for i, _ in self.templates})}


def _load_directory(directory: Path, into: dict, problems: list[TemplateProblem], *, replace: bool) -> None:
    """Load every *.toml of a directory; a bad file becomes problems, never an exception.

    Within one directory the first file (by name) holding an (id, version) wins and a later one
    is reported; a later directory (`replace`) overrides what an earlier one loaded.
    """
    try:
        files = sorted(path for path in directory.iterdir() if path.suffix == ".toml" and path.is_file())
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        problems.append(_problem(str(directory), 0, "", "dir_unreadable", (("reason", reason),)))
        return
    seen: dict[tuple[str, str], str] = {}
    for path in files:
        try:
            template = load_template_file(path)
        except TemplateError as exc:
            problems.extend(exc.problems)
            continue
        if template.key in seen:
            problems.append(
                _problem(
                    str(path),
                    0,
                    "",
                    "duplicate_template",
                    (("id", template.id), ("version", template.version), ("other", seen[template.key])),
                )
            )
            continue
        seen[template.key] = str(path)
        if replace or template.key not in into:
            into[template.key] = template


@cache
def _builtin_set() -> TemplateSet:
    templates: dict[tuple[str, str], ChecklistTemplate] = {}
    problems: list[TemplateProblem] = []
    _load_directory(BUILTIN_DIR, templates, problems, replace=False)
    if problems:  # a shipped file that does not load is a bug, not a user's mistake
        raise TemplateError(problems)
    return TemplateSet(templates)


def builtin_templates() -> dict[str, ChecklistTemplate]:
    """The shipped templates, newest version per id (loaded once). Older shipped versions: load_templates()."""
    return _builtin_set().latest()


def templates_dir_from_env() -> Path | None:
    value = os.environ.get(TEMPLATES_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def load_templates(templates_dir: str | os.PathLike | None = None) -> TemplateSet:
    """Built-ins plus the local directory (argument, else PARKINSPECT_TEMPLATES_DIR).

    Local files add templates or replace a built-in of the same (id, version). A malformed local
    file is left out and reported in `problems`; the others still load, so inspections made with
    them keep working. Not cached: office staff may edit the files while the app runs.
    """
    templates = dict(_builtin_set().templates)
    problems: list[TemplateProblem] = []
    directory = Path(templates_dir) if templates_dir is not None else templates_dir_from_env()
    if directory is not None:
        _load_directory(directory, templates, problems, replace=True)
    return TemplateSet(templates, tuple(problems))


def find_template(
    template_id: str, version: str | None = None, *, templates_dir: str | os.PathLike | None = None
) -> ChecklistTemplate | None:
    """The template an inspection names (id and version), or the newest one; None if unknown."""
    return load_templates(templates_dir).get(template_id, version)
