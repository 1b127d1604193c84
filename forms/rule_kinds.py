"""Which kind of rules file a file is, and checking it as that kind: the county's fire rules
(forms/rules.py), the entry rules (forms/entry_rules.py), the 亩均 method (forms/mujun_method.py)
or the star criteria (forms/star_criteria.py). All are read by forms/rule_file.py, so a refusal
looks the same whichever kind it is.

A file says its kind with a top-level `kind = "county_rules" | "entry" | "mujun_method" |
"star_criteria"` (an entry rules file must); without one the kind is told by its tables:
`[[rules]]` (the county's fire rules), `[[indicators]]`, `[[dimensions]]` or `[stars]`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from forms import entry_rules, mujun_method, rules, star_criteria
from forms.rule_file import Locator, RuleFileError, RuleProblem, parse_rule_text, read_rule_file

PARSERS: dict[str, Callable[[bytes, str], object]] = {
    rules.KIND: rules.parse_rules,
    entry_rules.KIND: entry_rules.parse_entry_rules,
    mujun_method.KIND: mujun_method.parse_method,
    star_criteria.KIND: star_criteria.parse_criteria,
}
# The table that tells a file's kind when it has no `kind` key, in the order they are tried.
TELLING_TABLES = (("rules", rules.KIND), ("indicators", mujun_method.KIND), ("dimensions", star_criteria.KIND),
                  ("stars", star_criteria.KIND))


def detect_kind(parsed: dict, locator: Locator, file: str) -> str:
    """The file's kind; RuleFileError (at the `kind` line, else the first key) when it cannot be told."""
    written = parsed.get("kind")
    if isinstance(written, str) and written.strip() in PARSERS:
        return written.strip()
    if "kind" not in parsed:
        for table, kind in TELLING_TABLES:
            if table in parsed:
                return kind
    line = locator.line("kind")
    raise RuleFileError([RuleProblem(file, line, "kind" if "kind" in parsed else "", "rule_file.problem.unknown_kind",
                                     (("choices", ", ".join(PARSERS)),))])


def parse_any(data: bytes, file: str, kind: str | None = None) -> tuple[str, object]:
    """(kind, the validated rules) of one file's bytes, checked as `kind` when given, else as the
    kind it says or shows; RuleFileError listing every problem (file, line, field)."""
    if kind is None:
        parsed, locator = parse_rule_text(data, file)
        kind = detect_kind(parsed, locator, file)
    return kind, PARSERS[kind](data, file)


def load_any(path: str | os.PathLike, kind: str | None = None) -> tuple[str, object]:
    return parse_any(read_rule_file(path), str(path), kind)
