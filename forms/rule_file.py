"""Reading any file the office edits as rules: the checklist templates (forms/checklist.py), the
county's fire rules (forms/rules.py), the 亩均 method (forms/mujun_method.py) and the star criteria
(forms/star_criteria.py) and the entry rules (forms/entry_rules.py). One reader for all of them, so every refusal has the same form, naming
the file, the line and the field in the language shown (`FILE:LINE: field: message`).

tomllib keeps no positions, so `Locator` finds each field's line by scanning the text; a field it
cannot find is reported at the nearest enclosing line (its block's header, else the first
top-level key). Problems carry a catalogue key and are translated when shown, so one loaded file
serves both languages. The generic refusals (missing file, not UTF-8, TOML syntax, required,
unknown key, wrong type) use the checklist's words (`checklist.problem.*`), the first kind of
rules file the app had.

Every kind reads the same way: `validate_file` parses the bytes and walks them with the kind's
validation, raising one RuleFileError with every problem; `file_in_force` picks the file given,
else the one its environment variable names, else the built-in one. `Checker` places a problem by
its field's path (the county rules, the 亩均 method, the star criteria); `LineChecker` at the line
its caller names (the checklist templates, the entry rules). `message_placeholders` lists the
names a rule's message uses.
"""

from __future__ import annotations

import difflib
import os
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from forms.i18n import t

# "2026.1": the year, then a running number within the year (as the checklist templates).
VERSION_PATTERN = re.compile(r"(\d{4})\.([1-9]\d{0,2})")
CODE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


@dataclass(frozen=True)
class Label:
    """A placeholder value that is itself a catalogue key, translated with the message."""

    key: str


@dataclass(frozen=True)
class RuleProblem:
    file: str
    line: int  # 1-based; 0 when the problem is the file as a whole (missing, unreadable)
    field: str  # "indicators[2].weight_above" (blocks counted from 1); "" when none
    key: str  # the message's catalogue key
    values: tuple[tuple[str, object], ...] = ()

    def message_in(self, lang: str | None = None) -> str:
        values = {name: t(v.key, lang=lang) if isinstance(v, Label) else v for name, v in self.values}
        return t(self.key, lang=lang, **values)

    @property
    def message(self) -> str:
        return self.message_in()

    def text(self, lang: str | None = None) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        message = self.message_in(lang)
        return f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"

    def __str__(self) -> str:
        return self.text()

    @property
    def kind(self) -> str:
        """The last part of the message's key ("required", "bad_choice", ...): what went wrong."""
        return self.key.rpartition(".")[2]

    def as_dict(self, lang: str | None = None) -> dict:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message_in(lang)}


class RuleFileError(Exception):
    """A rules file that cannot be used; `problems` lists every reason found, with its line."""

    def __init__(self, problems: list[RuleProblem]):
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]*?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.\s*[^=]*?)?=(.*)$""")


def _name(raw: str) -> str:
    return raw.strip()[1:-1] if raw.strip()[:1] in "\"'" else raw.strip()


class Locator:
    """Line of every `key =` and table header by its field path ("version", "classes.A",
    "indicators[2].weight"; blocks of an array counted from 1).

    Good enough for files people write: one key per line, multi-line strings skipped. It reads
    line by line, so it also works on a file with a syntax error. A `[items.extra]` header after
    `[[items]]` is a sub-table of the last item, so its field is "items[n].extra".
    """

    def __init__(self, text: str):
        self.lines: dict[str, int] = {}
        self.top: dict[str, int] = {}  # first line of each top-level key or table (by its first name)
        self.blocks: dict[str, list[int]] = {}  # header line of each [[array]] block, by array name
        self.first_key = 0
        prefix = ""
        closing = ""  # inside a multi-line string: its closing delimiter
        for number, line in enumerate(text.split("\n"), start=1):  # TOML breaks lines at \n only
            if closing:
                if closing in line:
                    closing = ""
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            header = _HEADER.match(line)
            if header:
                parts = [_name(part) for part in header.group(2).split(".")]
                self.top.setdefault(parts[0], number)
                name = ".".join(parts)
                if header.group(1) == "[[":
                    blocks = self.blocks.setdefault(name, [])
                    blocks.append(number)
                    name = f"{name}[{len(blocks)}]"
                elif len(parts) > 1 and self.blocks.get(parts[0]):
                    name = f"{parts[0]}[{len(self.blocks[parts[0]])}]." + ".".join(parts[1:])
                prefix = name + "."
                self.lines.setdefault(name, number)
                continue
            key = _KEY.match(line)
            if key is None:
                continue  # the continuation of a multi-line array
            self.lines.setdefault(prefix + _name(key.group(1)), number)
            if not prefix:
                self.top.setdefault(_name(key.group(1)), number)
                if not self.first_key:
                    self.first_key = number
            value = key.group(2).strip()
            for delimiter in ('"""', "'''"):
                if value.startswith(delimiter) and delimiter not in value[3:]:
                    closing = delimiter
                    break

    def line(self, field: str) -> int:
        """The field's line, else its enclosing block's, else the first top-level key's (else 1)."""
        while field:
            if field in self.lines:
                return self.lines[field]
            field = field.rpartition(".")[0]
        return self.first_key or 1

    def field_at(self, line: int) -> str:
        return next((field for field, at in self.lines.items() if at == line), "")

    # The same lines asked for by position, as the checklist templates' validation does.

    def top_anchor(self) -> int:
        """Where the top-level keys are (for a missing one): the first of them or of the tables, else 1."""
        return min(self.top.values(), default=1)

    def top_line(self, key: str) -> int:
        return self.top.get(key, self.top_anchor())

    def item_line(self, array: str, index: int, key: str | None = None) -> int:
        """The line of `key` in the array's block `index` (from 0), else the block's header; when
        the array is written inline (`items = [{...}]`), the array's own line."""
        blocks = self.blocks.get(array, [])
        if index >= len(blocks):
            return self.top_line(array)
        return self.lines.get(f"{array}[{index + 1}].{key}", blocks[index]) if key else blocks[index]


_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)\s*$")


def parse_rule_text(data: bytes, file: str) -> tuple[dict, Locator]:
    """The parsed TOML and its locator; RuleFileError for bytes that are not UTF-8 TOML."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # Windows Notepad's byte-order mark: harmless, tomllib refuses it
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:  # typically saved as GBK: point at the first line that is not UTF-8
        line = data[: exc.start].count(b"\n") + 1
        raise RuleFileError([RuleProblem(file, line, "", "checklist.problem.not_utf8")]) from None
    locator = Locator(text)
    try:
        return tomllib.loads(text), locator
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _POSITION.search(message)
        line = int(match.group(1)) if match and match.group(1) else len(text.rstrip().split("\n"))
        detail = message[: match.start()] if match else message
        raise RuleFileError([RuleProblem(file, line, locator.field_at(line), "checklist.problem.toml_syntax",
                                         (("detail", detail),))]) from None
    except RecursionError:
        raise RuleFileError([RuleProblem(file, 0, "", "checklist.problem.too_deep")]) from None


def read_rule_file(path: str | os.PathLike) -> bytes:
    """The file's bytes; RuleFileError when it is missing or unreadable."""
    file = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise RuleFileError([RuleProblem(file, 0, "", "checklist.problem.file_missing")]) from None
    except OSError as exc:  # a directory, no permission, ...
        reason = exc.strerror or type(exc).__name__
        raise RuleFileError([RuleProblem(file, 0, "", "checklist.problem.file_unreadable",
                                         (("reason", reason),))]) from None


T = TypeVar("T")


def validate_file(data: bytes, file: str, validate: Callable[[dict, Any], T | None],
                  checker: type[Checker | LineChecker] | None = None) -> T:
    """Parse one rules file's bytes and walk them with `validate(parsed, checker)`, which returns
    the loaded rules or None when it added problems; RuleFileError listing every problem by line."""
    parsed, locator = parse_rule_text(data, file)
    walker = (checker or Checker)(file, locator)
    loaded = validate(parsed, walker)
    if loaded is None:
        raise RuleFileError(sorted(walker.problems, key=lambda p: p.line))
    return loaded


def file_in_force(path: str | os.PathLike | None, env: str, builtin: Callable[[], T],
                  load_file: Callable[[Path], T]) -> T:
    """The rules in force: the file given, else the one the environment variable `env` names, else
    the built-in one (`builtin`, cached by its caller). A local file is read each time: the office
    may edit it while the app runs."""
    if path is None:
        value = os.environ.get(env, "").strip()
        path = value or None
    return builtin() if path is None else load_file(Path(path).expanduser())


def message_placeholders(text: str) -> list[str] | None:
    """The names a message uses, or None when its braces do not parse."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return None


def _type_ok(value: object, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "bool":
        return isinstance(value, bool)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)  # TOML true is not a number
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not nan
    if expected == "list":
        return isinstance(value, list)
    if expected == "table":
        return isinstance(value, dict)
    if expected == "table_list":
        return isinstance(value, list) and all(isinstance(entry, dict) for entry in value)
    raise ValueError(expected)


class Checker:
    """Collects problems while walking one parsed file."""

    def __init__(self, file: str, locator: Locator):
        self.file = file
        self.locator = locator
        self.problems: list[RuleProblem] = []

    def add(self, field: str, key: str, /, **values: object) -> None:
        self.problems.append(RuleProblem(self.file, self.locator.line(field), field, key, tuple(values.items())))

    def keys(self, table: dict, allowed: dict[str, str], required, prefix: str = "") -> None:
        """Unknown keys (with a spelling hint) and missing required keys of one table."""
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                if hint:
                    self.add(prefix + key, "checklist.problem.unknown_key_hint", key=key, suggestion=hint[0])
                else:
                    self.add(prefix + key, "checklist.problem.unknown_key", key=key)
        for key in required:
            if key not in table:
                self.add(prefix + key, "checklist.problem.required")

    def typed(self, table: dict, key: str, expected: str, prefix: str = "") -> object | None:
        """The value if present and of the right type; None (and a problem if wrong) otherwise."""
        if key not in table:
            return None
        value = table[key]
        if not _type_ok(value, expected):
            self.add(prefix + key, "checklist.problem.wrong_type", expected=Label(f"rule_file.types.{expected}"))
            return None
        return value

    def text(self, table: dict, key: str, prefix: str = "") -> str | None:
        value = self.typed(table, key, "string", prefix)
        if value is not None and not value.strip():
            self.add(prefix + key, "checklist.problem.empty")
            return None
        return value.strip() if value is not None else None

    def choice(self, table: dict, key: str, choices: tuple[str, ...], prefix: str = "") -> str | None:
        value = self.text(table, key, prefix)
        if value is not None and value not in choices:
            self.add(prefix + key, "checklist.problem.bad_choice", value=value, choices=", ".join(choices))
            return None
        return value

    def number(self, table: dict, key: str, prefix: str = "", *, low: float = 0.0,
               high: float | None = None, above_low: bool = False) -> float | None:
        """A number within [low, high] (or (low, high] with above_low); a problem naming the range else."""
        value = self.typed(table, key, "number", prefix)
        if value is None:
            return None
        if (value <= low if above_low else value < low) or (high is not None and value > high):
            bounds = f"({low:g}, {high:g}]" if above_low and high is not None else (
                f"> {low:g}" if above_low else (f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"))
            self.add(prefix + key, "rule_file.problem.out_of_range", value=f"{value:g}", range=bounds)
            return None
        return float(value)

    def kind(self, table: dict, expected: str) -> None:
        """The optional `kind` key naming which kind of rules file this is: if written, the right one."""
        value = self.text(table, "kind")
        if value is not None and value != expected:
            self.add("kind", "rule_file.problem.wrong_kind", value=value, expected=expected)

    def version(self, table: dict) -> str | None:
        version = self.text(table, "version")
        if version is not None and not VERSION_PATTERN.fullmatch(version):
            self.add("version", "checklist.problem.bad_version", value=version)
            return None
        return version

    def code(self, table: dict, key: str, prefix: str, seen: dict[str, str]) -> str | None:
        """A code unique within the file (`seen`: code -> the field that first used it)."""
        value = self.text(table, key, prefix)
        if value is None:
            return None
        if not CODE_PATTERN.fullmatch(value):
            self.add(prefix + key, "rule_file.problem.bad_code", value=value)
            return None
        if value in seen:
            self.add(prefix + key, "checklist.problem.duplicate_code", code=value,
                     line=self.locator.line(seen[value]))
            return None
        seen[value] = prefix + key
        return value


class LineChecker:
    """Collects problems while walking one parsed file, each at the line its caller names (the
    checklist templates and the entry rules ask the locator by position); words under
    `checklist.problem`."""

    def __init__(self, file: str, locator: Locator):
        self.file = file
        self.locator = locator
        self.problems: list[RuleProblem] = []

    def add(self, line: int, field: str, kind: str, /, **values: object) -> None:
        self.problems.append(RuleProblem(self.file, line, field, f"checklist.problem.{kind}", tuple(values.items())))

    def keys(self, table: dict, allowed: dict, required, field_prefix: str, line_of, anchor: int) -> None:
        """Unknown keys (with a spelling hint) and missing required keys of one table."""
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                if hint:
                    self.add(
                        line_of(key), field_prefix + key, "unknown_key_hint", key=key, suggestion=hint[0]
                    )
                else:
                    self.add(line_of(key), field_prefix + key, "unknown_key", key=key)
        for key in required:
            if key not in table:
                self.add(anchor, field_prefix + key, "required")

    def typed(self, table: dict, key: str, expected: str, field: str, line: int) -> object | None:
        """The value if present and of the right type; None (and a problem if wrong) otherwise."""
        if key not in table:
            return None
        value = table[key]
        if not _type_ok(value, expected):
            self.add(line, field, "wrong_type", expected=Label(f"checklist.types.{expected}"))
            return None
        return value

    def text(self, table: dict, key: str, field: str, line: int) -> str | None:
        value = self.typed(table, key, "string", field, line)
        if value is not None and not value.strip():
            self.add(line, field, "empty")
            return None
        return value.strip() if value is not None else None

    def choice(self, table: dict, key: str, field: str, line: int, choices: tuple[str, ...]) -> str | None:
        value = self.text(table, key, field, line)
        if value is not None and value not in choices:
            self.add(line, field, "bad_choice", value=value, choices=", ".join(choices))
            return None
        return value

    def identity(self, data: dict, id_pattern: re.Pattern) -> tuple[str | None, str | None, str | None, str | None]:
        """The file's id, version and titles (zh, en), each checked at its line; None where refused."""
        loc = self.locator
        file_id = self.text(data, "id", "id", loc.top_line("id"))
        if file_id is not None and not id_pattern.fullmatch(file_id):
            self.add(loc.top_line("id"), "id", "bad_id", value=file_id)
        version = self.text(data, "version", "version", loc.top_line("version"))
        if version is not None and not VERSION_PATTERN.fullmatch(version):
            self.add(loc.top_line("version"), "version", "bad_version", value=version)
        title_zh = self.text(data, "title_zh", "title_zh", loc.top_line("title_zh"))
        title_en = self.text(data, "title_en", "title_en", loc.top_line("title_en"))
        return file_id, version, title_zh, title_en
