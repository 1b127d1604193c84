"""The demo's literal data, read from the TOML files in `inspect_app/demo_data/` and checked.

The files hold what a person may want to change without reading the builder: names (district,
streets, companies, people, agencies), industries and their processes, how each checklist item
fails (findings), and the tables behind the quarterly figures. `load_demo_data()` reads them once
(tomllib), checks every value against its expected type and the app's closed lists
(forms/catalogues.py, the shipped checklist templates), and returns one frozen `DemoData`.

A broken file is refused as a whole with `DemoDataError`: a `UserError` naming each problem's
file, line and field, so `parkinspect demo` prints it instead of a traceback. tomllib keeps no
positions, so `_Locator` finds lines by scanning the text (one key or array element per line, as
the shipped files are written); a line it cannot find falls back to the enclosing table's.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from db.errors import UserError
from forms.catalogues import FIRE_HAZARD_CLASSES, HAZARD_STATUSES, LEASE_USES, RISK_POINTS
from forms.checklist import builtin_templates
from forms.i18n import t

DATA_DIR = Path(__file__).resolve().parent.parent / "demo_data"
FILES = ("names.toml", "industries.toml", "findings.toml", "figures.toml")
FIRE_TEMPLATE_ID = "fire_safety"
LEDGER_TEMPLATE_ID = "ledger_verification"
# The 五落实 fields a demo hazard may leave empty (forms/rectification.py names them).
RECTIFICATION_FIELDS = ("responsible_person", "responsible_phone", "measures", "funds_yuan", "contingency_plan")


@dataclass(frozen=True)
class Process:
    """What a tenant makes or stores, and what follows from it."""

    name: str  # 生产工艺 / 储存物品, as written in the ledger
    lease_use: str  # forms.catalogues.LEASE_USES
    hazard_classes: str  # fire hazard classes (A..E = 甲..戊) this use plausibly has; "" = not rated
    risk_pool: tuple[str, ...]  # forms.catalogues.RISK_POINTS it plausibly brings


@dataclass(frozen=True)
class Industry:
    name_words: tuple[str, ...]  # the industry part of the company name
    processes: tuple[Process, ...]
    services: bool = False  # typical of a 生活服务类 park rather than a manufacturing one


@dataclass(frozen=True)
class Finding:
    """One way an item fails: what the inspector writes, where, and what the tenant must do."""

    description: str
    place: str  # where in the unit or building; "" = the unit as a whole (paperwork items)
    measures: str


@dataclass(frozen=True)
class ItemFindings:
    """How one checklist item fails in the demo."""

    fail_rate: float  # share of applicable inspections where the item fails
    findings: tuple[Finding, ...]
    funds_yuan: tuple[int, int]  # range of the rectification cost; (0, 0) = costs nothing


@dataclass(frozen=True)
class LedgerMismatch:
    item: str  # a ledger-verification item code
    observed: str  # what the inspector types; {area} and {people} are filled in
    measures: str


@dataclass(frozen=True)
class ShowcaseHazard:
    item: str
    status: str  # one of forms.catalogues.HAZARD_STATUSES
    deadline_days: int  # after found_on
    missing: str | None  # a 五落实 field left empty


@dataclass(frozen=True)
class UseFigures:
    m2_per_person: int
    kwh_per_wan: tuple[int, int]


@dataclass(frozen=True)
class DemoData:
    district: str
    district_code: str
    park_code_prefix: str
    streets: tuple[str, ...]
    park_themes: tuple[str, ...]
    phase_ordinals: str
    trade_name_first: str
    trade_name_second: str
    surnames: str
    given_name_chars: str
    agencies: tuple[str, ...]
    notice_agency_short: str
    industries: tuple[Industry, ...]
    findings: dict[str, ItemFindings]  # by fire-safety item code
    unknown_item: ItemFindings
    items_needing_risk: dict[str, tuple[str, ...]]
    common_area_items: frozenset[str]
    shared_places: frozenset[str]  # always holds "" (the park as a whole)
    ledger_mismatches: tuple[LedgerMismatch, ...]
    showcase_found_days_ago: int
    showcase: tuple[ShowcaseHazard, ...]
    optional_item_fields: tuple[str, ...]
    contingency_plans: tuple[str, ...]
    zero_funds_reasons: tuple[str, ...]
    escalation_notes: tuple[str, ...]
    seasonal_factors: dict[int, float]  # by quarter
    difficulties: tuple[str, ...]
    uses: dict[str, UseFigures]  # by lease use

    def findings_for(self, code: str) -> ItemFindings:
        return self.findings.get(code, self.unknown_item)


# --- problems ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDataProblem:
    file: str
    line: int  # 1-based; 0 when the file as a whole is the problem
    field: str
    kind: str  # a key under demo_data.problem. in the locales
    values: tuple[tuple[str, object], ...] = ()

    def message(self, lang: str | None = None) -> str:
        text = t(f"demo_data.problem.{self.kind}", lang=lang, **dict(self.values))
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {text}" if self.field else f"{where}: {text}"


class DemoDataError(UserError):
    """A demo data file that cannot be used: every problem found, each with its file, line and field."""

    def __init__(self, problems: list[DemoDataProblem]):
        super().__init__("demo_data.invalid", count=len(problems))
        self.problems = problems

    def message(self, lang: str | None = None) -> str:
        lines = [t("demo_data.invalid", lang=lang, count=len(self.problems))]
        return "\n".join(lines + [f"  {problem.message(lang)}" for problem in self.problems])


# --- finding lines ---------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=\s*(.*)$")


class _Locator:
    """Lines of tables, keys and multi-line array elements, as dotted paths (`industry[3].processes[1]`)."""

    def __init__(self, text: str):
        self.lines: dict[str, int] = {}
        header, array_counts, open_array, element = "", {}, None, 0
        for number, line in enumerate(text.split("\n"), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if open_array is not None:
                if stripped.startswith("]"):
                    open_array = None
                else:
                    self.lines.setdefault(f"{open_array}[{element}]", number)
                    element += 1
                continue
            match = _HEADER.match(line)
            if match:
                name = match.group(2)
                if match.group(1) == "[[":
                    index = array_counts.get(name, 0)
                    array_counts[name] = index + 1
                    name = f"{name}[{index}]"
                header = name
                parts = header.split(".")
                for end in range(1, len(parts) + 1):  # [items.A01] also places the implied [items]
                    self.lines.setdefault(".".join(parts[:end]), number)
                continue
            match = _KEY.match(line)
            if match:
                path = f"{header}.{match.group(1)}" if header else match.group(1)
                self.lines.setdefault(path, number)
                rest = match.group(2).split("#", 1)[0].strip()
                if rest == "[" or (rest.startswith("[") and not rest.endswith("]")):
                    open_array, element = path, 0

    def line_of(self, path: str) -> int:
        """The line of `path`, else of the nearest enclosing path found, else 1."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return 1


# --- reading and checking --------------------------------------------------------------------------


class _Checker:
    """Reads values out of one parsed file, recording a problem (and returning a stand-in) when wrong."""

    def __init__(self, file: str, text: str, problems: list[DemoDataProblem]):
        self.file = file
        self.locator = _Locator(text)
        self.problems = problems

    def add(self, path: str, kind: str, **values: object) -> None:
        self.problems.append(DemoDataProblem(self.file, self.locator.line_of(path), path, kind,
                                             tuple(values.items())))

    def get(self, table: dict, key: str, path: str, kind: type | tuple[type, ...], expected: str,
            default: object, *, required: bool = True):
        where = f"{path}.{key}" if path else key
        if key not in table:
            if required:
                self.add(where, "required")
            return default
        value = table[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.add(where, "wrong_type", expected=t(f"demo_data.types.{expected}"))
            return default
        if not isinstance(value, kind):
            self.add(where, "wrong_type", expected=t(f"demo_data.types.{expected}"))
            return default
        return value

    def text(self, table: dict, key: str, path: str, *, allow_empty: bool = False) -> str:
        value = self.get(table, key, path, str, "string", "")
        if not value and not allow_empty and key in table:
            self.add(f"{path}.{key}" if path else key, "empty")
        return value

    def number(self, table: dict, key: str, path: str, low: float, high: float) -> float:
        value = self.get(table, key, path, (int, float), "number", low)
        if not low <= value <= high:
            self.add(f"{path}.{key}" if path else key, "out_of_range", low=low, high=high)
            return low
        return value

    def texts(self, table: dict, key: str, path: str, *, allow_empty_items: bool = False) -> tuple[str, ...]:
        values = self.get(table, key, path, list, "string_list", [])
        where = f"{path}.{key}" if path else key
        if key in table and not values:
            self.add(where, "empty")
        out = []
        for index, value in enumerate(values):
            if not isinstance(value, str) or (not value and not allow_empty_items):
                self.add(f"{where}[{index}]", "wrong_type", expected=t("demo_data.types.string"))
            else:
                out.append(value)
        return tuple(out)

    def choice(self, value: str, path: str, choices) -> None:
        if value not in choices:
            self.add(path, "bad_choice", value=value, choices=", ".join(choices))

    def table(self, table: dict, key: str, path: str) -> dict:
        return self.get(table, key, path, dict, "table", {})

    def known_keys(self, table: dict, path: str, allowed) -> None:
        for key in table:
            if key not in allowed:
                self.add(f"{path}.{key}" if path else key, "unknown_key", key=key)


def _parse(path: Path, problems: list[DemoDataProblem]) -> tuple[dict, str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        problems.append(DemoDataProblem(path.name, 0, "", "file_unreadable", (("reason", exc.strerror or exc),)))
        return {}, ""
    except UnicodeDecodeError:
        problems.append(DemoDataProblem(path.name, 0, "", "not_utf8"))
        return {}, ""
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the position in the message: "Invalid value (at line 3, column 9)"
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        problems.append(DemoDataProblem(path.name, int(match.group(1)) if match else 0, "", "toml_syntax",
                                        (("detail", detail),)))
        return {}, ""


def _names(c: _Checker, data: dict) -> dict:
    c.known_keys(data, "", ("district", "parks", "companies", "people", "agencies"))
    district, parks = c.table(data, "district", ""), c.table(data, "parks", "")
    companies, people = c.table(data, "companies", ""), c.table(data, "people", "")
    agencies = c.table(data, "agencies", "")
    code = c.text(district, "code", "district")
    if code and not (len(code) == 6 and code.isdigit()):
        c.add("district.code", "bad_division", value=code)
    first, second = c.text(companies, "trade_name_first", "companies"), c.text(companies, "trade_name_second",
                                                                                 "companies")
    if first and len(set(second) - {first[0]}) == 0:
        c.add("companies.trade_name_second", "empty")
    return {
        "district": c.text(district, "name", "district"), "district_code": code,
        "park_code_prefix": c.text(district, "park_code_prefix", "district"),
        "streets": c.texts(district, "streets", "district"), "park_themes": c.texts(parks, "themes", "parks"),
        "phase_ordinals": c.text(parks, "phase_ordinals", "parks"),
        "trade_name_first": first, "trade_name_second": second,
        "surnames": c.text(people, "surnames", "people"), "given_name_chars": c.text(people, "given_name_chars", "people"),
        "agencies": c.texts(agencies, "names", "agencies"),
        "notice_agency_short": c.text(agencies, "notice_short_name", "agencies"),
    }


def _industries(c: _Checker, data: dict) -> dict:
    c.known_keys(data, "", ("industry",))
    industries = []
    for index, table in enumerate(c.get(data, "industry", "", list, "table_list", [])):
        path = f"industry[{index}]"
        if not isinstance(table, dict):
            c.add(path, "wrong_type", expected=t("demo_data.types.table"))
            continue
        c.known_keys(table, path, ("name_words", "services", "processes"))
        processes = []
        for number, process in enumerate(c.get(table, "processes", path, list, "table_list", [])):
            where = f"{path}.processes[{number}]"
            if not isinstance(process, dict):
                c.add(where, "wrong_type", expected=t("demo_data.types.table"))
                continue
            c.known_keys(process, where, ("name", "use", "classes", "risks"))
            use = c.text(process, "use", where)
            c.choice(use, f"{where}.use", LEASE_USES)
            classes = c.text(process, "classes", where, allow_empty=True)
            for letter in classes:
                c.choice(letter, f"{where}.classes", FIRE_HAZARD_CLASSES)
            risks = c.get(process, "risks", where, list, "string_list", [])
            for risk in risks:
                c.choice(str(risk), f"{where}.risks", RISK_POINTS)
            processes.append(Process(c.text(process, "name", where), use, classes, tuple(map(str, risks))))
        if not processes:
            c.add(f"{path}.processes", "empty")
        services = c.get(table, "services", path, bool, "bool", False, required=False)
        industries.append(Industry(c.texts(table, "name_words", path), tuple(processes), services))
    if not any(not i.services for i in industries) or not any(i.services for i in industries):
        c.add("industry", "industries_both_kinds")
    return {"industries": tuple(industries)}


def _item_findings(c: _Checker, table: dict, path: str) -> ItemFindings:
    if not isinstance(table, dict):
        c.add(path, "wrong_type", expected=t("demo_data.types.table"))
        return ItemFindings(0.0, (), (0, 0))
    c.known_keys(table, path, ("fail_rate", "funds_yuan", "findings"))
    rate = float(c.number(table, "fail_rate", path, 0, 1))
    funds = c.get(table, "funds_yuan", path, list, "range", [0, 0])
    if len(funds) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in funds) \
            or funds[0] > funds[1]:
        c.add(f"{path}.funds_yuan", "bad_range")
        funds = [0, 0]
    findings = []
    for index, entry in enumerate(c.get(table, "findings", path, list, "finding_list", [])):
        if not (isinstance(entry, list) and len(entry) == 3 and all(isinstance(v, str) for v in entry)
                and entry[0] and entry[2]):
            c.add(f"{path}.findings[{index}]", "bad_finding")
            continue
        findings.append(Finding(*entry))
    if not findings and "findings" in table:
        c.add(f"{path}.findings", "empty")
    return ItemFindings(rate, tuple(findings), (funds[0], funds[1]))


def _findings(c: _Checker, data: dict) -> dict:
    c.known_keys(data, "", ("unknown_item", "items", "applicability", "ledger_mismatch", "showcase", "rectification"))
    templates = builtin_templates()
    fire_codes, ledger_codes = templates[FIRE_TEMPLATE_ID].codes(), templates[LEDGER_TEMPLATE_ID].codes()
    items = c.table(data, "items", "")
    findings = {}
    for code, table in items.items():
        c.choice(code, f"items.{code}", fire_codes)
        findings[code] = _item_findings(c, table, f"items.{code}")
    for code in fire_codes:
        if items and code not in items:
            c.add("items", "item_without_findings", code=code)
    applicability = c.table(data, "applicability", "")
    needs_risk = {}
    for code, risks in c.table(applicability, "needs_risk", "applicability").items():
        c.choice(code, f"applicability.needs_risk.{code}", fire_codes)
        if not isinstance(risks, list) or not risks:
            c.add(f"applicability.needs_risk.{code}", "wrong_type", expected=t("demo_data.types.string_list"))
            continue
        for risk in risks:
            c.choice(str(risk), f"applicability.needs_risk.{code}", RISK_POINTS)
        needs_risk[code] = tuple(map(str, risks))
    common = c.texts(applicability, "common_area_items", "applicability")
    for index, code in enumerate(common):
        c.choice(code, f"applicability.common_area_items[{index}]", fire_codes)
    mismatches = []
    for index, table in enumerate(c.get(data, "ledger_mismatch", "", list, "table_list", [])):
        path = f"ledger_mismatch[{index}]"
        c.known_keys(table, path, ("item", "observed", "measures"))
        code = c.text(table, "item", path)
        c.choice(code, f"{path}.item", ledger_codes)
        mismatches.append(LedgerMismatch(code, c.text(table, "observed", path), c.text(table, "measures", path)))
    rectification = c.table(data, "rectification", "")
    optional = c.texts(rectification, "optional_fields", "rectification")
    for index, name in enumerate(optional):
        c.choice(name, f"rectification.optional_fields[{index}]", RECTIFICATION_FIELDS)
    showcase_table = c.table(data, "showcase", "")
    showcase = []
    for index, table in enumerate(c.get(showcase_table, "hazard", "showcase", list, "table_list", [])):
        path = f"showcase.hazard[{index}]"
        c.known_keys(table, path, ("item", "status", "deadline_days", "missing"))
        code, status = c.text(table, "item", path), c.text(table, "status", path)
        c.choice(code, f"{path}.item", fire_codes)
        c.choice(status, f"{path}.status", HAZARD_STATUSES)
        missing = c.get(table, "missing", path, str, "string", None, required=False)
        if missing is not None:
            c.choice(missing, f"{path}.missing", RECTIFICATION_FIELDS)
        showcase.append(ShowcaseHazard(code, status, int(c.number(table, "deadline_days", path, 1, 365)), missing))
    return {
        "findings": findings,
        "unknown_item": _item_findings(c, c.table(data, "unknown_item", ""), "unknown_item"),
        "items_needing_risk": needs_risk, "common_area_items": frozenset(common),
        "shared_places": frozenset(c.texts(applicability, "shared_places", "applicability")) | {""},
        "ledger_mismatches": tuple(mismatches),
        "showcase_found_days_ago": int(c.number(showcase_table, "found_days_ago", "showcase", 1, 365)),
        "showcase": tuple(showcase), "optional_item_fields": optional,
        "contingency_plans": c.texts(rectification, "contingency_plans", "rectification"),
        "zero_funds_reasons": c.texts(rectification, "zero_funds_reasons", "rectification"),
        "escalation_notes": c.texts(rectification, "escalation_notes", "rectification"),
    }


def _figures(c: _Checker, data: dict, lease_uses: set[str]) -> dict:
    c.known_keys(data, "", ("quarters", "use"))
    quarters = c.table(data, "quarters", "")
    factors = c.get(quarters, "seasonal_factors", "quarters", list, "number_list", [1.0] * 4)
    if len(factors) != 4 or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 3
                                    for v in factors):
        c.add("quarters.seasonal_factors", "four_factors")
        factors = [1.0] * 4
    uses = {}
    for use, table in c.table(data, "use", "").items():
        path = f"use.{use}"
        c.choice(use, path, LEASE_USES)
        if not isinstance(table, dict):
            c.add(path, "wrong_type", expected=t("demo_data.types.table"))
            continue
        c.known_keys(table, path, ("m2_per_person", "kwh_per_wan"))
        kwh = c.get(table, "kwh_per_wan", path, list, "range", [1, 1])
        if len(kwh) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in kwh) \
                or kwh[0] > kwh[1]:
            c.add(f"{path}.kwh_per_wan", "bad_range")
            kwh = [1, 1]
        uses[use] = UseFigures(int(c.number(table, "m2_per_person", path, 1, 1000)), (kwh[0], kwh[1]))
    for use in sorted(lease_uses - set(uses)):
        c.add("use", "use_without_figures", use=use)
    return {"seasonal_factors": {q: float(f) for q, f in enumerate(factors, start=1)},
            "difficulties": c.texts(quarters, "difficulties", "quarters"), "uses": uses}


def read_demo_data(folder: Path | None = None) -> DemoData:
    """Read and check the four files of `folder` (the shipped ones by default); DemoDataError naming
    every problem found."""
    folder = folder or DATA_DIR
    problems: list[DemoDataProblem] = []
    parsed = {name: _parse(folder / name, problems) for name in FILES}
    if problems:  # a file that cannot be read is not checked further: every key would be "missing"
        raise DemoDataError(problems)
    values: dict = {}
    checkers = {name: _Checker(name, text, problems) for name, (_, text) in parsed.items()}
    values.update(_names(checkers["names.toml"], parsed["names.toml"][0]))
    values.update(_industries(checkers["industries.toml"], parsed["industries.toml"][0]))
    values.update(_findings(checkers["findings.toml"], parsed["findings.toml"][0]))
    lease_uses = {p.lease_use for i in values["industries"] for p in i.processes} & set(LEASE_USES)
    values.update(_figures(checkers["figures.toml"], parsed["figures.toml"][0], lease_uses))
    if problems:
        raise DemoDataError(problems)
    return DemoData(**values)


@cache
def load_demo_data() -> DemoData:
    """The shipped demo data, read once per process."""
    return read_demo_data()
