"""One reader for every rules file: `parkinspect rules check FILE` takes the county's fire rules,
the 亩均 method and the star criteria alike (told by `kind` or by their tables), and refuses each
with the same `FILE:LINE: field: message` in Chinese and English."""

from __future__ import annotations

import json

import pytest

from forms import entry_rules
from forms.checklist import parse_template
from forms.mujun_method import BUILTIN_METHOD
from forms.rule_file import Locator, RuleFileError
from forms.rule_kinds import parse_any
from forms.rules import BUILTIN_FILE
from forms.star_criteria import BUILTIN_CRITERIA
from inspect_app.cli import main

SHIPPED = {"county_rules": BUILTIN_FILE, "mujun_method": BUILTIN_METHOD, "star_criteria": BUILTIN_CRITERIA,
           "entry": entry_rules.BUILTIN_FILE}


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if needle in line)


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_rules_check_tells_each_kind(kind, capsys):
    assert main(["rules", "check", str(SHIPPED[kind]), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["valid"], payload["kind"]) == (True, kind)


def test_a_kind_key_is_accepted_and_must_match(tmp_path, capsys):
    text = SHIPPED["star_criteria"].read_text(encoding="utf-8")
    said = tmp_path / "stars.toml"
    said.write_text('kind = "star_criteria"\n' + text, encoding="utf-8")
    assert main(["rules", "check", str(said)]) == 0
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('kind = "mujun_method"\n' + text, encoding="utf-8")
    assert main(["--lang", "en", "rules", "check", str(wrong)]) == 2
    out = capsys.readouterr().out
    # checked as the 亩均 method it says it is: its own tables are missing, its kind line named
    assert f"{wrong}:1: kind: " not in out  # a known kind is not "unknown"
    assert "Required, but missing" in out and "indicators" in out
    # `stars check` is the same check for one kind: there the written kind is refused at its line
    assert main(["--lang", "en", "stars", "check", str(wrong)]) == 2
    assert f'{wrong}:1: kind: this file says it is a "mujun_method" file' in capsys.readouterr().out


@pytest.mark.parametrize("lang, words", [("zh_CN", "无法判断这是哪种规则文件"),
                                         ("en", "cannot tell which kind of rules file this is")])
def test_a_file_of_no_known_kind_is_refused_with_its_line(tmp_path, capsys, lang, words):
    odd = tmp_path / "odd.toml"
    odd.write_text('# a note\nid = "x"\nversion = "2026.1"\n', encoding="utf-8")
    assert main(["--lang", lang, "rules", "check", str(odd)]) == 2
    assert f"{odd}:2: {words}" in capsys.readouterr().out
    odd.write_text('id = "x"\nkind = "fire"\n', encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        parse_any(odd.read_bytes(), "odd.toml")
    assert (caught.value.problems[0].line, caught.value.problems[0].field) == (2, "kind")


@pytest.mark.parametrize("kind, old, new, field", [
    ("county_rules", "max_per_100_m2 = ", "max_per_100_m2 = -", "rules[6].max_per_100_m2"),
    ("mujun_method", "max_ratio = ", "max_ratio = \"", "max_ratio"),
    ("star_criteria", "four = 75", "four = \"75\"", "stars.four"),
])
def test_every_kind_refused_in_one_format_in_both_languages(kind, old, new, field, tmp_path, capsys):
    text = SHIPPED[kind].read_text(encoding="utf-8").replace(old, new, 1)
    bad = tmp_path / f"{kind}.toml"
    bad.write_text(text, encoding="utf-8")
    line = line_of(text, new)
    outputs = []
    for lang in ("zh_CN", "en"):
        assert main(["--lang", lang, "rules", "check", str(bad)]) == 2
        outputs.append(capsys.readouterr().out)
        assert f"{bad}:{line}: " in outputs[-1]
    # the same problems, one translation each; the same file:line: field in both
    assert outputs[0].split(": ")[0] == outputs[1].split(": ")[0]
    if kind != "mujun_method":  # a TOML syntax error names the line but no field
        assert f"{bad}:{line}: {field}: " in outputs[1]


def test_mujun_check_is_rules_check(tmp_path, capsys):
    assert main(["mujun", "check", str(BUILTIN_METHOD), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "mujun_method"


def test_the_locator_reads_a_sub_table_of_the_last_block():
    text = '[[items]]\ncode = "A"\n[[items]]\ncode = "B"\n[items.extra]\nnote = "x"\n'
    locator = Locator(text)
    assert locator.line("items[2].extra.note") == 6
    assert locator.item_line("items", 1, "extra") == 5
    assert locator.item_line("items", 0, "missing") == 1
    assert locator.top_line("items") == 1


def test_the_checklist_is_read_by_the_same_reader():
    with pytest.raises(RuleFileError) as caught:
        parse_template(b'id = "x"\nversion = 2026\n', "t.toml")
    problem = next(p for p in caught.value.problems if p.field == "version")
    assert str(problem).startswith("t.toml:2: version: ")
    assert problem.kind == "wrong_type"
